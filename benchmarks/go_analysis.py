"""Live analysis (``lz-analyze``) on held-out professional games: its speed, and how far its
play-out win rates can be trusted.

    CNNKIT_DATA=../shared/data python -m benchmarks.go_analysis --games 100

For the first ``--games`` games of ``--shard`` (never trained on) with a recorded winner, the
positions after moves 50, 100, 150 and 200 (those the game reached) are analysed as the GTP
engine's ``lz-analyze`` analyses them (the shipped preset with 8 symmetries, 10 candidates,
variations of 8 moves), with ``--playouts`` random play-outs per candidate. Reported: the
seconds to the first info line (candidates and variations), play-outs per second, how often
the professional's next move is among the candidates, and the win rate of the first
candidate (turned to Black's side) against the recorded winner: how often it is on the
winner's side of 50% and its Brier score, by move, next to two plain baselines (the color
that won more of these games, and the sign of the Tromp-Taylor count of the position as it
stands).
"""

from __future__ import annotations

import sys
import time

from benchmarks.go_common import HELD_OUT_SHARD, argument_parser, load_preset

MOVES = (50, 100, 150, 200)


def positions(source, games: int):
    """(game name, move number, board, the next move, the winner) of the first ``games``
    games with a winner."""
    from apps.go_policy.rules.records import read_games

    found = 0
    for record in read_games(source, sizes=(19,)):
        if record.winner is None or record.handicap:
            continue
        found += 1
        for move in MOVES:
            if move < len(record.moves):
                yield record.name, move, record.board(move), record.moves[move][1], record.winner
        if found >= games:
            return


def build_parser():
    parser = argument_parser(__doc__, __file__)
    parser.add_argument("--games", type=int, default=100, help="professional games with a winner to sample")
    parser.add_argument("--shard", default=HELD_OUT_SHARD)
    parser.add_argument("--playouts", type=int, default=16, help="play-outs per candidate")
    parser.add_argument("--symmetries", type=int, default=8)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)

    import numpy as np

    from apps.go_policy.play.analysis import DEFAULT_CANDIDATES, DEFAULT_PV_LENGTH, MoveAnalysis
    from apps.go_policy.play.engine import PolicyEngine
    from apps.go_policy.play.match import wilson_interval
    from apps.go_policy.rules.board import BLACK, Board
    from shared.benchmarking import write_result
    from shared.data import path

    start = time.perf_counter()
    engine = PolicyEngine(load_preset(), symmetries=args.symmetries)
    MoveAnalysis(engine, Board(19))  # traces the network's batch sizes before anything is timed
    rows, first_info, playout_seconds, playouts = [], [], 0.0, 0
    for name, move, board, next_move, winner in positions(path("go_pro", args.shard), args.games):
        began = time.perf_counter()
        analysis = MoveAnalysis(engine, board)
        analysis.think(0.0)  # the first round: what the first info line shows
        first_info.append(time.perf_counter() - began)
        began = time.perf_counter()
        played = analysis.think(3600.0, stop=lambda: all(c.visits >= args.playouts for c in analysis.candidates))
        playout_seconds += time.perf_counter() - began
        playouts += played
        best = analysis.candidates[0]
        black_rate = best.winrate if board.to_move == BLACK else 1.0 - best.winrate
        rows.append({"game": name, "move": move, "black_winrate": black_rate, "black_won": winner == BLACK,
                     "tromp_taylor": board.score(), "next_in_candidates": next_move in [c.point for c in
                                                                                        analysis.candidates]})
        print(name, move, round(black_rate, 2), "B" if winner == BLACK else "W", flush=True)

    def agreement(subset):
        return sum(1.0 if (r["black_winrate"] > 0.5) == r["black_won"] else 0.0 if r["black_winrate"] != 0.5
                   else 0.5 for r in subset)

    games_seen = {r["game"]: r["black_won"] for r in rows}
    black_share = float(np.mean(list(games_seen.values())))
    metrics = {"games": len(games_seen), "positions": len(rows), "black_won_share": round(black_share, 4),
               "seconds_to_first_info_mean": round(float(np.mean(first_info)), 3),
               "seconds_to_first_info_max": round(float(np.max(first_info)), 3),
               "playouts_per_second": round(playouts / playout_seconds, 1),
               "next_move_in_candidates": round(float(np.mean([r["next_in_candidates"] for r in rows])), 4),
               "by_move": {}}
    for move in MOVES:
        subset = [r for r in rows if r["move"] == move]
        if not subset:
            continue
        agree = agreement(subset)
        low, high = wilson_interval(int(round(agree)), len(subset))
        metrics["by_move"][str(move)] = {
            "positions": len(subset),
            "winrate_on_winners_side": round(agree / len(subset), 4),
            "winrate_on_winners_side_ci95": [round(low, 4), round(high, 4)],
            "brier": round(float(np.mean([(r["black_winrate"] - r["black_won"]) ** 2 for r in subset])), 4),
            "majority_baseline": round(max(black_share, 1 - black_share), 4),
            "tromp_taylor_on_winners_side": round(float(np.mean([(r["tromp_taylor"] > 0) == r["black_won"]
                                                                 for r in subset])), 4),
        }
    references = {"playouts_per_second": "-", "by_move": "baselines: majority_baseline, tromp_taylor_on_winners_side"}
    notes = (f"The shipped preset with {args.symmetries} symmetries for the candidates, the raw network for the "
             f"variations; {DEFAULT_CANDIDATES} candidates, variations of {DEFAULT_PV_LENGTH} moves, "
             f"{args.playouts} play-outs per candidate (moves answering ataris, else random legal moves that fill no "
             "own eye and put no string of 3+ stones in atari), counted by area with the game's komi, seed 0. "
             f"Positions: after moves {', '.join(map(str, MOVES))} of the first {args.games} games of {args.shard} "
             "with a recorded winner and no handicap (most were resigned, so the winner is the one who was ahead "
             "by the professionals' reading). The win rate is that of the first candidate (the network's first "
             "choice), turned to Black's side; a Brier score of 0.25 is what a constant 50% scores. "
             "seconds_to_first_info: candidates, variations and one play-out each, as lz-analyze prints its first "
             "line; Brier and agreement say how far a play-out win rate can be trusted, not how strong the engine is.")
    write_result("go_analysis", metrics, references, wall_time_s=time.perf_counter() - start, notes=notes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
