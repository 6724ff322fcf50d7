"""Train, predict and evaluate DeepDTA models on :class:`data.PairData`.

Training runs the entity view of the model on :class:`batching.EntityBatches` through
``shared.training.fit`` (checkpoints with resume, seeds); the per-pair model shares its
variables and is the one that is saved. ``entity_batched=False`` trains the plain
per-pair model instead (the reference implementation).
"""

from __future__ import annotations

import csv
import time
from pathlib import Path

import keras
import numpy as np

from apps.drug_target import metrics as dta_metrics
from apps.drug_target.batching import EntityBatches, PairBatches
from apps.drug_target.encoders import ProteinEncoder, SmilesEncoder
from apps.drug_target.model import branches, entity_view, head_model, input_lengths
from shared import training as shared_training


def encode_entities(pair_data, smiles_length, protein_length):
    """Token arrays of the unique drugs and proteins (+ how many were truncated)."""
    smiles_encoder, protein_encoder = SmilesEncoder(smiles_length), ProteinEncoder(protein_length)
    drugs = [s or "" for s in pair_data.drugs]
    proteins = [p or "" for p in pair_data.proteins]
    info = {"smiles_truncated": smiles_encoder.truncated(drugs),
            "proteins_truncated": protein_encoder.truncated(proteins)}
    return smiles_encoder.encode_many(drugs), protein_encoder.encode_many(proteins), info


def _call_in_chunks(layer_model, array, chunk):
    # Eager calls: no tf.function tracing per new shape (predict() retraces on every new
    # model and batch shape, which dominates small evaluations).
    outputs = [np.asarray(layer_model(array[i:i + chunk], training=False)) for i in range(0, len(array), chunk)]
    return np.concatenate(outputs) if outputs else np.zeros((0,) + tuple(layer_model.output_shape[1:]))


def predict_entities(model, smiles_tokens, protein_tokens, drug_index, protein_index,
                     batch_size=256):
    """Predictions for pairs, encoding each unique drug/protein once (same as per-pair)."""
    drug_index = np.asarray(drug_index, dtype=np.int64)
    protein_index = np.asarray(protein_index, dtype=np.int64)
    if drug_index.size == 0:
        return np.zeros(0, dtype=np.float32)
    drug_branch, protein_branch = branches(model)
    used_drugs, drug_pos = np.unique(drug_index, return_inverse=True)
    used_proteins, protein_pos = np.unique(protein_index, return_inverse=True)
    drug_features = _call_in_chunks(drug_branch, smiles_tokens[used_drugs], batch_size)
    protein_features = _call_in_chunks(protein_branch, protein_tokens[used_proteins], 64)
    features = np.concatenate([drug_features[drug_pos.ravel()], protein_features[protein_pos.ravel()]], axis=1)
    return _call_in_chunks(head_model(model), features, 8192).ravel()


def score(task, y_true, y_pred):
    if task == "affinity":
        return dta_metrics.regression_metrics(y_true, y_pred)
    return dta_metrics.classification_metrics(y_true, y_pred)


def evaluate(model, pair_data, indices, smiles_tokens=None, protein_tokens=None):
    """Metrics of ``model`` on the pairs ``indices`` of ``pair_data`` (+ predictions)."""
    if smiles_tokens is None:
        smiles_tokens, protein_tokens, _ = encode_entities(pair_data, *input_lengths(model))
    predictions = predict_entities(model, smiles_tokens, protein_tokens,
                                   pair_data.drug_index[indices], pair_data.protein_index[indices])
    return score(pair_data.task, pair_data.y[indices], predictions), predictions


class PairMetricsLogger(keras.callbacks.Callback):
    """Per epoch: validation CI/MSE (or AUROC/AUPRC), epoch time; CSV log; time budget."""

    def __init__(self, pair_model, task, validation, log_path=None, time_budget_s=None,
                 restore_best=False):
        super().__init__()
        self.pair_model, self.task, self.validation = pair_model, task, validation
        self.log_path = Path(log_path) if log_path else None
        self.time_budget_s = time_budget_s
        self.restore_best = restore_best and validation is not None
        # Model selection on the validation split: lowest MSE, or highest AUROC.
        self.monitor = "val_mse" if task == "affinity" else "val_auroc"
        self.best_value, self.best_epoch, self._best_weights = None, None, None
        self.records = []
        self._start = self._epoch_start = None

    def on_train_begin(self, logs=None):
        self._start = time.perf_counter()

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
        if self.time_budget_s is not None:
            elapsed = time.perf_counter() - self._start
            if elapsed + seconds > self.time_budget_s:
                print(f"time budget {self.time_budget_s:.0f}s reached after epoch {epoch + 1}", flush=True)
                self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.restore_best and self._best_weights is not None:
            print(f"restoring the weights of epoch {self.best_epoch} ({self.monitor}={self.best_value:.4f})",
                  flush=True)
            self.pair_model.set_weights(self._best_weights)


