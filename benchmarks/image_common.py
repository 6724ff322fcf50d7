"""Helpers shared by the image benchmarks: per-epoch wall time and test accuracy."""

from __future__ import annotations

import time

import keras


class TimeToAccuracy(keras.callbacks.Callback):
    """Record wall time and the validation (test) accuracy at every epoch end; stop at a budget."""

    def __init__(self, budget_s=None):
        super().__init__()
        self.budget_s = budget_s
        self.rows = []
        self.start = None

    def on_train_begin(self, logs=None):
        self.start = time.time()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        row = {"epoch": epoch + 1, "seconds": round(time.time() - self.start, 1)}
        for key in ("accuracy", "val_accuracy", "loss", "val_loss"):
            if key in logs:
                row[key] = round(float(logs[key]), 5)
        self.rows.append(row)
        print(f"[time-to-accuracy] {row}", flush=True)
        if self.budget_s and time.time() - self.start > self.budget_s:
            print(f"[time-to-accuracy] budget of {self.budget_s} s reached; stopping", flush=True)
            self.model.stop_training = True

    def first_reaching(self, target):
        for row in self.rows:
            if row.get("val_accuracy", 0) >= target:
                return row["seconds"]
        return None
