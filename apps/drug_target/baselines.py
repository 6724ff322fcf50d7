"""scikit-learn baselines on the same splits: ECFP + protein composition features.

Features are computed once per unique drug (Morgan radius 2, 1024 bits) and protein
(amino-acid + dipeptide composition) and gathered per pair.
"""

from __future__ import annotations

import time

import numpy as np
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)

from apps.drug_target.chemistry import morgan_fingerprints
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
