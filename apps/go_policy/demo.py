"""``make demo``: evaluate the shipped policy preset on held-out professional games.

Shard 12 of the CWI collection is never used to train the preset, so its games
are a fair held-out test. ``fast`` uses 3 games (about 600 positions).
"""

from __future__ import annotations

import time

from shared.cli import fast_mode


def run(fast: bool | None = None) -> dict:
    """The demo's summary row: top-1 move prediction of ``DEFAULT_PRESET`` on shard 12.

    ``fast`` (default: ``shared.cli.fast_mode()``) scores 3 games instead of 40.
    """
    from apps.go_policy.model.train import evaluate_policy
    from apps.go_policy.play.engine import PolicyEngine, load_policy
    from apps.go_policy.presets import DEFAULT_PRESET
    from apps.go_policy.rules.board import Board
    from shared.data import path

    fast = fast_mode() if fast is None else fast
    start = time.perf_counter()
    model = load_policy(DEFAULT_PRESET)
    shard = path("go_pro", "cwi_pro_19x19_part12.tar.gz")
    metrics = evaluate_policy(model, [shard], max_games=3 if fast else 40, workers=1, progress=False)
    engine = PolicyEngine(model)
    board = Board(19)
    for _ in range(4 if fast else 20):  # the engine plays a few opening moves against itself
        board.play(engine.select_move(board))
    return {
        "app": "go_policy",
        "task": "professional move prediction (policy CNN preset, held-out shard 12)",
        "data": f"go_pro cwi_pro_19x19_part12.tar.gz, {metrics['games']['games_used']} games, "
                f"{metrics['positions']} positions",
        "metric": "top1_accuracy",
        "value": float(metrics["top1"]),
        "seconds": round(time.perf_counter() - start, 2),
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(fast=fast_mode())))
