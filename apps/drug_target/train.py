"""Train DeepDTA models on :class:`data.PairData`.

Training runs the entity view of the model on :class:`batching.EntityBatches` through
``shared.training.fit`` (checkpoints with resume, seeds); the per-pair model shares its
variables and is the one that is saved. ``entity_batched=False`` trains the plain
per-pair model instead (the reference implementation). The model trains as it is
compiled: a new task uses Adam at 1e-3 and the task's loss; call
``model.compile(optimizer=keras.optimizers.Adam(rate))`` first for another rate.
"""

from __future__ import annotations

import csv
import json
import sys
import time
from pathlib import Path

import keras
import numpy as np

from apps.drug_target.batching import EntityBatches, PairBatches
from apps.drug_target.data import load_dataset
from apps.drug_target.encoders import encode_entities
from apps.drug_target.metrics import score
from apps.drug_target.model import build_deepdta, entity_view, input_lengths
from apps.drug_target.predict import evaluate, predict_entities
from apps.drug_target.presets import preset_record
from shared import training as shared_training
from shared.callbacks import TimeBudget

CONFIG_FILE = "dta_config.json"


class PairMetricsLogger(keras.callbacks.Callback):
    """Per epoch: validation CI/MSE (or AUROC/AUPRC) and epoch time; a CSV log; the best epoch.

    With ``restore_best`` the weights of the best validation epoch (lowest MSE, or highest
    AUROC) are put back into ``pair_model`` when training ends. The records and the best epoch
    (its weights too) go into ``shared.training.fit``'s checkpoints, so a resumed run logs and
    restores as an uninterrupted one.
    """

    def __init__(self, pair_model, task, validation, log_path=None, restore_best=False):
        super().__init__()
        self.pair_model, self.task, self.validation = pair_model, task, validation
        self.log_path = Path(log_path) if log_path else None
        self.restore_best = restore_best and validation is not None
        # Model selection on the validation split: lowest MSE, or highest AUROC.
        self.monitor = "val_mse" if task == "affinity" else "val_auroc"
        self.best_value, self.best_epoch, self._best_weights = None, None, None
        self.records = []
        self.resumed_records = 0  # records of epochs run before a resume
        self._epoch_start = None

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        seconds = time.perf_counter() - self._epoch_start
        record = {"epoch": epoch + 1, "seconds": round(seconds, 3)}
        record.update({k: float(v) for k, v in (logs or {}).items()})
        if self.validation is not None:
            s_tok, p_tok, d_idx, p_idx, y = self.validation
            predictions = predict_entities(self.pair_model, s_tok, p_tok, d_idx, p_idx)
            for key, value in score(self.task, y, predictions).items():
                if key != "n":
                    record[f"val_{key}"] = value
        self.records.append(record)
        value = record.get(self.monitor)
        if self.restore_best and value is not None and np.isfinite(value):
            better = (self.best_value is None or
                      (value < self.best_value if self.monitor == "val_mse" else value > self.best_value))
            if better:
                self.best_value, self.best_epoch = value, epoch + 1
                self._best_weights = self.pair_model.get_weights()
        shown = ", ".join(f"{k}={v:.4f}" for k, v in record.items() if k.startswith("val_") or k == "loss")
        print(f"epoch {epoch + 1}: {seconds:.1f}s {shown}", flush=True)
        if self.log_path:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            keys = sorted({k for r in self.records for k in r}, key=lambda k: (k != "epoch", k))
            with open(self.log_path, "w", newline="") as handle:
                writer = csv.DictWriter(handle, fieldnames=keys)
                writer.writeheader()
                writer.writerows(self.records)

    def get_resume_state(self):
        return {"records": self.records, "best_value": self.best_value, "best_epoch": self.best_epoch,
                "best_weights": self._best_weights}

    def set_resume_state(self, state):
        self.records = [dict(record) for record in state["records"]]
        self.resumed_records = len(self.records)
        self.best_value, self.best_epoch = state["best_value"], state["best_epoch"]
        self._best_weights = state["best_weights"]

    def on_train_end(self, logs=None):
        if self.restore_best and self._best_weights is not None:
            print(f"restoring the weights of epoch {self.best_epoch} ({self.monitor}={self.best_value:.4f})",
                  flush=True)
            self.pair_model.set_weights(self._best_weights)


