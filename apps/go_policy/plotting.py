"""Matplotlib pictures of boards, move-probability heatmaps and accuracy curves."""

from __future__ import annotations

import numpy as np

from apps.go_policy.rules.board import BLACK, GTP_COLUMNS, WHITE


def draw_board(board, probabilities=None, ax=None, title=None, last_move=None, top=5, ownership=None,
               marks=()):
    """Draw a ``Board`` (row 0 at the bottom) with an optional probability heatmap.

    ``probabilities`` is a (size*size,) array; the ``top`` most probable points are
    labelled with their percentage. ``ownership`` (size*size values in [-1, 1], +1 Black,
    from ``rules.scoring.ownership``) shades each point dark for Black, light for White;
    ``marks`` (points, e.g. the dead stones) get a red cross.
    """
    import matplotlib.pyplot as plt

    size = board.size
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 5))
    ax.set_facecolor("#dcb35c")
    for line in range(size):
        ax.plot([0, size - 1], [line, line], color="black", linewidth=0.6, zorder=1)
        ax.plot([line, line], [0, size - 1], color="black", linewidth=0.6, zorder=1)
    if probabilities is not None:
        grid = np.asarray(probabilities, dtype=float).reshape(size, size)
        ax.imshow(grid, origin="lower", cmap="Reds", alpha=0.75, extent=(-0.5, size - 0.5, -0.5, size - 0.5),
                  zorder=2, vmin=0, vmax=max(grid.max(), 1e-9))
        for point in np.argsort(grid.ravel())[::-1][:top]:
            row, col = divmod(int(point), size)
            ax.text(col, row, f"{100 * grid[row, col]:.0f}", ha="center", va="center", fontsize=7,
                    color="navy", zorder=4)
    if ownership is not None:
        grid = np.asarray(ownership, dtype=float).reshape(size, size)
        ax.imshow(grid, origin="lower", cmap="gray_r", alpha=0.55, vmin=-1, vmax=1, zorder=2,
                  extent=(-0.5, size - 0.5, -0.5, size - 0.5))
    stones = board.array()
    for row in range(size):
        for col in range(size):
            if stones[row, col] in (BLACK, WHITE):
                black = stones[row, col] == BLACK
                ax.add_patch(plt.Circle((col, row), 0.46, facecolor="black" if black else "white",
                                        edgecolor="black", zorder=3))
    for point in marks:
        row, col = divmod(int(point), size)
        ax.plot(col, row, marker="x", color="red", markersize=6, markeredgewidth=1.5, zorder=5)
    if last_move is not None:
        row, col = divmod(last_move, size)
        ax.add_patch(plt.Circle((col, row), 0.15, color="red", zorder=5))
    ax.set_xlim(-0.7, size - 0.3)
    ax.set_ylim(-0.7, size - 0.3)
    ax.set_xticks(range(size), list(GTP_COLUMNS[:size]), fontsize=6)
    ax.set_yticks(range(size), [str(i + 1) for i in range(size)], fontsize=6)
    ax.set_aspect("equal")
    if title:
        ax.set_title(title, fontsize=9)
    return ax


def plot_accuracy_by_move(move_numbers, correct, bucket: int = 20, ax=None, label="top-1"):
    """Accuracy per bucket of move numbers (1-20, 21-40, ...)."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3))
    move_numbers = np.asarray(move_numbers)
    correct = np.asarray(correct, dtype=float)
    buckets = (move_numbers - 1) // bucket
    xs, ys = [], []
    for b in np.unique(buckets):
        chosen = buckets == b
        xs.append(b * bucket + bucket / 2)
        ys.append(correct[chosen].mean())
    ax.plot(xs, ys, marker="o", label=label)
    ax.set_xlabel("move number")
    ax.set_ylabel("accuracy")
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    return ax
