"""Short end-to-end run on the real clips: CNN shot detection scored against the real cuts."""

from __future__ import annotations

import time

from apps.video_analysis.data import CLIPS, clip_path, load_boundaries, true_transitions
from apps.video_analysis.detectors import ShotDetector
from apps.video_analysis.metrics import match_transitions, scores_from_counts
from shared.cli import fast_mode


def run(fast: bool | None = None) -> dict:
    """Detect shots with the shipped CNN on real clips; F1 (2-frame tolerance) on the real cuts.

    fast: only the bikes clip; otherwise all five clips. Default: ``shared.cli.fast_mode()``.
    """
    if fast is None:
        fast = fast_mode()
    start = time.time()
    clips = ["bikes_scene_cuts.mp4"] if fast else list(CLIPS)
    boundaries = load_boundaries()
    detector = ShotDetector()
    tp = fp = fn = frames = 0
    for clip in clips:
        truth, ignore = true_transitions(clip, boundaries)
        result = detector.detect(clip_path(clip))
        frames += result.frame_count
        a, b, c, _ = match_transitions(result.transitions, truth, 2, ignore)
        tp, fp, fn = tp + a, fp + b, fn + c
    scores = scores_from_counts(tp, fp, fn)
    return {
        "app": "video_analysis",
        "task": "shot boundary detection (TransNet-style CNN)",
        "data": f"{', '.join(clips)} ({frames} frames, {tp + fn} hand-checked cuts)",
        "metric": "f1_tolerance2",
        "value": float(scores["f1"]),
        "seconds": round(time.time() - start, 2),
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(fast_mode())))
