"""Train DeepDTA models on :class:`data.PairData`.

Training runs the entity view of the model on :class:`batching.EntityBatches` through
``shared.training.fit`` (checkpoints with resume, seeds); the per-pair model shares its
variables and is the one that is saved. ``entity_batched=False`` trains the plain
per-pair model instead (the reference implementation). The model trains as it is
compiled: a new task uses Adam at 1e-3 and the task's loss; call
``model.compile(optimizer=keras.optimizers.Adam(rate))`` first for another rate
(:func:`optimizer` gives AdamW with a weight decay).

Model selection and early stopping both read the validation split: the epoch with the lowest
validation MSE (affinity) or highest AUROC (interaction) is kept, and with ``patience`` training
stops once that many epochs in a row have not beaten it. A deep network overfits a few thousand
pairs within tens of epochs (training loss near 0 while the validation score falls), so
``cnnkit dta train`` stops early by default and suggests the fingerprint baselines on small data.
"""

from __future__ import annotations

import csv
import json
import shlex
import sys
import time
from pathlib import Path

import keras
import numpy as np

from apps.drug_target.batching import EntityBatches, PairBatches
from apps.drug_target.data import load_training_data, report_skipped, shared_pairs
from apps.drug_target.metrics import score
from apps.drug_target.model import build_deepdta, encode_entities_for, entity_view
from apps.drug_target.options import DEFAULT_PATIENCE, SMALL_DATA_PAIRS, check_training_options
from apps.drug_target.predict import evaluate, predict_entities
from apps.drug_target.presets import preset_record
from shared import training as shared_training
from shared.callbacks import ResumableEarlyStopping, TimeBudget

CONFIG_FILE = "dta_config.json"


