"""Train the shot-boundary detector on generated edits of the real clips (seeds 0..N-1).

The benchmark uses seeds from ``edits.BENCHMARK_SEED`` on, so no benchmark video is seen in
training. Windows of ``WINDOW`` frames are cut at random from each edited video.
"""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np

from apps.video_analysis.data import load_real_shots
from apps.video_analysis.edits import generate_edit
from apps.video_analysis.shot_model import FRAME_SIZE, WINDOW, build_shot_detector

DEFAULT_WEIGHTS = Path(__file__).resolve().parent / "weights" / "shot_detector.keras"


def make_windows(videos: int, windows_per_video: int, seed: int, window: int = WINDOW,
                 frame_size=FRAME_SIZE, positive_weight: float = 2.0):
    """Arrays (x, y, sample_weight) of random windows from ``videos`` edits (seeds seed..)."""
    shots = load_real_shots(size=(frame_size[0] * 2, frame_size[1] * 2))
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for k in range(videos):
        edit = generate_edit(shots, seed + k, size=(frame_size[0] * 2, frame_size[1] * 2))
        small = np.stack([cv2.resize(f, frame_size, interpolation=cv2.INTER_AREA) for f in edit.frames])
        labels = edit.labels
        if len(small) < window:  # pad short edits with their last frame (label none)
            pad = window - len(small)
            small = np.concatenate([small, np.repeat(small[-1:], pad, 0)])
            labels = np.concatenate([labels, np.zeros(pad, labels.dtype)])
        for _ in range(windows_per_video):
            start = int(rng.integers(0, len(small) - window + 1))
            xs.append(small[start:start + window])
            ys.append(labels[start:start + window])
    x = np.stack(xs)
    y = np.stack(ys).astype("int32")
    weight = np.where(y > 0, positive_weight, 1.0).astype("float32")
    return x, y, weight


class WindowDataset:
    """Batches ``(frames, labels, sample_weight)`` for ``fit`` (a keras.utils.PyDataset)."""

    def __new__(cls, x, y, weight, batch_size=16, shuffle=True, seed=0):
        import keras

        class _Windows(keras.utils.PyDataset):
            def __init__(self):
                super().__init__()
                self.order = np.arange(len(x))
                self.rng = np.random.default_rng(seed)
                self.on_epoch_end()

            def __len__(self):
                return int(np.ceil(len(x) / batch_size))

            def __getitem__(self, index):
                rows = self.order[index * batch_size:(index + 1) * batch_size]
                return x[rows].astype("float32"), y[rows], weight[rows]

            def on_epoch_end(self):
                if shuffle:
                    self.rng.shuffle(self.order)

        return _Windows()


def train(out=DEFAULT_WEIGHTS, videos: int = 160, windows_per_video: int = 8, epochs: int = 12,
          batch_size: int = 16, seed: int = 0, checkpoint_dir=None, verbose="auto", filters=(8, 16, 32)) -> dict:
    """Train the detector; the epoch with the best validation loss is saved to ``out``.

    Returns the last epoch's training / validation metrics."""
    import keras

    keras.utils.set_random_seed(seed)
    start = time.time()
    x, y, w = make_windows(videos, windows_per_video, seed)
    xv, yv, wv = make_windows(max(8, videos // 8), 4, 5_000)
    model = build_shot_detector(filters=filters)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    best = keras.callbacks.ModelCheckpoint(out, monitor="val_loss", save_best_only=True)
    try:
        from shared.training import fit
    except ImportError:  # the shared trainer is optional for this one-off job
        fit = None
    train_data = WindowDataset(x, y, w, batch_size, shuffle=True, seed=seed)
    validation = WindowDataset(xv, yv, wv, batch_size, shuffle=False)
    if fit is not None:
        history = fit(model, train_data, validation=validation, epochs=epochs, batch_size=batch_size,
                      checkpoint_dir=checkpoint_dir, seed=seed, verbose=verbose, shuffle=False, callbacks=[best])
    else:
        history = model.fit(train_data, validation_data=validation, epochs=epochs, verbose=verbose,
                            callbacks=[best])
    metrics = {k: float(v[-1]) for k, v in history.history.items()}
    metrics["seconds"] = time.time() - start
    metrics["train_windows"] = int(len(x))
    return metrics


if __name__ == "__main__":
    import argparse
    import json

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default=str(DEFAULT_WEIGHTS))
    parser.add_argument("--videos", type=int, default=160)
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--checkpoint-dir", default=None)
    args = parser.parse_args()
    print(json.dumps(train(args.out, videos=args.videos, epochs=args.epochs, seed=args.seed,
                           checkpoint_dir=args.checkpoint_dir, verbose=2)))
