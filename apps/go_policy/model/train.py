"""Train and evaluate move prediction: SGF sources -> shards -> policy network -> metrics."""

from __future__ import annotations

import json
import time
from pathlib import Path

import keras
import numpy as np
from sklearn.metrics import accuracy_score, top_k_accuracy_score

from apps.go_policy.model.data import (
    PHASES,
    encode_dataset,
    load_positions,
    phase_of,
    predict_with_symmetries,
    shard_paths,
)
from apps.go_policy.model.dataset import PositionDataset
from apps.go_policy.model.features import FeatureEncoder
from apps.go_policy.model.network import (
    build_policy_network,
    check_ema_momentum,
    extend_input_planes,
    with_dtype_policy,
)
from shared.callbacks import TimeBudget
from shared.runtime import predict_in_batches


class Throughput(keras.callbacks.Callback):
    """Count training positions per second of training wall time.

    The clock runs from each epoch's start to its last batch's end, so it includes
    waiting for data and excludes validation. (Timing single batches would not do: the
    JAX backend returns from a step before the device has finished it.)
    """

    def __init__(self, batch_size: int):
        super().__init__()
        self.batch_size = batch_size
        self.batches = 0
        self.seconds = 0.0
        self._epoch_start = None
        self._last_batch_end = None

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = self._last_batch_end = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self._last_batch_end = time.perf_counter()
        self.batches += 1

    def on_epoch_end(self, epoch, logs=None):  # Keras calls it also for an epoch cut short by TimeBudget
        self.seconds += self._last_batch_end - self._epoch_start

    @property
    def positions(self) -> int:
        return self.batches * self.batch_size

    @property
    def positions_per_s(self) -> float:
        return self.positions / self.seconds if self.seconds else 0.0


