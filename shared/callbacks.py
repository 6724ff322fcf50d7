"""Training callbacks every application shares: a wall-time budget and an epoch counter."""

from __future__ import annotations

import time

import keras
import numpy as np

_PROGRESS = {"epochs": None}


def completed_epochs() -> int | None:
    """Epochs the last training run in this process finished (None before any ran)."""
    return _PROGRESS["epochs"]


class EpochCounter(keras.callbacks.Callback):
    """Records finished epochs for the command line's Ctrl-C message ("resume from epoch N")."""

    def on_train_begin(self, logs=None):
        _PROGRESS["epochs"] = _PROGRESS["epochs"] or 0

    def on_epoch_end(self, epoch, logs=None):
        _PROGRESS["epochs"] = epoch + 1


class TimeBudget(keras.callbacks.Callback):
    """Stop training cleanly once ``seconds`` (or ``minutes``) of wall time have passed.

    The clock starts at ``on_train_begin`` and is read after every batch (``per="batch"``) or
    after every epoch (``per="epoch"``: the epoch that crosses the budget is finished).
    ``stopped`` tells afterwards whether the budget ended the run.

    With ``anneal`` the learning rate also follows a cosine from its starting value down to
    ``final_fraction`` of it over the budget: a time-limited run then ends at a low rate, as a
    step-planned cosine schedule would, although the number of steps is not known in advance.
    """

    def __init__(self, minutes: float | None = None, *, seconds: float | None = None, per: str = "batch",
                 anneal: bool = False, final_fraction: float = 0.01, verbose: bool = False):
        super().__init__()
        if minutes is not None and seconds is not None:
            raise ValueError("The 'minutes' and 'seconds' parameters of TimeBudget are exclusive; got both.")
        if per not in ("batch", "epoch"):
            raise ValueError(f"The 'per' parameter of TimeBudget must be one of ['batch', 'epoch']; got {per!r}.")
        if minutes is not None:
            seconds = float(minutes) * 60.0
        if anneal and not seconds:
            raise ValueError("annealing the learning rate over the time budget needs a budget (--max-minutes).")
        self.seconds = None if seconds is None else float(seconds)
        self.per = per
        self.anneal = anneal
        self.final_fraction = float(final_fraction)
        self.verbose = verbose
        self.start = None
        self.stopped = False
        self.initial_learning_rate = None

    def elapsed(self) -> float:
        return 0.0 if self.start is None else time.perf_counter() - self.start

    def learning_rate_at(self, elapsed_seconds: float) -> float:
        progress = min(max(elapsed_seconds / self.seconds, 0.0), 1.0)
        cosine = 0.5 * (1.0 + np.cos(np.pi * progress))
        return self.initial_learning_rate * (self.final_fraction + (1.0 - self.final_fraction) * cosine)

    def on_train_begin(self, logs=None):
        self.start = time.perf_counter()
        if self.anneal and self.initial_learning_rate is None:
            self.initial_learning_rate = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))

    def on_train_batch_begin(self, batch, logs=None):
        if self.anneal:
            self.model.optimizer.learning_rate = self.learning_rate_at(self.elapsed())

    def _check(self):
        if self.seconds is not None and self.elapsed() > self.seconds:
            if not self.stopped and self.verbose:
                print(f"time budget of {self.seconds:g} s reached; stopping", flush=True)
            self.model.stop_training = True
            self.stopped = True

    def on_train_batch_end(self, batch, logs=None):
        if self.per == "batch":
            self._check()

    def on_epoch_end(self, epoch, logs=None):
        self._check()