class PairMetricsLogger(keras.callbacks.Callback):
    """Per epoch: validation CI/MSE (or AUROC/AUPRC) and epoch time; a CSV log; the best epoch.

    With ``restore_best`` the weights of the best validation epoch (lowest MSE, or highest
    AUROC) are put back into ``pair_model`` when training ends. The records and the best epoch
    (its weights too) go into ``shared.training.fit``'s checkpoints, so a resumed run logs and
    restores as an uninterrupted one. The validation metrics also go into the epoch's ``logs``,
    where the callbacks after this one (early stopping on :attr:`monitor`) read them.
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
                    if logs is not None:
                        logs[f"val_{key}"] = value
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


def optimizer(learning_rate=1e-3, weight_decay=0.0):
    """Adam at ``learning_rate``, or AdamW with decoupled ``weight_decay`` when it is > 0.

    Keras' AdamW shrinks each weight by ``learning_rate * weight_decay`` of itself per step, so
    at a rate of 1e-3 a decay well below 1 changes the weights little over a few hundred steps.
    """
    check_training_options("optimizer", weight_decay=weight_decay)
    if weight_decay:
        return keras.optimizers.AdamW(learning_rate, weight_decay=weight_decay)
    return keras.optimizers.Adam(learning_rate)


def train(model, pair_data, train_indices, valid_indices=None, epochs=10, batch_pairs=512,
          entity_batched=True, seed=0, checkpoint_dir=None, log_path=None,
          time_budget_s=None, verbose="auto", restore_best=True, resume=True, patience=None, callbacks=None):
    """Train ``model`` (a :func:`model.build_deepdta` task, as compiled) on pairs; returns the records.

    ``patience`` (with validation pairs): stop once that many epochs in a row have not beaten the
    best validation score (None or 0: train all ``epochs``). ``time_budget_s`` stops training after
    the epoch that crosses it. With ``checkpoint_dir`` a rerun resumes (after a time budget's stop
    too; a run that stopped early is finished and not trained again) and ends as an uninterrupted
    run would (``resume=False`` starts over). ``callbacks``: more Keras callbacks, called after the
    validation logger (their epoch ``logs`` hold its ``val_*`` metrics).

    Returns ``{"records": per-epoch dicts, "seconds": wall time, "pairs_per_second": ...,
    "encoding": truncation counts, "best_epoch": ..., "stopped_early": ..., "stopped_epoch": ...}``;
    after a resume ``records`` and ``epochs_run`` include the epochs run before it,
    ``epochs_this_run`` counts only this call's.
    """
    check_training_options("train", patience=patience)
    if len(train_indices) == 0:
        raise ValueError("The training split is empty.")
    smiles_tokens, protein_tokens, info = encode_entities_for(model, pair_data)
    d, p, y = pair_data.drug_index, pair_data.protein_index, pair_data.y
    train_indices = np.asarray(train_indices)
    validation = None
    if valid_indices is not None and len(valid_indices):
        valid_indices = np.asarray(valid_indices)
        validation = (smiles_tokens, protein_tokens, d[valid_indices], p[valid_indices], y[valid_indices])
    trainee, dataset = _trainee(model, smiles_tokens, protein_tokens, d[train_indices], p[train_indices],
                                y[train_indices], entity_batched, batch_pairs, seed)
    logger = PairMetricsLogger(model, pair_data.task, validation, log_path, restore_best)
    extra, callbacks = list(callbacks or []), [logger]
    early = None
    if patience and validation is not None:
        # After the logger, which puts the validation metric into the epoch's logs.
        early = ResumableEarlyStopping(monitor=logger.monitor, mode="min" if logger.monitor == "val_mse" else "max",
                                       patience=int(patience), restore_best_weights=False, verbose=0)
        callbacks.append(early)
    elif patience:
        print("note: no validation pairs, so no early stopping", file=sys.stderr, flush=True)
    if time_budget_s is not None:
        callbacks.append(TimeBudget(seconds=time_budget_s, per="epoch", verbose=True))
    callbacks += extra
    start = time.perf_counter()
    shared_training.fit(trainee, dataset, epochs=epochs, seed=seed, checkpoint_dir=checkpoint_dir,
                        callbacks=callbacks, verbose=verbose, save_model=False, resume=resume)
    seconds = time.perf_counter() - start
    stopped_epoch = early.stopped_epoch + 1 if early is not None and early.stopped_epoch > 0 else None
    best_epoch = logger.best_epoch if logger.best_epoch is not None or early is None else early.best_epoch + 1
    if stopped_epoch is not None:
        print(f"stopped early after epoch {stopped_epoch} of {epochs}: {logger.monitor} has not improved for "
              f"{patience} epochs since its best, epoch {best_epoch}", flush=True)
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
        "best_epoch": best_epoch,
        "stopped_early": stopped_epoch is not None,
        "stopped_epoch": stopped_epoch,
    }


def measure_pairs_per_second(model, pair_data, indices, entity_batched, batch_pairs, steps=4, seed=0):
    """Training throughput (pairs/s) over ``steps`` batches after one warm-up step.

    Trains a throw-away clone, compiled as ``model`` is, so the caller's weights are untouched.
    """
    clone = model.__class__.from_config(model.get_config())
    clone.compile_from_config(model.get_compile_config())
    smiles_tokens, protein_tokens, _ = encode_entities_for(clone, pair_data)
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


def small_data_note(train_pairs, data, *, task=None, split=None, seed=0, valid=None, valid_fraction=None,
                    limit=None):
    """The note ``cnnkit dta train`` prints when it trains on fewer than :data:`SMALL_DATA_PAIRS`
    pairs: the ``cnnkit dta baseline`` command that fits the fingerprint models on the same split;
    None on more pairs."""
    if train_pairs >= SMALL_DATA_PAIRS:
        return None
    command = ["cnnkit", "dta", "baseline", "--data", str(data)]
    for option, value in (("--task", task), ("--split", split), ("--valid", valid),
                          ("--valid-fraction", valid_fraction), ("--limit", limit)):
        if value is not None:
            command += [option, str(value)]
    if seed:
        command += ["--seed", str(seed)]
    return (f"note: {train_pairs:,} training pairs (under {SMALL_DATA_PAIRS:,}): on this little data a fingerprint "
            "model often matches or beats the CNN. Compare with the ECFP4 + protein-composition random forest "
            f"and gradient boosting on the same split: {shlex.join(command)}")


def train_and_save(data, out, *, task=None, split=None, seed=0, epochs=100, batch_pairs=256, learning_rate=1e-3,
                   weight_decay=0.0, patience=DEFAULT_PATIENCE, valid=None, valid_fraction=None, limit=None,
                   entity_batched=True, time_budget_s=None, verbose="auto", resume=True, arch="deepdta",
                   **network):
    """``cnnkit dta train``: DeepDTA on a named dataset or a CSV, saved with its metrics.

    The network is the dataset's preset (:mod:`presets`) changed to architecture ``arch``
    (``presets.ARCHITECTURES``: ``deepdta``, ``attention``, ``attention_masked``, ``multiscale``,
    ``ecfp``), with ``network`` overrides (``smiles_length``, ``filters``, ...); it trains with Adam,
    or AdamW when ``weight_decay`` > 0.
    The validation pairs are drawn from ``data`` (``valid_fraction``, default 0.1, where the split
    does not come with its own) or read from the CSV ``valid`` (then ``data`` splits into training
    and test pairs only); training stops after ``patience`` epochs without a better validation
    score (0: never). Writes ``out/model.keras`` (the weights of the best validation epoch),
    ``out/dta_config.json``, ``out/metrics.json`` (with ``best_epoch`` and ``stopped_early``),
    ``out/training_log.csv`` and a resumable checkpoint in ``out/checkpoint`` (a rerun resumes
    from it; ``resume=False`` starts over); returns the summary in metrics.json.
    """
    check_training_options("train_and_save", patience=patience, weight_decay=weight_decay,
                           valid_fraction=valid_fraction)
    out = Path(out)
    pair_data, splits, valid_data = load_training_data(data, split, seed=seed, task=task, valid=valid,
                                                       valid_fraction=valid_fraction)
    report_skipped(pair_data, data)
    if valid_data is not None:
        report_skipped(valid_data, valid)
    train_idx, valid_idx, test_idx = (splits[k] if limit is None else splits[k][:limit]
                                      for k in ("train", "valid", "test"))
    preset = preset_record(data, arch)
    config = {**preset["config"], **{k: v for k, v in network.items() if v is not None}}
    model = build_deepdta(pair_data.task, **config)
    model.compile(optimizer=optimizer(learning_rate, weight_decay))
    valid_source = str(valid) if valid is not None else "from --data"
    print(f"{data}: {len(pair_data.drugs)} drugs, {len(pair_data.proteins)} proteins; train "
          f"{len(train_idx)}, valid {len(valid_idx)} ({valid_source}), test {len(test_idx)} pairs; "
          f"task {pair_data.task}")
    if valid_data is not None:
        for part, indices in (("training", train_idx), ("test", test_idx)):
            repeated = shared_pairs(pair_data, valid_idx, indices)
            if repeated:
                print(f"note: {repeated} of the {len(valid_idx)} validation pairs of {valid} are also {part} pairs "
                      f"of {data} (same drug and protein)", file=sys.stderr)
    note = small_data_note(len(train_idx), data, task=task, split=split, seed=seed, valid=valid,
                           valid_fraction=valid_fraction, limit=limit)
    if note:
        print(note, file=sys.stderr, flush=True)
    out.mkdir(parents=True, exist_ok=True)
    result = train(
        model, pair_data, train_idx, valid_idx, epochs=epochs, batch_pairs=batch_pairs,
        entity_batched=entity_batched, seed=seed, checkpoint_dir=str(out / "checkpoint"),
        log_path=out / "training_log.csv", time_budget_s=time_budget_s, verbose=verbose, resume=resume,
        patience=patience,
    )
    shared_training.save_float32(model, out / "model.keras")  # predicts in float32 wherever it is loaded
    run_config = {"data": data, "task": pair_data.task, "arch": arch, "split": split, "seed": seed,
                  "smiles_length": config["smiles_length"], "protein_length": config["protein_length"],
                  "target_unit": preset["target_unit"]}
    (out / CONFIG_FILE).write_text(json.dumps(run_config, indent=2) + "\n")
    metrics = {}
    if len(test_idx):
        with shared_training.float32_policies(model):  # scored as saved
            metrics, _ = evaluate(model, pair_data, test_idx)
    summary = {"model": str(out / "model.keras"), "task": pair_data.task, "arch": arch,
               "epochs": result["epochs_run"],
               "best_epoch": result["best_epoch"], "stopped_early": result["stopped_early"],
               "patience": patience, "seconds": round(result["seconds"], 2),
               "seconds_per_epoch": result["seconds_per_epoch"], "pairs_per_second": result["pairs_per_second"],
               "train_pairs": len(train_idx), "valid_pairs": len(valid_idx), "test_pairs": len(test_idx),
               "valid": valid_source, "skipped_rows": len(pair_data.errors),
               "valid_skipped_rows": len(valid_data.errors) if valid_data is not None else 0,
               "learning_rate": learning_rate, "weight_decay": weight_decay,
               "smiles_truncated": result["encoding"]["smiles_truncated"],
               "proteins_truncated": result["encoding"]["proteins_truncated"],
               "precision": model.dtype_policy.name, **{f"test_{k}": v for k, v in metrics.items()}}
    (out / "metrics.json").write_text(json.dumps(summary, indent=2, default=float) + "\n")
    print(f"saved {out / 'model.keras'}; test: " + ", ".join(f"{k}={v:.4f}" for k, v in metrics.items() if k != "n"))
    return summary
