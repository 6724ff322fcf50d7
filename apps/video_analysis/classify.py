"""Using a trained clip classifier: scores on a test set, its confusion matrix, labels for files."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from apps.video_analysis.reader import VideoReadError
from apps.video_analysis.video_folder import load_clip, video_inputs


def evaluate_clip_classifier(model, x, y, class_names, batch_size: int = 32) -> dict:
    """Accuracy, macro F1 and the confusion matrix (scikit-learn) of ``model`` on clips ``x``."""
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score

    start = time.perf_counter()
    predicted = np.argmax(model.predict(x, verbose=0, batch_size=batch_size), axis=1)
    seconds = time.perf_counter() - start
    labels = list(range(len(class_names)))
    return {
        "accuracy": float(accuracy_score(y, predicted)),
        "macro_f1": float(f1_score(y, predicted, average="macro", labels=labels, zero_division=0)),
        "clips": int(len(y)), "clips_per_second": round(len(y) / max(seconds, 1e-9), 1),
        "confusion_matrix": confusion_matrix(y, predicted, labels=labels).tolist(),
        "class_names": list(class_names),
    }


def video_files(paths) -> list[Path]:
    """The files in ``paths``, each folder replaced by the videos below it (sorted; see
    :func:`~apps.video_analysis.video_folder.video_inputs`, which also lists what was left out)."""
    return video_inputs(paths)[0]


def classify_files(model, meta: dict, files):
    """Label each video file, one at a time (a generator, in file order).

    Yields ``{"file", "label", "score"}``, or ``{"file", "error"}`` for a file that cannot be
    read as video (the rest go on). ``meta`` is the classifier's metadata (frames, size,
    grayscale, class_names; see ``models.load_clip_classifier``).
    """
    for path in files:
        try:
            clip = load_clip(path, meta["frames"], (meta["size"], meta["size"]), meta["grayscale"])
        except VideoReadError as error:
            yield {"file": str(path), "error": str(error)}
            continue
        p = np.asarray(model.predict(clip[None], verbose=0))[0]
        top = int(np.argmax(p))
        yield {"file": str(path), "label": meta["class_names"][top], "score": float(p[top])}
