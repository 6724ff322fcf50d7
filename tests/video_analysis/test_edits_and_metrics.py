import numpy as np
import pytest

from apps.video_analysis.edits import TYPE_INDEX, generate_edit
from apps.video_analysis.metrics import boundary_f1, match_transitions


@pytest.fixture(scope="module")
def shots():
    rng = np.random.default_rng(0)
    # four flat-colored "shots" with noise: enough to check the generator's bookkeeping
    return [np.clip(rng.normal(50 * (k + 1), 5, (40, 18, 32, 3)), 0, 255).astype(np.uint8) for k in range(4)]


def test_generator_is_deterministic_and_labels_match(shots):
    a = generate_edit(shots, seed=3, size=(32, 18))
    b = generate_edit(shots, seed=3, size=(32, 18))
    c = generate_edit(shots, seed=4, size=(32, 18))
    np.testing.assert_array_equal(a.frames, b.frames)
    assert a.transitions == b.transitions and a.transitions != c.transitions
    labels = a.labels
    for t in a.transitions:
        assert np.all(labels[t["start_frame"]:t["end_frame"] + 1] == TYPE_INDEX[t["type"]])
        if t["type"] == "hard_cut":
            assert t["start_frame"] == t["end_frame"]
    assert labels.sum() > 0 and len(labels) == len(a.frames)


def test_transitions_never_overlap_and_fades_pass_through_black(shots):
    for seed in range(40):
        edit = generate_edit(shots, seed=seed, size=(32, 18), type_weights=(0.1, 0.3, 0.4, 0.2))
        spans = edit.transitions
        for first, second in zip(spans[:-1], spans[1:]):
            assert second["start_frame"] > first["end_frame"] + 3
        for t in spans:
            if t["type"] == "fade":
                darkest = edit.frames[t["start_frame"]:t["end_frame"] + 1].mean(axis=(1, 2, 3)).min()
                assert darkest < 0.35 * edit.frames.mean()


def test_dissolve_frames_are_blends(shots):
    edit = generate_edit(shots, seed=1, size=(32, 18), type_weights=(0, 1, 0, 0), negative_rate=0)
    t = edit.transitions[0]
    middle = edit.frames[(t["start_frame"] + t["end_frame"]) // 2].mean()
    before, after = edit.frames[t["start_frame"] - 1].mean(), edit.frames[t["end_frame"] + 1].mean()
    assert min(before, after) - 2 < middle < max(before, after) + 2


def test_boundary_f1_known_values():
    true = [{"start_frame": 10, "end_frame": 10}, {"start_frame": 50, "end_frame": 60}, 100]
    predicted = [12, 55, 103, 200]
    scores = boundary_f1(predicted, true, tolerance=2)
    assert (scores["tp"], scores["fp"], scores["fn"]) == (2, 2, 1)
    assert scores["precision"] == pytest.approx(0.5) and scores["recall"] == pytest.approx(2 / 3)
    assert scores["f1"] == pytest.approx(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3))
    assert boundary_f1([], [])["f1"] == 1.0
    assert boundary_f1([5], [])["f1"] == 0.0


def test_matching_is_one_to_one_and_ignores_dont_care():
    tp, fp, fn, pairs = match_transitions([10, 11], [10], tolerance=2)
    assert (tp, fp, fn) == (1, 1, 0) and pairs == [(0, 0)]
    tp, fp, fn, _ = match_transitions([5, 30], [30], tolerance=2, ignore=[(0, 10)])
    assert (tp, fp, fn) == (1, 0, 0)
