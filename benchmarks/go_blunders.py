"""How the engine's games against GNU Go are lost: the strings of 3+ stones it has captured.

    python -m benchmarks.go_blunders --symmetries 8 --tag gpu_continuation
    python -m benchmarks.go_blunders --symmetries 8 --tactics --tag gpu_continuation

Reads a match set-up's saved games (``benchmarks.go_match``) and replays them. Each capture of
three or more of the engine's stones is classed by the engine's move just before it:

- ``left_in_atari_savable``: the string was already in atari when the engine moved, and
  tactical reading (``play.tactics.saving_moves``) finds a move that saves it;
- ``left_in_atari_lost``: it was in atari and reading finds no way out (a ladder that works,
  or a string already dead);
- ``played_into_atari``: the engine's own move left the string with one liberty.

A string is captured only from atari, so one of the three always applies.

The counts are split between the games the engine won and lost. They are why the engine got
tactical reading (``apps.go_policy.play.tactics``), and how a set-up with ``--tactics`` is
checked against the same games without it. Writes ``go_blunders<suffix>``. Replays only: seconds.
"""

from __future__ import annotations

import sys

from benchmarks.go_common import add_setup_arguments, argument_parser, games_folder, saved_games, setup_suffix

CAUSES = ("left_in_atari_savable", "left_in_atari_lost", "played_into_atari")
MIN_STONES = 3


def string_losses(game, engine_color: str, min_stones: int = MIN_STONES) -> list[dict]:
    """Each capture of ``min_stones`` or more of the engine's stones in ``game`` (a
    ``GameRecord``): its move number (1-based), its stones and its cause (``CAUSES``)."""
    from apps.go_policy.play.tactics import saving_moves
    from apps.go_policy.rules.board import BLACK, WHITE

    engine = BLACK if engine_color == "B" else WHITE
    board = game.board(0)
    before = None  # the position before the engine's last move
    losses = []
    for number, (color, point) in enumerate(game.moves, start=1):
        if color == engine:
            before = board.snapshot()
            board.play(point, color)
            continue
        captured = board.play(point, color)
        if len(captured) < min_stones or before is None:
            continue
        was = before.groups[captured[0]]
        if was is None or len(was.liberties) > 1:
            cause = "played_into_atari"
        else:
            cause = "left_in_atari_savable" if saving_moves(before, captured[0]) else "left_in_atari_lost"
        losses.append({"move": number, "stones": len(captured), "cause": cause})
    return losses


def blunder_metrics(games) -> dict:
    """Counts of ``string_losses`` over ``games`` (pairs of GameRecord and its summary row
    with ``engine_color`` and ``won``), split by won and lost games."""
    metrics = {"games": len(games)}
    for outcome, won in (("lost", False), ("won", True)):
        chosen = [(game, row) for game, row in games if row["won"] == won]
        losses = [string_losses(game, row["engine_color"]) for game, row in chosen]
        flat = [loss for game_losses in losses for loss in game_losses]
        metrics[f"{outcome}.games"] = len(chosen)
        metrics[f"{outcome}.games_with_a_capture"] = sum(1 for game_losses in losses if game_losses)
        metrics[f"{outcome}.stones_captured_per_game"] = (sum(loss["stones"] for loss in flat) / len(chosen)
                                                          if chosen else 0.0)
        for cause in CAUSES:
            of_cause = [loss for loss in flat if loss["cause"] == cause]
            metrics[f"{outcome}.{cause}.captures"] = len(of_cause)
            metrics[f"{outcome}.{cause}.stones"] = sum(loss["stones"] for loss in of_cause)
    return metrics


def build_parser():
    parser = argument_parser(__doc__, __file__)
    add_setup_arguments(parser)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    from shared.benchmarking import write_result

    folder = games_folder(args)
    games = [(game, row) for _, game, row in saved_games(folder)]
    if not games:
        raise SystemExit(f"no saved games in {folder}")
    metrics = blunder_metrics(games)
    notes = (f"The games of {folder.name}, replayed: every capture of {MIN_STONES} or more of the engine's stones, "
             "classed by the engine's move just before it (left_in_atari_savable: the string was in atari when the "
             "engine moved and tactical reading finds a move that saves it; left_in_atari_lost: reading finds none; "
             "played_into_atari: the engine's move left the string in atari). Counts split by the games the engine "
             "lost and won.")
    write_result(f"go_blunders{setup_suffix(args)}", metrics, notes=notes)
    print(metrics)
    return 0


if __name__ == "__main__":
    sys.exit(main())
