"""Clip classification on Moving-MNIST-style clips made from the real MNIST digits.

Three clip models of similar size, same data, same run: TimeDistributed(2-D backbone) +
temporal Conv1D, factorised (2+1)-D, and 3-D convolutions. Task: digit x motion direction
(40 classes); training clips use the MNIST training digits, test clips the MNIST test digits.

    python -m benchmarks.video_clips [--clips 3000] [--epochs 4]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix

from apps.video_analysis import moving_mnist
from apps.video_analysis.models import ARCHITECTURES, build_clip_classifier
from shared.benchmarking import RESULTS, write_result
from shared.cli import seed_everything
from shared.plotting import plot_confusion
from shared.training import fit


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clips", type=int, default=3000)
    parser.add_argument("--test-clips", type=int, default=1000)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--frames", type=int, default=8)
    parser.add_argument("--size", type=int, default=32)
    args = parser.parse_args()
    start = time.time()
    x, y, names = moving_mnist.generate(args.clips, args.frames, args.size, split="train", seed=0)
    xt, yt, _ = moving_mnist.generate(args.test_clips, args.frames, args.size, split="test", seed=1)
    metrics = {}
    for arch in ARCHITECTURES:
        seed_everything(0)
        model = build_clip_classifier(x.shape[1:], len(names), arch=arch)
        begin = time.perf_counter()
        fit(model, (x, y), validation=(xt, yt), epochs=args.epochs, batch_size=32, seed=0, verbose=2)
        train_seconds = time.perf_counter() - begin
        begin = time.perf_counter()
        predicted = np.argmax(model.predict(xt, verbose=0, batch_size=64), axis=1)
        seconds = time.perf_counter() - begin
        digit_true, motion_true = yt // 4, yt % 4
        digit_pred, motion_pred = predicted // 4, predicted % 4
        metrics[arch] = {
            "accuracy_digit_and_motion": float(accuracy_score(yt, predicted)),
            "accuracy_digit": float(accuracy_score(digit_true, digit_pred)),
            "accuracy_motion": float(accuracy_score(motion_true, motion_pred)),
            "parameters": int(model.count_params()),
            "train_seconds": round(train_seconds, 1),
            "test_clips_per_second": round(len(xt) / seconds, 1),
        }
        if arch == "td":
            plot_confusion(confusion_matrix(yt, predicted, labels=range(len(names))), names,
                           RESULTS / "video_clips_td_confusion.png",
                           title="TimeDistributed + temporal conv, Moving-MNIST digit x motion", dpi=70)
        print(arch, metrics[arch])
    notes = (f"{args.clips} training clips (MNIST train digits) and {args.test_clips} test clips (MNIST test "
             f"digits), {args.frames} frames of {args.size}x{args.size}, digit 18x18 moving left/right/up/down; "
             f"{args.epochs} epochs, batch 32, Adam 1e-3, seed 0. Chance: 2.5% (40 classes), 25% motion. "
             "No published reference exists for this generated task; Srivastava et al. 2015 Moving MNIST is a "
             "prediction benchmark, not classification. Reduced run for a shared 2-core CPU.")
    write_result("video_clips", metrics, {"chance_accuracy_digit_and_motion": 0.025},
                 wall_time_s=time.time() - start, notes=notes)


if __name__ == "__main__":
    main()
