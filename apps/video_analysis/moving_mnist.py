"""Moving-MNIST-style clips from the real MNIST digits: classify the digit and its motion.

Each clip shows one real MNIST digit (shrunk to ``digit_size``) sliding across a black
canvas in one of four directions. The class is ``"<digit>_<motion>"`` (40 classes), or just
the digit or the motion with ``task``. A single frame shows the digit but never the motion,
so a clip model must use time.
"""

from __future__ import annotations

import cv2
import numpy as np

from shared.data import load_mnist

MOTIONS = ("left", "right", "up", "down")
TASKS = ("digit_motion", "digit", "motion")


def class_names(task: str = "digit_motion") -> list[str]:
    if task == "digit_motion":
        return [f"{d}_{m}" for d in range(10) for m in MOTIONS]
    if task == "digit":
        return [str(d) for d in range(10)]
    if task == "motion":
        return list(MOTIONS)
    raise ValueError(f"Unknown task {task!r}; expected one of {TASKS}.")


def generate(count: int, frames: int = 8, size: int = 32, digit_size: int = 18, task: str = "digit_motion",
             split: str = "train", seed: int = 0):
    """(clips (count, frames, size, size, 1) float32 in [0, 1], labels (count,), class names)."""
    names = class_names(task)
    if split == "train":  # the first max(count, 1000) training digits
        limit = max(count, 1000)
        digits, digit_labels = load_mnist("train", rows_needed=limit)
        digits, digit_labels = digits[:limit], digit_labels[:limit]
    else:
        digits, digit_labels = load_mnist(split)
    rng = np.random.default_rng(seed)
    clips = np.zeros((count, frames, size, size, 1), np.float32)
    labels = np.zeros(count, np.int64)
    travel = size - digit_size
    for i in range(count):
        pick = int(rng.integers(len(digits)))
        digit = cv2.resize(digits[pick], (digit_size, digit_size), interpolation=cv2.INTER_AREA) / 255.0
        motion = int(rng.integers(len(MOTIONS)))
        speed = rng.uniform(0.6, 1.0) * travel / max(1, frames - 1)
        along = rng.uniform(0, travel - speed * (frames - 1) + 1e-6)
        across = int(rng.integers(0, travel + 1))
        for t in range(frames):
            position = along + speed * t
            if MOTIONS[motion] in ("left", "up"):
                position = travel - position
            p = int(round(np.clip(position, 0, travel)))
            y, x = (across, p) if MOTIONS[motion] in ("left", "right") else (p, across)
            clips[i, t, y:y + digit_size, x:x + digit_size, 0] = digit
        d = int(digit_labels[pick])
        labels[i] = {"digit_motion": d * len(MOTIONS) + motion, "digit": d, "motion": motion}[task]
    return clips, labels, names
