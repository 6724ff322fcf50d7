"""scikit-learn baselines on the same splits: ECFP + protein composition features.

Features are computed once per unique drug (Morgan radius 2, 1024 bits) and protein
(amino-acid + dipeptide composition) and gathered per pair. ``cnnkit dta baseline``
(:func:`baselines_and_save`) fits them on the training pairs of the split ``cnnkit dta train``
uses with the same options, so that a CNN trained on little data can be compared with them.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)

from apps.drug_target.chemistry import morgan_fingerprints
from apps.drug_target.data import load_training_data, report_skipped
from apps.drug_target.metrics import score
from apps.drug_target.proteins import composition_features


def pair_features(pair_data, indices, drug_features=None, protein_features=None):
    if drug_features is None:
        drug_features = morgan_fingerprints(pair_data.drugs).astype(np.float32)
    if protein_features is None:
        protein_features = composition_features(pair_data.proteins)
    return np.hstack([drug_features[pair_data.drug_index[indices]],
                      protein_features[pair_data.protein_index[indices]]])


def make_models(task, seed=0, n_jobs=2, rf_max_samples=None):
    if task == "affinity":
        return {
            "random_forest": RandomForestRegressor(n_estimators=60, max_features=0.05, min_samples_leaf=2,
                                                   max_samples=rf_max_samples, n_jobs=n_jobs, random_state=seed),
            "gradient_boosting": HistGradientBoostingRegressor(max_iter=200, learning_rate=0.2, max_leaf_nodes=63,
                                                               random_state=seed),
        }
    return {
        "random_forest": RandomForestClassifier(n_estimators=100, max_features="sqrt", n_jobs=n_jobs,
                                                max_samples=rf_max_samples, random_state=seed),
        "gradient_boosting": HistGradientBoostingClassifier(max_iter=200, learning_rate=0.1, random_state=seed),
    }


def run_baselines(pair_data, train_indices, test_indices, seed=0, n_jobs=2, rf_max_samples=None,
                  which=("random_forest", "gradient_boosting")):
    """Fit each baseline on ``train_indices`` and score it on ``test_indices``."""
    drug_features = morgan_fingerprints(pair_data.drugs).astype(np.float32)
    protein_features = composition_features(pair_data.proteins)
    x_train = pair_features(pair_data, train_indices, drug_features, protein_features)
    x_test = pair_features(pair_data, test_indices, drug_features, protein_features)
    y_train, y_test = pair_data.y[train_indices], pair_data.y[test_indices]
    results = {}
    for name, model in make_models(pair_data.task, seed, n_jobs, rf_max_samples).items():
        if name not in which:
            continue
        start = time.perf_counter()
        model.fit(x_train, y_train)
        if pair_data.task == "affinity":
            predictions = model.predict(x_test)
        else:
            predictions = model.predict_proba(x_test)[:, 1]
        metrics = score(pair_data.task, y_test, predictions)
        metrics["seconds"] = round(time.perf_counter() - start, 2)
        results[name] = metrics
        print(f"baseline {name}: " + ", ".join(f"{k}={v:.4f}" for k, v in metrics.items()), flush=True)
    return results


BASELINES_FILE = "baselines.json"


def baselines_and_save(data, out=None, *, task=None, split=None, seed=0, valid=None, valid_fraction=None,
                       limit=None, n_jobs=2):
    """``cnnkit dta baseline``: :func:`run_baselines` on the training and test pairs of the split
    ``cnnkit dta train`` uses with the same options (``data``, ``split``, ``seed``, ``valid``,
    ``valid_fraction``, ``limit``); the validation pairs are not used. Writes ``out/baselines.json``
    when ``out`` is given; returns the summary (each model's test metrics as ``<model>_<metric>``
    and all of them under ``"models"``).
    """
    pair_data, splits, valid_data = load_training_data(data, split, seed=seed, task=task, valid=valid,
                                                       valid_fraction=valid_fraction)
    report_skipped(pair_data, data)
    train_idx, test_idx = (splits[k] if limit is None else splits[k][:limit] for k in ("train", "test"))
    if len(train_idx) == 0 or len(test_idx) == 0:
        raise ValueError(f"{data}: the split has {len(train_idx)} training and {len(test_idx)} test pairs; "
                         "the baselines need both.")
    if pair_data.task == "interaction" and np.unique(pair_data.y[train_idx]).size < 2:
        raise ValueError(f"{data}: the training pairs hold one label only; a classifier needs both 0 and 1.")
    print(f"{data}: baselines on {len(train_idx)} training pairs, scored on {len(test_idx)} test pairs; "
          f"task {pair_data.task}", flush=True)
    models = run_baselines(pair_data, train_idx, test_idx, seed=seed, n_jobs=n_jobs)
    record = {"data": str(data), "task": pair_data.task, "split": split, "seed": seed, "valid": valid,
              "valid_fraction": valid_fraction, "limit": limit, "train_pairs": len(train_idx),
              "test_pairs": len(test_idx), "skipped_rows": len(pair_data.errors),
              "features": "ECFP4 (Morgan radius 2, 1024 bits) + amino-acid and dipeptide composition",
              "models": models}
    summary = {"task": pair_data.task, "train_pairs": len(train_idx), "test_pairs": len(test_idx),
               "skipped_rows": len(pair_data.errors)}
    for name, metrics in models.items():
        summary.update({f"{name}_{key}": value for key, value in metrics.items() if key not in ("n", "seconds")})
    if out is not None:
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        (out / BASELINES_FILE).write_text(json.dumps(record, indent=2, default=float) + "\n")
        summary["output"] = str(out / BASELINES_FILE)
        print(f"wrote {out / BASELINES_FILE}", flush=True)
    summary["models"] = models
    return summary
