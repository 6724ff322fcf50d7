"""Affinity and interaction metrics.

``concordance_index`` is O(n log n) (a Fenwick tree over prediction ranks), so that it
scores KIBA's test fold at once; ``concordance_index_bruteforce`` is the O(n^2) definition
it is tested against. Everything else comes from scikit-learn / SciPy.
"""

from __future__ import annotations

import numpy as np
from scipy import stats
from sklearn import metrics as skm


def _as_1d(y_true, y_pred):
    y_true = np.asarray(y_true, dtype=np.float64).ravel()
    y_pred = np.asarray(y_pred, dtype=np.float64).ravel()
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true and y_pred differ in length: {y_true.size} vs {y_pred.size}.")
    if not np.all(np.isfinite(y_true)) or not np.all(np.isfinite(y_pred)):
        raise ValueError("y_true and y_pred must be finite (no NaN or inf).")
    return y_true, y_pred


def concordance_index(y_true, y_pred) -> float:
    """Concordance index (Gönen & Heller; DeepDTA's CI), exact on ties, O(n log n).

    Over all pairs with ``y_true[i] > y_true[j]``: 1 if ``y_pred[i] > y_pred[j]``, 0.5 if
    the predictions tie, 0 otherwise; divided by the number of such pairs. Pairs tied in
    ``y_true`` are not counted. Returns NaN when every ``y_true`` is equal.
    """
    y_true, y_pred = _as_1d(y_true, y_pred)
    n = y_true.size
    if n < 2:
        return float("nan")
    # Dense ranks of predictions, 1-based, for the Fenwick tree.
    _, pred_rank = np.unique(y_pred, return_inverse=True)
    pred_rank = pred_rank.astype(np.int64) + 1
    size = int(pred_rank.max())
    tree = np.zeros(size + 1, dtype=np.int64)

    def add(position):
        while position <= size:
            tree[position] += 1
            position += position & -position

    def prefix(position):  # number inserted with rank <= position
        total = 0
        while position > 0:
            total += tree[position]
            position -= position & -position
        return total

    order = np.argsort(y_true, kind="mergesort")
    sorted_true = y_true[order]
    sorted_rank = pred_rank[order]
    # Start index of each group of equal y_true (groups are queried before inserting).
    boundaries = np.flatnonzero(np.diff(sorted_true)) + 1
    starts = np.concatenate([[0], boundaries])
    ends = np.concatenate([boundaries, [n]])
    concordant = 0.0
    inserted = 0
    for start, end in zip(starts, ends):
        ranks = sorted_rank[start:end].tolist()
        if inserted:
            for rank in ranks:
                lower = prefix(rank - 1)
                equal = prefix(rank) - lower
                concordant += lower + 0.5 * equal
        for rank in ranks:
            add(rank)
        inserted += end - start
    # Comparable pairs: all pairs minus pairs tied in y_true.
    _, counts = np.unique(y_true, return_counts=True)
    comparable = n * (n - 1) / 2 - float(np.sum(counts * (counts - 1) / 2))
    return float(concordant / comparable) if comparable else float("nan")


def concordance_index_bruteforce(y_true, y_pred) -> float:
    """The O(n^2) definition of the concordance index (reference for tests)."""
    y_true, y_pred = _as_1d(y_true, y_pred)
    true_diff = y_true[:, None] - y_true[None, :]
    pred_diff = y_pred[:, None] - y_pred[None, :]
    mask = true_diff > 0
    if not mask.any():
        return float("nan")
    scores = np.where(pred_diff > 0, 1.0, np.where(pred_diff == 0, 0.5, 0.0))
    return float(scores[mask].sum() / mask.sum())


def rm2(y_true, y_pred) -> float:
    """Roy's r_m^2 exactly as DeepDTA computes it: r2 * (1 - sqrt(|r2^2 - r0^2^2|))."""
    y_true, y_pred = _as_1d(y_true, y_pred)
    r2 = stats.pearsonr(y_true, y_pred)[0] ** 2
    k = np.sum(y_true * y_pred) / np.sum(y_pred * y_pred)
    r02 = 1.0 - np.sum((y_true - k * y_pred) ** 2) / np.sum((y_true - y_true.mean()) ** 2)
    return float(r2 * (1.0 - np.sqrt(np.abs(r2 * r2 - r02 * r02))))