def _trainee(model, smiles_tokens, protein_tokens, drug_index, protein_index, y, entity_batched, batch_pairs,
             seed):
    """The model to fit (the entity view or ``model`` itself) and its batches."""
    if entity_batched:
        return entity_view(model), EntityBatches(smiles_tokens, protein_tokens, drug_index, protein_index, y,
                                                 batch_pairs=batch_pairs, seed=seed)
    return model, PairBatches(smiles_tokens, protein_tokens, drug_index, protein_index, y,
                              batch_size=batch_pairs, seed=seed)


def train(model, pair_data, train_indices, valid_indices=None, epochs=10, batch_pairs=512,
          entity_batched=True, seed=0, checkpoint_dir=None, log_path=None,
          time_budget_s=None, verbose="auto", restore_best=True, resume=True):
    """Train ``model`` (a :func:`model.build_deepdta` task, as compiled) on pairs; returns the records.

    ``time_budget_s`` stops training after the epoch that crosses it. With ``checkpoint_dir``
    a rerun resumes (after a time budget's stop too) and ends as an uninterrupted run would
    (``resume=False`` starts over). Returns
    ``{"records": per-epoch dicts, "seconds": wall time, "pairs_per_second": ...,
    "encoding": truncation counts, ...}``; after a resume ``records`` and ``epochs_run`` include
    the epochs run before it, ``epochs_this_run`` counts only this call's.
    """
    if len(train_indices) == 0:
        raise ValueError("The training split is empty.")
    smiles_tokens, protein_tokens, info = encode_entities(pair_data, *input_lengths(model))
    d, p, y = pair_data.drug_index, pair_data.protein_index, pair_data.y
    train_indices = np.asarray(train_indices)
    validation = None
    if valid_indices is not None and len(valid_indices):
        valid_indices = np.asarray(valid_indices)
        validation = (smiles_tokens, protein_tokens, d[valid_indices], p[valid_indices], y[valid_indices])
    trainee, dataset = _trainee(model, smiles_tokens, protein_tokens, d[train_indices], p[train_indices],
                                y[train_indices], entity_batched, batch_pairs, seed)
    logger = PairMetricsLogger(model, pair_data.task, validation, log_path, restore_best)
    callbacks = [logger]
    if time_budget_s is not None:
        callbacks.append(TimeBudget(seconds=time_budget_s, per="epoch", verbose=True))
    start = time.perf_counter()
    shared_training.fit(trainee, dataset, epochs=epochs, seed=seed, checkpoint_dir=checkpoint_dir,
                        callbacks=callbacks, verbose=verbose, save_model=False, resume=resume)
    seconds = time.perf_counter() - start
    epoch_seconds = [r["seconds"] for r in logger.records]
    # Steady-state throughput: skip the first epoch (tracing/compilation) when possible.
    steady = epoch_seconds[1:] or epoch_seconds
    return {
        "records": logger.records,
        "seconds": seconds,
        "epochs_run": len(logger.records),
        "epochs_this_run": len(logger.records) - logger.resumed_records,
        "seconds_per_epoch": float(np.median(steady)) if steady else None,
        "pairs_per_second": float(len(train_indices) / np.median(steady)) if steady else None,
        "encoding": info,
        "best_epoch": logger.best_epoch,
    }


def measure_pairs_per_second(model, pair_data, indices, entity_batched, batch_pairs, steps=4, seed=0):
    """Training throughput (pairs/s) over ``steps`` batches after one warm-up step.

    Trains a throw-away clone, compiled as ``model`` is, so the caller's weights are untouched.
    """
    clone = model.__class__.from_config(model.get_config())
    clone.compile_from_config(model.get_compile_config())
    smiles_tokens, protein_tokens, _ = encode_entities(pair_data, *input_lengths(clone))
    d, p, y = pair_data.drug_index[indices], pair_data.protein_index[indices], pair_data.y[indices]
    trainee, dataset = _trainee(clone, smiles_tokens, protein_tokens, d, p, y, entity_batched, batch_pairs, seed)
    steps = min(steps, len(dataset) - 1)
    batch = dataset[0]
    trainee.train_on_batch(*batch)
    pairs, start = 0, time.perf_counter()
    for index in range(1, steps + 1):
        batch = dataset[index]
        trainee.train_on_batch(*batch)
        pairs += len(batch[1])
    return pairs / (time.perf_counter() - start)