def train(model, pair_data, train_indices, valid_indices=None, epochs=10, batch_pairs=512,
          learning_rate=1e-3, entity_batched=True, seed=0, checkpoint_dir=None, log_path=None,
          time_budget_s=None, verbose="auto", restore_best=True):
    """Train ``model`` (a :func:`model.build_deepdta` task) on pairs; returns the records.

    Returns ``{"records": per-epoch dicts, "seconds": wall time, "pairs_per_second": ...,
    "encoding": truncation counts}``.
    """
    if len(train_indices) == 0:
        raise ValueError("The training split is empty.")
    task = pair_data.task
    smiles_tokens, protein_tokens, info = encode_entities(pair_data, *input_lengths(model))
    d, p, y = pair_data.drug_index, pair_data.protein_index, pair_data.y
    train_indices = np.asarray(train_indices)
    validation = None
    if valid_indices is not None and len(valid_indices):
        valid_indices = np.asarray(valid_indices)
        validation = (smiles_tokens, protein_tokens, d[valid_indices], p[valid_indices], y[valid_indices])
    loss = keras.losses.MeanSquaredError() if task == "affinity" else keras.losses.BinaryCrossentropy()
    if entity_batched:
        trainee = entity_view(model)
        dataset = EntityBatches(smiles_tokens, protein_tokens, d[train_indices], p[train_indices],
                                y[train_indices], batch_pairs=batch_pairs, seed=seed)
    else:
        trainee = model
        dataset = PairBatches(smiles_tokens, protein_tokens, d[train_indices], p[train_indices],
                              y[train_indices], batch_size=batch_pairs, seed=seed)
    trainee.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=loss)
    logger = PairMetricsLogger(model, task, validation, log_path, time_budget_s, restore_best)
    start = time.perf_counter()
    shared_training.fit(trainee, dataset, epochs=epochs, seed=seed, checkpoint_dir=checkpoint_dir,
                        callbacks=[logger], verbose=verbose, save_model=False)
    seconds = time.perf_counter() - start
    epoch_seconds = [r["seconds"] for r in logger.records]
    # Steady-state throughput: skip the first epoch (tracing/compilation) when possible.
    steady = epoch_seconds[1:] or epoch_seconds
    return {
        "records": logger.records,
        "seconds": seconds,
        "epochs_run": len(logger.records),
        "seconds_per_epoch": float(np.median(steady)) if steady else None,
        "pairs_per_second": float(len(train_indices) / np.median(steady)) if steady else None,
        "encoding": info,
        "best_epoch": logger.best_epoch,
    }


def measure_pairs_per_second(model, pair_data, indices, entity_batched, batch_pairs, steps=4,
                             seed=0, learning_rate=1e-3):
    """Training throughput (pairs/s) over ``steps`` batches after one warm-up step.

    Trains a throw-away clone so the caller's weights are untouched.
    """
    clone = model.__class__.from_config(model.get_config())
    smiles_tokens, protein_tokens, _ = encode_entities(pair_data, *input_lengths(clone))
    d, p, y = pair_data.drug_index[indices], pair_data.protein_index[indices], pair_data.y[indices]
    if entity_batched:
        trainee = entity_view(clone)
        dataset = EntityBatches(smiles_tokens, protein_tokens, d, p, y, batch_pairs=batch_pairs, seed=seed)
    else:
        trainee = clone
        dataset = PairBatches(smiles_tokens, protein_tokens, d, p, y, batch_size=batch_pairs, seed=seed)
    loss = "mse" if pair_data.task == "affinity" else "binary_crossentropy"
    trainee.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=loss)
    steps = min(steps, len(dataset) - 1)
    batch = dataset[0]
    trainee.train_on_batch(*batch)
    pairs, start = 0, time.perf_counter()
    for index in range(1, steps + 1):
        batch = dataset[index]
        trainee.train_on_batch(*batch)
        pairs += len(batch[1])
    return pairs / (time.perf_counter() - start)
