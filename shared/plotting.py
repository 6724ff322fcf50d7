"""Figures every application draws: a confusion matrix (scikit-learn's display, saved as PNG)."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def plot_confusion(matrix, class_names, path, title: str | None = None, dpi: int = 100) -> Path:
    """Write ``matrix`` (rows: true class, columns: predicted) as a PNG; counts drawn up to 12 classes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import ConfusionMatrixDisplay

    names = [str(name) for name in class_names]
    size = max(5.0, min(0.6 * len(names) + 2, 0.25 * len(names) + 5))
    figure, axis = plt.subplots(figsize=(size, size))
    ConfusionMatrixDisplay(np.asarray(matrix), display_labels=names).plot(
        ax=axis, include_values=len(names) <= 12, colorbar=False,
        xticks_rotation=90 if len(names) > 12 else 45 if len(names) > 3 else 0)
    if title:
        axis.set_title(title)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.tight_layout()
    figure.savefig(path, dpi=dpi)
    plt.close(figure)
    return path