def report_skipped(pair_data, source, limit=20):
    """Name the first ``limit`` bad input rows, and how many there were, on standard error."""
    for message in list(pair_data.errors.values())[:limit]:
        print(f"skipped: {message}", file=sys.stderr)
    if pair_data.errors:
        print(f"skipped {len(pair_data.errors)} bad row(s) of {source}", file=sys.stderr)


def train_and_save(data, out, *, task=None, split=None, seed=0, epochs=100, batch_pairs=256, learning_rate=1e-3,
                   limit=None, entity_batched=True, time_budget_s=None, verbose="auto", resume=True, **network):
    """``cnnkit dta train``: DeepDTA on a named dataset or a CSV, saved with its metrics.

    The network is the dataset's preset (:mod:`presets`) with ``network`` overrides
    (``smiles_length``, ``filters``, ...). Writes ``out/model.keras`` (the weights of the best
    validation epoch), ``out/dta_config.json``, ``out/metrics.json``, ``out/training_log.csv``
    and a resumable checkpoint in ``out/checkpoint`` (a rerun resumes from it; ``resume=False``
    starts over); returns the summary in metrics.json.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    pair_data, splits = load_dataset(data, split, seed=seed, task=task)
    report_skipped(pair_data, data)
    train_idx, valid_idx, test_idx = (splits[k] if limit is None else splits[k][:limit]
                                      for k in ("train", "valid", "test"))
    preset = preset_record(data)
    config = {**preset["config"], **{k: v for k, v in network.items() if v is not None}}
    model = build_deepdta(pair_data.task, **config)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate))
    print(f"{data}: {len(pair_data.drugs)} drugs, {len(pair_data.proteins)} proteins; train "
          f"{len(train_idx)}, valid {len(valid_idx)}, test {len(test_idx)} pairs; task {pair_data.task}")
    result = train(
        model, pair_data, train_idx, valid_idx, epochs=epochs, batch_pairs=batch_pairs,
        entity_batched=entity_batched, seed=seed, checkpoint_dir=str(out / "checkpoint"),
        log_path=out / "training_log.csv", time_budget_s=time_budget_s, verbose=verbose, resume=resume,
    )
    shared_training.save_float32(model, out / "model.keras")  # predicts in float32 wherever it is loaded
    run_config = {"data": data, "task": pair_data.task, "split": split, "seed": seed,
                  "smiles_length": config["smiles_length"], "protein_length": config["protein_length"],
                  "target_unit": preset["target_unit"]}
    (out / CONFIG_FILE).write_text(json.dumps(run_config, indent=2) + "\n")
    metrics = {}
    if len(test_idx):
        with shared_training.float32_policies(model):  # scored as saved
            metrics, _ = evaluate(model, pair_data, test_idx)
    summary = {"model": str(out / "model.keras"), "task": pair_data.task, "epochs": result["epochs_run"],
               "seconds": round(result["seconds"], 2), "seconds_per_epoch": result["seconds_per_epoch"],
               "pairs_per_second": result["pairs_per_second"], "skipped_rows": len(pair_data.errors),
               "smiles_truncated": result["encoding"]["smiles_truncated"],
               "proteins_truncated": result["encoding"]["proteins_truncated"],
               "precision": model.dtype_policy.name, **{f"test_{k}": v for k, v in metrics.items()}}
    (out / "metrics.json").write_text(json.dumps(summary, indent=2, default=float) + "\n")
    print(f"saved {out / 'model.keras'}; test: " + ", ".join(f"{k}={v:.4f}" for k, v in metrics.items() if k != "n"))
    return summary
