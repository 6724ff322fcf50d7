"""How the CNN shot detector's threshold is chosen: F1 on validation edits (seeds 5000-5009).

These seeds are neither training (0-159) nor benchmark (10000+) seeds; the real clips are not
used for the choice. The shipped default is the best threshold of this sweep.

    python -m benchmarks.video_threshold
"""

from __future__ import annotations

import argparse
import time

from apps.video_analysis.data import load_real_shots
from apps.video_analysis.detectors import ShotDetector
from apps.video_analysis.edits import write_benchmark
from apps.video_analysis.metrics import match_transitions, scores_from_counts
from apps.video_analysis.shots import transitions_from_probabilities
from shared import data
from shared.benchmarking import write_result

THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8)


def main(argv=None):
    argparse.ArgumentParser(prog="python -m benchmarks.video_threshold", description=__doc__).parse_args(argv)
    start = time.time()
    detector = ShotDetector()
    items = write_benchmark(data.cache_dir("video_analysis", "validation_edits"), load_real_shots(size=(160, 90)),
                            count=10, seed=5000)
    runs = []
    for path, truth in items:
        result = detector.detect(path)
        runs.append((result.class_probabilities, result.fps, truth["transitions"]))
    metrics = {}
    for threshold in THRESHOLDS:
        tp = fp = fn = 0
        for probabilities, fps, truth in runs:
            found = transitions_from_probabilities(probabilities, fps, threshold)
            a, b, c, _ = match_transitions(found, truth, 2)
            tp, fp, fn = tp + a, fp + b, fn + c
        metrics[f"threshold_{threshold}"] = scores_from_counts(tp, fp, fn)
    best = max(THRESHOLDS, key=lambda t: metrics[f"threshold_{t}"]["f1"])
    metrics["best_threshold"] = best
    write_result("video_threshold", metrics, {"best_threshold": "shipped default 0.8"},
                 wall_time_s=time.time() - start,
                 notes="10 validation edits (seeds 5000-5009, 160x90 mp4v), F1 with a 2-frame tolerance.")
    print(metrics)


if __name__ == "__main__":
    main()
