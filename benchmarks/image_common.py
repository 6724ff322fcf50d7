"""Helpers the image benchmarks share: the accuracy-vs-time curve, CIFAR-10 test scoring and a
model's arithmetic per image."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import keras

from shared.callbacks import TimeBudget

TTA_REFERENCES = {
    "test_accuracy_flip_tta": "airbench94 (Jordan 2024, with flip TTA): 0.94",
    "test_accuracy_flip_translate_tta": "airbench94 (Jordan 2024, its flip + 1-pixel translate TTA): 0.94",
}


class TimeToAccuracy(keras.callbacks.Callback):
    """Record wall time and the validation (test) accuracy at every epoch end.

    With ``path`` the rows are also written there after each epoch, and a run that resumes reads
    them back: its clock goes on from the last recorded epoch's time, and an epoch done again
    replaces its row, so a run stopped and resumed keeps one curve from its first epoch.
    """

    def __init__(self, path=None):
        super().__init__()
        self.path = None if path is None else Path(path)
        self.rows = []
        self.epochs_before = 0  # epochs a resumed run found recorded
        self.start = None

    def on_train_begin(self, logs=None):
        if self.path is not None and self.path.exists():
            self.rows = json.loads(self.path.read_text())
        self.epochs_before = len(self.rows)
        self.start = time.time() - (self.rows[-1]["seconds"] if self.rows else 0.0)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        row = {"epoch": epoch + 1, "seconds": round(time.time() - self.start, 1)}
        for key in ("accuracy", "val_accuracy", "loss", "val_loss"):
            if key in logs:
                row[key] = round(float(logs[key]), 5)
        self.rows = [kept for kept in self.rows if kept["epoch"] < row["epoch"]] + [row]
        if self.path is not None:
            self.path.write_text(json.dumps(self.rows, indent=1) + "\n")
        print(f"[time-to-accuracy] {row}", flush=True)

    def first_reaching(self, target):
        """Seconds at the first epoch end whose validation accuracy reached ``target`` (None: never)."""
        for row in self.rows:
            if row.get("val_accuracy", 0) >= target:
                return row["seconds"]
        return None


def timed_callbacks(budget_s=None, path=None):
    """``(recorder, callbacks)``: a :class:`TimeToAccuracy` (keeping its curve in ``path``, if
    given) and, with ``budget_s``, a ``shared.callbacks.TimeBudget`` that ends training at the
    first epoch end past the budget."""
    recorder = TimeToAccuracy(path)
    callbacks = [recorder]
    if budget_s:
        callbacks.append(TimeBudget(seconds=budget_s, per="epoch", verbose=True))
    return recorder, callbacks


def forward_flops_per_image(model) -> int:
    """Floating-point operations (two per multiply-add) of one image's forward pass through the
    convolution, whitening and dense layers of ``model``, nested models included. Training costs
    about three times this (forward, and the two products of the backward pass)."""
    from apps.image_recognition.airbench import PatchWhitening

    total = 0
    for layer in model._flatten_layers(include_self=False, recursive=True):
        if isinstance(layer, (keras.layers.Conv2D, PatchWhitening)):
            positions = math.prod(int(size) for size in layer.output.shape[1:-1])
            # a grouped kernel is already (h, w, inputs / groups, filters)
            total += 2 * positions * math.prod(int(size) for size in layer.kernel.shape)
        elif isinstance(layer, keras.layers.Dense):
            total += 2 * int(layer.kernel.shape[0]) * int(layer.kernel.shape[1])
    return total


def score_cifar10_test_set(model):
    """CIFAR-10 test accuracy without TTA, with flip TTA and with airbench's flip + translate TTA."""
    from sklearn.metrics import accuracy_score

    from apps.image_recognition import data as image_data
    from apps.image_recognition.tta import tta_probabilities

    test = image_data.load_cifar10()
    probabilities = tta_probabilities(model, test.x_test, batch_size=512)
    return {f"test_accuracy{suffix}": round(float(accuracy_score(test.y_test, probabilities[mode].argmax(axis=1))), 5)
            for suffix, mode in (("", "none"), ("_flip_tta", "flip"), ("_flip_translate_tta", "flip_translate"))}
