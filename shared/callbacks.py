"""Training callbacks every application shares: a wall-time budget, early stopping and best-model
saving that survive a resume, and the progress record behind the command line's Ctrl-C and
resume messages."""

from __future__ import annotations

import time

import keras
import numpy as np

# What the training runs of this command did, for shared.cli: "epochs" is how many finished
# epochs a rerun continues after (they are in a checkpoint), "unsaved_epochs" how many finished
# without a checkpoint, "resumed_from_epoch" the epoch a run resumed from (None: started fresh),
# "checkpointed" whether any run kept checkpoints.
_PROGRESS = {"epochs": None, "unsaved_epochs": None, "resumed_from_epoch": None, "checkpointed": False}


def reset_progress() -> None:
    """Forget earlier training runs (``shared.cli.run`` calls it before each command)."""
    _PROGRESS.update(epochs=None, unsaved_epochs=None, resumed_from_epoch=None, checkpointed=False)


def completed_epochs() -> int | None:
    """Finished epochs a rerun of the last training run resumes after (None: nothing to resume)."""
    return _PROGRESS["epochs"]


def unsaved_epochs() -> int | None:
    """Finished epochs of the last training run that kept no checkpoint (a rerun starts over)."""
    return _PROGRESS["unsaved_epochs"]


def resumed_from_epoch() -> int | None:
    """The (1-based) epoch a training run of this command resumed from; None when none resumed."""
    return _PROGRESS["resumed_from_epoch"]


def checkpointed() -> bool:
    """Whether a training run of this command kept resumable checkpoints."""
    return bool(_PROGRESS["checkpointed"])


def note_training_start(keeps_checkpoints: bool, resumed_from: int | None = None) -> None:
    """Record a training run's start: whether it checkpoints and the epoch it resumes from."""
    if keeps_checkpoints:
        _PROGRESS["checkpointed"] = True
        if resumed_from is not None and _PROGRESS["resumed_from_epoch"] is None:
            _PROGRESS["resumed_from_epoch"] = int(resumed_from)
        if resumed_from is not None:
            _PROGRESS["epochs"] = int(resumed_from) - 1


def note_epoch_saved(epochs: int) -> None:
    """Record that ``epochs`` finished epochs are in a checkpoint."""
    _PROGRESS["epochs"] = int(epochs)


def note_epoch_unsaved(epochs: int) -> None:
    """Record that ``epochs`` epochs finished without a checkpoint."""
    _PROGRESS["unsaved_epochs"] = int(epochs)


class EpochCounter(keras.callbacks.Callback):
    """Records finished epochs for the command line's Ctrl-C message ("resume from epoch N").

    ``shared.training.fit`` records them itself, once each epoch's checkpoint is written; a
    trainer that calls ``model.fit`` directly and saves its own checkpoints adds this callback.
    """

    def on_epoch_end(self, epoch, logs=None):
        note_epoch_saved(epoch + 1)


class ResumableEarlyStopping(keras.callbacks.EarlyStopping):
    """``keras.callbacks.EarlyStopping`` whose state survives a resume of ``shared.training.fit``.

    The best value and epoch, the patience count and (with ``restore_best_weights``) the best
    weights go into each checkpoint, so a run interrupted and resumed stops at the same epoch
    and restores the same weights as an uninterrupted one. The arguments are Keras'.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._restored = None

    def get_resume_state(self) -> dict:
        best = self.best
        return {
            "wait": int(self.wait), "best": None if best is None else float(best),
            "best_epoch": int(self.best_epoch), "stopped_epoch": int(self.stopped_epoch),
            "best_weights": None if self.best_weights is None else [np.asarray(w) for w in self.best_weights],
        }

    def set_resume_state(self, state: dict) -> None:
        # Applied in on_train_begin, which Keras' EarlyStopping uses to reset its state.
        self._restored = state

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        if self._restored:
            state = self._restored
            self.wait, self.best = int(state["wait"]), state["best"]
            self.best_epoch, self.stopped_epoch = int(state["best_epoch"]), int(state["stopped_epoch"])
            self.best_weights = state.get("best_weights")


class ResumableModelCheckpoint(keras.callbacks.ModelCheckpoint):
    """``keras.callbacks.ModelCheckpoint`` whose best value survives a resume of ``shared.training.fit``.

    With ``save_best_only`` a resumed run then saves the file at the same epochs as an
    uninterrupted one, instead of taking its first epoch after the resume for the best.
    """

    def get_resume_state(self) -> dict:
        return {"best": None if self.best is None else float(self.best)}

    def set_resume_state(self, state: dict) -> None:
        self.best = state["best"]


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
