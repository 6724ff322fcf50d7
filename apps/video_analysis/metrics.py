"""Shot-boundary evaluation: one-to-one matching with a frame tolerance, then precision/recall/F1.

A predicted and a true transition match when their frame intervals come within
``tolerance`` frames of each other (a cut is the interval [f, f]); each transition matches at
most once, closest pairs first. Predictions inside a don't-care interval (the Big Buck Bunny
fade-in) count neither way. Matches become label pairs for ``sklearn.metrics``.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import precision_recall_fscore_support


def _interval(item):
    if isinstance(item, dict):
        return int(item["start_frame"]), int(item["end_frame"])
    if isinstance(item, (tuple, list)):
        return int(item[0]), int(item[-1])
    return int(item), int(item)


def _distance(a, b):
    return max(0, a[0] - b[1], b[0] - a[1])


def match_transitions(predicted, true, tolerance: int = 2, ignore=()):
    """Return (tp, fp, fn, pairs) with pairs = [(pred_index, true_index), ...]."""
    pred = [_interval(p) for p in predicted]
    gold = [_interval(t) for t in true]
    keep = [i for i, p in enumerate(pred)
            if not any(_distance(p, _interval(z)) <= tolerance for z in ignore)]
    candidates = sorted(
        (_distance(pred[i], gold[j]), i, j) for i in keep for j in range(len(gold))
        if _distance(pred[i], gold[j]) <= tolerance
    )
    used_p, used_t, pairs = set(), set(), []
    for _, i, j in candidates:
        if i not in used_p and j not in used_t:
            used_p.add(i)
            used_t.add(j)
            pairs.append((i, j))
    tp = len(pairs)
    return tp, len(keep) - tp, len(gold) - tp, pairs


def scores_from_counts(tp: int, fp: int, fn: int) -> dict:
    y_true = np.array([1] * tp + [0] * fp + [1] * fn)
    y_pred = np.array([1] * tp + [1] * fp + [0] * fn)
    if len(y_true) == 0:  # nothing to find and nothing found: perfect
        return {"precision": 1.0, "recall": 1.0, "f1": 1.0, "tp": 0, "fp": 0, "fn": 0}
    precision, recall, f1, _ = precision_recall_fscore_support(
        y_true, y_pred, average="binary", zero_division=0.0
    )
    return {"precision": float(precision), "recall": float(recall), "f1": float(f1),
            "tp": int(tp), "fp": int(fp), "fn": int(fn)}


def boundary_f1(predicted, true, tolerance: int = 2, ignore=()) -> dict:
    """Precision, recall and F1 of predicted transitions against true ones."""
    tp, fp, fn, _ = match_transitions(predicted, true, tolerance, ignore)
    return scores_from_counts(tp, fp, fn)
