"""Win rate of the shipped policy preset (no search) against GNU Go, 19x19 level 10 by default.

    CNNKIT_DATA=../shared/data python -m benchmarks.go_match --games 32 --parallel 2 --max-minutes 24 --symmetries 8

Colors alternate; GNU Go scores each finished game (``final_score``, dead stones removed); games
that reach ``--max-moves`` are scored the same way at that point. The SGFs go to the set-up's games
folder, benchmarks/results/go_match_games[_9x9|_13x13][_8_symmetries][_TAG]/. ``--first-game 32
--games 64`` plays games 33-96 of the same set-up into the same folder (each game number has its own
GNU Go seed and color). Then:

    python -m benchmarks.go_match_summary --symmetries 8     # all the set-up's games in one result
    python -m benchmarks.go_match_play_out --symmetries 8    # play the games stopped at the limit on

Published CNNs (Clark & Storkey 2015, Maddison et al. 2015) won 86-97% against GNU Go with the
network alone.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from benchmarks.go_common import (
    KOMI,
    ROOT,
    add_setup_arguments,
    argument_parser,
    games_folder,
    match_references,
    players,
    preset_line,
    result_name,
    run_jobs,
    win_metrics,
)


def build_parser():
    parser = argument_parser(__doc__, __file__)
    parser.add_argument("--games", type=int, default=10)
    add_setup_arguments(parser)
    parser.add_argument("--max-moves", type=int, default=250,
                        help="score a game that reaches this many moves where it stands (GNU Go's final_score)")
    parser.add_argument("--max-minutes", type=float, default=25.0, help="start no new game after this wall time")
    parser.add_argument("--parallel", type=int, default=1, help="processes sharing the games")
    parser.add_argument("--first-game", type=int, default=0,
                        help="number the games from FIRST_GAME + 1 (their GNU Go seeds and colors): more games "
                             "of an earlier run's set-up, saved beside its games; the result is named _games_A_B")
    for moved, module in (("--play-out", "go_match_play_out"), ("--summarise-only", "go_match_summary")):
        parser.add_argument(moved, action="store_true",
                            help=f"moved to its own benchmark: python -m benchmarks.{module}")
    parser.add_argument("--compare-with", default=None, help="moved: python -m benchmarks.go_match_summary")
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    for moved, module in ((args.play_out, "go_match_play_out"),
                          (args.summarise_only or args.compare_with is not None, "go_match_summary")):
        if moved:
            parser.error(f"that mode is now its own benchmark: python -m benchmarks.{module} (same options)")
    if args.first_game < 0:
        parser.error(f"--first-game must be >= 0, got {args.first_game}")
    if args.games < 1 or args.parallel < 1:
        parser.error("--games and --parallel must be >= 1")

    from shared.benchmarking import write_result

    start = time.perf_counter()
    per_process = -(-args.games // args.parallel)
    jobs = [(args.first_game + first, min(per_process, args.games - first), args)
            for first in range(0, args.games, per_process)]
    results = run_jobs(_play, jobs, games_folder(args))
    records = sorted((g for r in results for g in r["game_records"]), key=lambda g: g["sgf"])
    for game in records:
        game["sgf"] = str(Path(game["sgf"]).relative_to(ROOT))
    metrics = win_metrics(records)
    metrics.update(
        engine_genmove_ms_mean=sum(g["engine_think_ms_mean"] for g in records) / len(records),
        opponent=f"{results[0]['opponent_name']} level {args.level}",
        opponent_restarts=sum(r["opponent_restarts"] for r in results),
        games_abandoned=sum(r["games_abandoned"] for r in results),
    )
    notes = (f"{len(records)} of {args.games} requested games were played within the {args.max_minutes}-minute "
             f"budget ({args.parallel} processes) on a shared 2-core CPU (GNU Go level {args.level} needs seconds "
             f"per move there); komi {KOMI}, area scoring by GNU Go's final_score; games reaching {args.max_moves} "
             "moves are scored at that point. The engine passes after an opponent's pass only when ahead by its "
             f"own count with the dead stones off (64 play-outs). {preset_line(args.tactics, args.value)} "
             "Per-game records: " +
             "; ".join(f"{g['engine_color']} {g['result']} {g['moves']} moves" for g in records))
    games_range = f"_games_{args.first_game + 1}_{args.first_game + args.games}" if args.first_game else ""
    write_result(result_name(args, games_range), metrics, match_references(args),
                 wall_time_s=time.perf_counter() - start, notes=notes, extra={"game_records": records})
    print(metrics)
    return 0


def _play(job):
    """One process's share of the match: ``games`` games from game ``first`` + 1."""
    first, games, args = job
    engine, opponent = players(args)
    from apps.go_policy.play.match import play_match

    return play_match(engine, opponent, games=games, size=args.size, komi=KOMI, out=games_folder(args),
                      max_moves=args.max_moves, max_minutes=args.max_minutes, first_game=first)


if __name__ == "__main__":
    sys.exit(main())
