"""Training: the shot-boundary detector on generated edits, and the clip classifiers.

The detector learns from edits of the real clips with seeds 0..N-1; the benchmark uses seeds
from ``edits.BENCHMARK_SEED`` on, so no benchmark video is seen in training. Windows of
``WINDOW`` frames are cut at random from each edited video.
"""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import keras
import numpy as np

from apps.video_analysis.data import load_real_shots
from apps.video_analysis.edits import generate_edit
from apps.video_analysis.models import FRAME_SIZE, WINDOW, build_clip_classifier, build_shot_detector
from shared.callbacks import ResumableModelCheckpoint
from shared.training import ArrayDataset, fit, save_float32


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


class WindowDataset(ArrayDataset):
    """Batches ``(frames, labels, sample_weight)`` of windows for ``fit``, reshuffled every epoch.

    The order depends only on ``(seed, epoch)`` (``ArrayDataset``), so a resumed run sees the
    same batches as an uninterrupted one; frames are stored compactly and cast per batch.
    """

    def __init__(self, x, y, weight, batch_size=16, shuffle=True, seed=0):
        super().__init__(x, y, weight, batch_size=batch_size, shuffle=shuffle, seed=seed)

    def __getitem__(self, index):
        frames, labels, weight = super().__getitem__(index)
        return frames.astype("float32"), labels, weight


def train_shot_detector(out="runs/shot_detector.keras", videos: int = 160, windows_per_video: int = 8,
                        epochs: int = 12, batch_size: int = 16, seed: int = 0, checkpoint_dir=None, verbose="auto",
                        filters=(8, 16, 32), resume=True) -> dict:
    """Train the detector; the epoch with the best validation loss is saved to ``out``.

    The shipped preset's file is written only when ``out`` names it (its recipe does; the preset's
    metadata records the file's checksum). With ``checkpoint_dir`` a rerun resumes and ends as an
    uninterrupted run would (``resume=False`` starts over). The model is built under the global
    dtype policy and saved computing in float32 either way. Returns the last epoch's training /
    validation metrics and the policy it trained under (``precision``)."""

    keras.utils.set_random_seed(seed)
    start = time.time()
    x, y, w = make_windows(videos, windows_per_video, seed)
    xv, yv, wv = make_windows(max(8, videos // 8), 4, 5_000)
    model = build_shot_detector(filters=filters)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    best = ResumableModelCheckpoint(out, monitor="val_loss", save_best_only=True)
    train_data = WindowDataset(x, y, w, batch_size, shuffle=True, seed=seed)
    validation = WindowDataset(xv, yv, wv, batch_size, shuffle=False)
    history = fit(model, train_data, validation=validation, epochs=epochs, batch_size=batch_size,
                  checkpoint_dir=checkpoint_dir, seed=seed, verbose=verbose, shuffle=False, callbacks=[best],
                  resume=resume)
    if model.dtype_policy.name != "float32" and out.is_file():  # the best epoch, saved under the mixed policy
        save_float32(keras.saving.load_model(out), out)
    metrics = {k: float(v[-1]) for k, v in history.history.items()}
    metrics["seconds"] = time.time() - start
    metrics["train_windows"] = int(len(x))
    metrics["precision"] = model.dtype_policy.name
    return metrics



def train_clip_classifier(x, y, num_classes: int, validation=None, arch: str = "td", epochs: int = 5,
                          batch_size: int = 32, seed: int = 0, verbose="auto"):
    """Build a clip classifier (:func:`~apps.video_analysis.models.build_clip_classifier`) and train it.

    ``x``: clips (N, frames, height, width, channels) in [0, 1]; ``y``: class indices. Without
    ``validation`` data, a fifth of the clips is held out (stratified when every class has at
    least two clips and there are enough clips). Returns ``(model, metrics)``: the last
    epoch's training / validation metrics, the clip counts and the training seconds.
    """
    from sklearn.model_selection import train_test_split

    if validation is None:
        stratify = y if min(np.bincount(y)) >= 2 and len(y) >= 2 * num_classes else None
        x, xv, y, yv = train_test_split(x, y, test_size=0.2, random_state=seed, stratify=stratify)
        validation = (xv, yv)
    model = build_clip_classifier(x.shape[1:], num_classes, arch=arch)
    start = time.perf_counter()
    history = fit(model, (x, y), validation=validation, epochs=epochs, batch_size=batch_size, seed=seed,
                  verbose=verbose)
    seconds = time.perf_counter() - start
    metrics = {k: float(v[-1]) for k, v in history.history.items()}
    metrics.update({"train_clips": int(len(x)), "validation_clips": int(len(validation[1])),
                    "seconds": round(seconds, 2)})
    return model, metrics