def regression_metrics(y_true, y_pred) -> dict:
    """CI, MSE, Pearson, Spearman and r_m^2 for affinity prediction."""
    y_true, y_pred = _as_1d(y_true, y_pred)
    return {
        "ci": concordance_index(y_true, y_pred),
        "mse": float(skm.mean_squared_error(y_true, y_pred)),
        "pearson": float(stats.pearsonr(y_true, y_pred)[0]),
        "spearman": float(stats.spearmanr(y_true, y_pred)[0]),
        "rm2": rm2(y_true, y_pred),
        "n": int(y_true.size),
    }


def classification_metrics(y_true, y_score, threshold: float = 0.5) -> dict:
    """AUROC and AUPRC (average precision) from scikit-learn, plus accuracy at ``threshold``."""
    y_true, y_score = _as_1d(y_true, y_score)
    labels = set(np.unique(y_true).tolist())
    if not labels <= {0.0, 1.0}:
        raise ValueError(f"interaction labels must be 0 or 1, got values {sorted(labels)[:5]}.")
    single = len(labels) < 2
    return {
        "auroc": float("nan") if single else float(skm.roc_auc_score(y_true, y_score)),
        "auprc": float("nan") if single else float(skm.average_precision_score(y_true, y_score)),
        "accuracy": float(skm.accuracy_score(y_true, y_score >= threshold)),
        "n": int(y_true.size),
    }


def score(task: str, y_true, y_pred) -> dict:
    """The metrics of ``task``: :func:`regression_metrics` for affinity, else :func:`classification_metrics`."""
    if task == "affinity":
        return regression_metrics(y_true, y_pred)
    return classification_metrics(y_true, y_pred)


def spread_calibration(y_true, y_pred, spread, bins: int = 5) -> dict:
    """How well an ensemble's ``spread`` (the members' standard deviation) tells its errors.

    Returns the Spearman correlation of the spread with the absolute error; for ``bins`` groups of
    pairs by rising spread, their mean spread and root-mean-square error (a calibrated spread rises
    with the error, and equals it when the members' disagreement is the whole uncertainty); and the
    share of pairs whose target lies within one and two spreads of the prediction (0.68 and 0.95
    for normal errors of exactly that size).
    """
    y_true, y_pred = _as_1d(y_true, y_pred)
    _, spread = _as_1d(y_true, spread)
    if bins < 1 or bins > len(y_true):
        raise ValueError(f"The 'bins' parameter of spread_calibration must be in [1, {len(y_true)}]; got {bins}.")
    error = np.abs(y_true - y_pred)
    groups = np.array_split(np.argsort(spread, kind="stable"), bins)
    return {
        "spearman_spread_error": float(stats.spearmanr(spread, error).statistic),
        "bins": [{"mean_spread": float(spread[g].mean()), "rmse": float(np.sqrt((error[g] ** 2).mean())),
                  "pairs": int(len(g))} for g in groups],
        "within_1_spread": float((error <= spread).mean()),
        "within_2_spreads": float((error <= 2 * spread).mean()),
    }


def spread_scale(y_true, y_pred, spread, coverage: float = 0.683) -> float:
    """The factor that makes ``coverage`` of the pairs lie within one scaled spread of the prediction.

    Seeds of one recipe disagree less than they err, so their spread is too narrow to read as an
    interval. Multiplying it by this factor, fitted on held-out pairs (variance scaling, Levi et al.
    2019), keeps the ranking of the spread and gives it the width of the errors: the ``coverage``
    quantile of ``|y_true - y_pred| / spread``. A pair with no spread and an error makes the ratio
    infinite; a pair with neither counts as covered. The factor is the smallest that covers at least
    ``coverage`` of the pairs.
    """
    y_true, y_pred = _as_1d(y_true, y_pred)
    _, spread = _as_1d(y_true, spread)
    if not 0.0 < coverage < 1.0:
        raise ValueError(f"The 'coverage' parameter of spread_scale must be in (0, 1); got {coverage}.")
    if np.any(spread < 0):
        raise ValueError("The 'spread' parameter of spread_scale must be >= 0 everywhere; "
                         f"got {int((spread < 0).sum())} negative value(s).")
    error = np.abs(y_true - y_pred)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(error == 0, 0.0, error / spread)
    scale = float(np.quantile(ratio, coverage, method="inverted_cdf"))  # the smallest that covers
    if not np.isfinite(scale):
        raise ValueError(f"spread_scale: more than {1 - coverage:.0%} of the pairs have an error but no spread; "
                         "no factor can cover them.")
    return scale
