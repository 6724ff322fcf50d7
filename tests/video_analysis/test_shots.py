import json

import numpy as np
import pytest

from apps.video_analysis.detectors import HistogramDetector
from apps.video_analysis.shots import ShotResult, shots_from_transitions, transitions_from_probabilities


def _probs(length, spans):
    p = np.zeros((length, 5), np.float32)
    p[:, 0] = 1
    for (a, b), kind in spans:
        p[a:b + 1, 0] = 0.1
        p[a:b + 1, kind] = 0.9
    return p


def test_probabilities_to_transitions_and_types():
    p = _probs(100, [((30, 30), 1), ((50, 58), 2), ((0, 8), 3), ((95, 99), 3)])
    transitions = transitions_from_probabilities(p, fps=25.0)
    kinds = [(t["start_frame"], t["end_frame"], t["type"]) for t in transitions]
    assert kinds == [(0, 8, "fade_in"), (30, 30, "hard_cut"), (50, 58, "dissolve"), (95, 99, "fade_out")]
    assert all(0.0 <= t["confidence"] <= 1.0 for t in transitions)


def test_min_shot_length_drops_implausible_cuts():
    p = _probs(60, [((1, 1), 1), ((20, 20), 1), ((22, 22), 1), ((40, 40), 1)])
    p[22, 1] = 0.95  # the more confident of two cuts 2 frames apart wins
    starts = [t["start_frame"] for t in transitions_from_probabilities(p, fps=25.0, min_shot_length=4)]
    assert starts == [22, 40]


def test_shots_are_contiguous_and_split_gradual_transitions():
    transitions = [{"start_frame": 0, "end_frame": 8, "type": "fade_in"},
                   {"start_frame": 30, "end_frame": 30, "type": "hard_cut"},
                   {"start_frame": 50, "end_frame": 58, "type": "dissolve"}]
    shots = shots_from_transitions(transitions, 100, 25.0)
    assert [(s["start_frame"], s["end_frame"]) for s in shots] == [(0, 29), (30, 53), (54, 99)]
    assert shots[1]["start_time"] == pytest.approx(1.2) and shots[-1]["end_time"] == pytest.approx(4.0)
    assert shots_from_transitions([], 0, 25.0) == []
    assert shots_from_transitions([], 1, 25.0) == [{"start_frame": 0, "end_frame": 0, "start_time": 0.0,
                                                     "end_time": 0.04}]


def test_json_schema():
    result = ShotResult(100, 25.0, [{"start_frame": 30, "end_frame": 30, "type": "hard_cut", "confidence": 0.9}])
    data = json.loads(json.dumps(result.to_json()))
    assert set(data["shots"][0]) >= {"start_frame", "end_frame", "start_time", "end_time"}
    assert set(data["transitions"][0]) >= {"start_frame", "end_frame", "type", "confidence"}


def test_histogram_baseline_finds_the_real_bikes_cuts(clip_file):
    result = HistogramDetector().detect(clip_file("bikes_scene_cuts.mp4"))
    assert [t["start_frame"] for t in result.transitions] == [30, 76, 137, 187, 242]
    assert len(result.shots) == 6 and result.frame_count == 250