def game_bootstrap_interval(correct, games, confidence: float = 0.95, resamples: int = 2000,
                            seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of ``correct``, resampling whole games.

    The moves of one game share its players and its style, so they are not independent:
    resampling positions would give too narrow an interval for a test set of a few hundred
    games. This resamples the games (with their positions) instead.
    """
    correct, games = np.asarray(correct, float), np.asarray(games)
    if correct.shape != games.shape or not len(correct):
        raise ValueError(f"correct and games must be non-empty and of one length, got {correct.shape} "
                         f"and {games.shape}")
    _, group = np.unique(games, return_inverse=True)
    hits, counts = np.bincount(group, weights=correct), np.bincount(group)
    chosen = np.random.default_rng(seed).integers(0, len(counts), (resamples, len(counts)))
    rates = hits[chosen].sum(axis=1) / counts[chosen].sum(axis=1)
    tail = (1.0 - confidence) / 2 * 100
    low, high = np.percentile(rates, [tail, 100 - tail])
    return float(low), float(high)


def paired_top1_difference(correct_base, correct_other, games) -> dict:
    """Top-1 of ``other`` minus top-1 of ``base`` on the same positions, games resampled.

    Two networks scored on the same positions share most of the spread of their separate
    intervals (hard games are hard for both), so the interval of the difference is several
    times narrower and says whether a candidate really beats the preset.
    """
    base, other = np.asarray(correct_base, bool), np.asarray(correct_other, bool)
    if base.shape != other.shape:
        raise ValueError(f"correct_base and correct_other must score the same positions, got {base.shape} "
                         f"and {other.shape}")
    difference = other.astype(float) - base.astype(float)
    low, high = game_bootstrap_interval(difference, games)
    return {"difference": float(difference.mean()), "difference_ci95": [low, high],
            "only_base_right": int((difference < 0).sum()), "only_other_right": int((difference > 0).sum())}


def move_prediction_metrics(probabilities: np.ndarray, labels: np.ndarray, move_numbers=None, games=None) -> dict:
    """Top-1 and top-5 accuracy (scikit-learn), overall and by game phase.

    With ``games`` (the game of each position) also ``top1_ci95``: a 95% interval for
    top-1 by resampling games (``game_bootstrap_interval``).
    """
    labels = np.asarray(labels)
    classes = np.arange(probabilities.shape[1])
    metrics = {
        "positions": int(len(labels)),
        "top1": float(accuracy_score(labels, probabilities.argmax(axis=1))),
        "top5": float(top_k_accuracy_score(labels, probabilities, k=5, labels=classes)),
    }
    if games is not None:
        metrics["top1_ci95"] = list(game_bootstrap_interval(probabilities.argmax(axis=1) == labels, games))
    if move_numbers is not None:
        phases = phase_of(move_numbers)
        by_phase = {}
        for phase, (low, high) in PHASES.items():
            chosen = phases == phase
            if chosen.any():
                by_phase[phase] = {
                    "moves": f"{low}-{high}" if high < 10_000 else f"{low}+",
                    "positions": int(chosen.sum()),
                    "top1": float(accuracy_score(labels[chosen], probabilities[chosen].argmax(axis=1))),
                    "top5": float(top_k_accuracy_score(labels[chosen], probabilities[chosen], k=5, labels=classes)),
                }
        metrics["by_phase"] = by_phase
    return metrics


def positions_of(sources, features, max_games=None, skip_games=0, max_positions=None, split="all", workers=2,
                 progress=True, size=19):
    """((x, y, move numbers, games), dataset report) of the ``size`` x ``size`` games of ``sources``,
    encoded (cached).

    ``split="all"`` uses every game (for held-out archives, e.g. a shard not used for
    training); ``"test"`` / ``"validation"`` use that split only.
    """
    fractions = {"validation": 0.0, "test": 0.0} if split == "all" else {"validation": 0.05, "test": 0.05}
    manifest = encode_dataset(sources, features=features, workers=workers, max_games=max_games,
                              skip_games=skip_games, progress=progress, sizes=(size,), **fractions)
    splits = ["train", "validation", "test"] if split == "all" else [split]
    paths = [p for s in splits for p in shard_paths(manifest, s)]
    if not paths:
        raise ValueError(f"no {size}x{size} positions in split {split!r} of {', '.join(map(str, sources))}"
                         f"{_skipped_hint(manifest['report'])}")
    return load_positions(paths, max_positions, return_games=True), manifest["report"]


def _skipped_hint(report: dict) -> str:
    """What the dataset report says was skipped, and --size when the games were of another size."""
    skipped = report.get("skipped_by_reason") or {}
    if not skipped:
        return ""
    hint = "; skipped games by reason: " + ", ".join(f"{reason} {count}" for reason, count in skipped.items())
    if "unsupported board size" in skipped:
        hint += " (--size chooses the board size: 9, 13 or 19)"
    return hint


def evaluate_policy(model, sources, max_games=None, max_positions=None, split="all", workers=2,
                    batch_size=1024, progress=True, symmetries=1, skip_games=0, size=19) -> dict:
    """Move-prediction accuracy of ``model`` on the ``size`` x ``size`` games of ``sources``.

    ``symmetries`` > 1 averages the network's output over that many board symmetries
    (``predict_with_symmetries``), at that many times the cost.

    ``split``: which games of the sources, as in ``positions_of``.
    """
    features = getattr(model, "features", None) or "small"
    (x, y, numbers, games), report = positions_of(sources, features, max_games=max_games, skip_games=skip_games,
                                                  max_positions=max_positions, split=split, workers=workers,
                                                  progress=progress, size=size)
    start = time.perf_counter()
    probabilities = predict_with_symmetries(lambda b: predict_in_batches(model, b, batch_size), x, symmetries)
    seconds = time.perf_counter() - start
    metrics = move_prediction_metrics(probabilities, y, numbers, games=games)
    metrics["symmetries"] = int(symmetries)
    metrics["games"] = report
    metrics["predict_positions_per_s"] = round(len(y) / max(seconds, 1e-9), 1)
    return metrics


def train_policy(sources, out, features=None, depth=6, filters=48, batch_size=128, epochs=10,
                 steps_per_epoch=None, max_games=None, max_minutes=None, learning_rate=1e-3,
                 workers=2, seed=0, validation_positions=4096, test_positions=20000,
                 progress=True, verbose="auto", command=None, anneal=False, loader_workers=1,
                 init_model=None, mixed_precision=False, skip_games=0, ema_momentum=None,
                 device_augmentation=False, size=19, resume=True, precision=None) -> dict:
    """Encode ``sources``, train a policy network, save ``out/policy.keras`` and metrics.

    Returns a summary with validation and test top-1 / top-5, training and encoding
    throughput and the dataset report. Checkpoints in ``out/checkpoints`` let a
    rerun with the same arguments resume and end as an uninterrupted run would (except for
    ``anneal``, whose learning rate follows the wall clock); ``resume=False`` starts over.

    ``features`` defaults to ``"small"``. ``init_model`` (a saved policy network) continues
    training it: its architecture replaces ``depth`` and ``filters``, and its features
    ``features`` unless that names a superset of them (``extend_input_planes``: the new
    planes start with zero weights); with ``skip_games`` it can
    train on games after the ones it has seen. ``precision`` is the dtype policy to train
    under (``"float32"``, ``"mixed_bfloat16"``); without it ``mixed_precision`` trains in mixed
    bfloat16 (float16 on a GPU). The saved model computes in float32 either way.
    ``ema_momentum`` (e.g. 0.999) saves the exponential moving average of the weights
    instead of the last ones; the per-epoch validation in the log is of the last weights,
    the summary's ``validation`` and ``test`` of the saved (averaged) ones.
    ``device_augmentation`` feeds bit-packed planes and unpacks and turns them in the
    graph (``SymmetryTrainer``), so a GPU does not wait for the batch-loading threads.
    ``size`` picks the games of that board size (the network itself takes any size).
    """
    from shared.training import fit, mixed_precision_policy

    budget = TimeBudget(max_minutes, anneal=anneal)  # checks its arguments before the long encode
    check_ema_momentum(ema_momentum)
    base = None
    if init_model is not None:
        from apps.go_policy.play.engine import load_policy

        base = load_policy(init_model)
        if features is not None and FeatureEncoder(features).groups != list(base.features):
            base = extend_input_planes(base, features)
        features = base.features
        depth, filters = base.depth, base.filters
    features = "small" if features is None else features
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    keras.utils.set_random_seed(seed)
    manifest = encode_dataset(sources, features=features, workers=workers, max_games=max_games,
                              skip_games=skip_games, progress=progress, sizes=(size,))
    train_paths = shard_paths(manifest, "train")
    if not train_paths:
        raise ValueError(f"no {size}x{size} training positions were encoded from {sources}: {manifest['report']}"
                         f"{_skipped_hint(manifest['report'])}")
    train_data = PositionDataset(train_paths, batch_size=batch_size, augment=not device_augmentation, seed=seed,
                                 max_batches=steps_per_epoch, workers=loader_workers, packed=device_augmentation)
    validation = None
    validation_paths = shard_paths(manifest, "validation")
    if validation_paths:
        x_val, y_val, _ = load_positions(validation_paths, validation_positions)
        validation = (x_val, y_val)
    dtype_policy = precision or (mixed_precision_policy() if mixed_precision else "float32")
    if base is None:
        base = build_policy_network(features, depth=depth, filters=filters, trained_size=size,
                                    learning_rate=learning_rate)
    model = with_dtype_policy(base, dtype_policy, learning_rate=learning_rate, ema_momentum=ema_momentum)
    throughput = Throughput(batch_size)
    start = time.perf_counter()
    trained, fit_validation = model, validation
    if device_augmentation:
        from apps.go_policy.model.augmentation import SymmetryTrainer
        from apps.go_policy.model.data import pack

        trained = SymmetryTrainer(model, seed=seed)
        fit_validation = None if validation is None else (pack(validation[0]), validation[1])
    history = fit(trained, train_data, validation=fit_validation, epochs=epochs, batch_size=batch_size,
                  checkpoint_dir=out / "checkpoints", log_dir=out, seed=seed,
                  callbacks=[budget, throughput], verbose=verbose, resume=resume)
    train_seconds = time.perf_counter() - start
    model_path = out / "policy.keras"
    model = with_dtype_policy(model, "float32") if dtype_policy != "float32" else model
    model.save(model_path)
    summary = {
        "model": str(model_path), "features": manifest["features"], "planes": manifest["planes"],
        "depth": depth, "filters": filters, "parameters": int(model.count_params()),
        "init_model": None if init_model is None else str(init_model), "skip_games": int(skip_games),
        "dtype_policy_while_training": dtype_policy, "precision": dtype_policy,
        "device_augmentation": bool(device_augmentation),
        "batch_size": batch_size, "learning_rate": learning_rate, "anneal_over_time_budget": anneal,
        "ema_momentum": ema_momentum,
        "epochs_run": len(history.history.get("loss", [])),
        "stopped_by_time_budget": budget.stopped, "train_seconds": round(train_seconds, 1),
        "train_positions_seen_this_run": throughput.positions,
        "train_positions_per_s": round(throughput.positions_per_s, 1),
        "encode_positions_per_s": manifest["positions_per_s"], "positions": manifest["positions"],
        "games": manifest["games"], "dataset": manifest["report"],
        "history": {k: [float(v) for v in values] for k, values in history.history.items()},
        "command": command,
    }
    test_paths = shard_paths(manifest, "test")
    if test_paths:
        x_test, y_test, n_test = load_positions(test_paths, test_positions)
        summary["test"] = move_prediction_metrics(predict_in_batches(model, x_test), y_test, n_test)
    if validation is not None:
        summary["validation"] = move_prediction_metrics(predict_in_batches(model, validation[0]), validation[1])
    (out / "summary.json").write_text(json.dumps(summary, indent=1))
    return summary
