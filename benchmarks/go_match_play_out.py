"""Play the games a match stopped at its move limit on to their end, and compare the two verdicts.

    python -m benchmarks.go_match_play_out --symmetries 8 --tag dead_stone_count --max-moves 700 --parallel 2

``go_match`` scores a game that reaches ``--max-moves`` where it stands (GNU Go's final_score,
borders often still open). This takes every game of the set-up's games folder that ended neither
by two passes nor by a resignation and plays it on from its last move, the same engine and GNU Go
seeded with the game's number, to two passes, a resignation or the new ``--max-moves``. The games
go to the folder's ``_played_out`` twin; the result (``..._played_out``) counts the verdicts that
changed (with the exact McNemar test), how the games ended, whether the side our count put ahead
at GNU Go's first pass won, and the win rate of all the set-up's games with the played-out
verdicts in place of the adjudications.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from benchmarks.go_common import (
    ENGINE_NAME,
    KOMI,
    ROOT,
    add_setup_arguments,
    adjudicated_games,
    argument_parser,
    engine_color,
    games_folder,
    match_references,
    played_out_folder,
    players,
    preset_line,
    result_name,
    run_jobs,
    saved_games,
    win_metrics,
)


def build_parser():
    parser = argument_parser(__doc__, __file__)
    add_setup_arguments(parser)
    parser.add_argument("--max-moves", type=int, default=700, help="the new move limit (default: 700)")
    parser.add_argument("--max-minutes", type=float, default=25.0, help="start no new game after this wall time")
    parser.add_argument("--parallel", type=int, default=1, help="processes sharing the games")
    parser.add_argument("--play-out", action="store_true", help="accepted for older command lines; implied")
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    from shared.benchmarking import write_result

    folder = games_folder(args)
    saved = saved_games(folder)
    adjudicated = adjudicated_games(saved)
    if not adjudicated:
        raise SystemExit(f"no adjudicated game in {folder.relative_to(ROOT)}")
    start = time.perf_counter()
    numbers = sorted(adjudicated)
    openings = {n: adjudicated[n][0].moves for n in numbers}
    jobs = [({n: openings[n] for n in numbers[i::args.parallel]}, args) for i in range(args.parallel)]
    results = run_jobs(_play_on, [job for job in jobs if job[0]], played_out_folder(args))
    played = sorted((g for r in results for g in r["game_records"]), key=lambda g: g["game"])
    rows = []
    for game in played:
        before = adjudicated[game["game"]][1]
        sgf = Path(game["sgf"])
        rows.append({"game": game["game"], "engine_color": before["engine_color"],
                     "adjudicated_result": before["result"], "adjudicated_at": before["moves"],
                     "adjudicated_won": before["won"], "result": game["result"], "scored_by": game["scored_by"],
                     "moves": game["moves"], "won": game["won"], "reached_new_limit": game["adjudicated_at_max_moves"],
                     "count_at_first_opponent_pass": count_at_first_opponent_pass(sgf, before["moves"]),
                     "sgf": str(sgf.relative_to(ROOT)), "seconds": game["seconds"]})
    metrics = verdict_metrics(rows, saved, len(adjudicated))
    notes = (f"{len(rows)} of the {len(adjudicated)} games of {folder.relative_to(ROOT)} that had been adjudicated "
             f"(scored by GNU Go's final_score at the move limit) were played on from where they stopped, within "
             f"a {args.max_minutes}-minute budget ({args.parallel} processes), to two passes, a resignation or move "
             f"{args.max_moves}: the same engine and opponent, GNU Go seeded with the game's number. "
             f"flips_mcnemar_exact_p: the exact McNemar test of loss_to_win against win_to_loss. "
             f"ahead_at_first_opponent_pass_won: of the opponent_passed games where GNU Go passed after the old "
             f"limit, those won by the side our count (64 play-outs, dead stones off) put ahead at its first pass, "
             f"where the engine decides between passing and playing on. all_games_*: every "
             f"game of the folder with the played-out verdicts in place of the adjudications "
             "(all_games_still_adjudicated were not reached within the budget). "
             f"{preset_line(args.tactics, args.value)} Games: " +
             "; ".join(f"{r['game']} engine {r['engine_color']} {r['adjudicated_result']} at {r['adjudicated_at']} "
                       f"-> {r['result']} at {r['moves']}" for r in rows))
    reference = match_references(args).get("win_rate")
    references = {"all_games_win_rate": reference} if reference else {}  # the played-out subset is not a match
    write_result(result_name(args, "_played_out"), metrics, references, wall_time_s=time.perf_counter() - start,
                 notes=notes, extra={"game_records": rows})
    print(metrics)
    return 0


def verdict_metrics(rows, saved, adjudicated: int) -> dict:
    """The played-out verdicts (``rows``, one per game played on) against the adjudications, and the
    win rate of every game of the folder (``saved``) with the played-out verdicts in their place."""
    from apps.go_policy.play.match import paired_comparison

    counted = [r for r in rows if r["count_at_first_opponent_pass"]]
    after = win_metrics(rows)
    flips = paired_comparison({r["game"]: r["won"] for r in rows}, {r["game"]: r["adjudicated_won"] for r in rows})
    metrics = {
        "adjudicated_games": adjudicated, "played_out": len(rows),
        "adjudicated_wins": sum(r["adjudicated_won"] for r in rows), "played_out_wins": after["wins"],
        "played_out_win_rate": after["win_rate"], "played_out_win_rate_ci95": after["win_rate_ci95"],
        "loss_to_win": flips["won_only_by_this"], "win_to_loss": flips["won_only_by_other"],
        "flips_mcnemar_exact_p": flips["mcnemar_exact_p"],
        "ended_by_resignation": sum(r["scored_by"] == "resignation" for r in rows),
        "ended_by_two_passes": sum(r["scored_by"] != "resignation" and not r["reached_new_limit"] for r in rows),
        "reached_new_limit": sum(r["reached_new_limit"] for r in rows),
        "opponent_passed": len(counted),
        "ahead_at_first_opponent_pass_won": sum(
            r["count_at_first_opponent_pass"].startswith(engine_color(r) + "+") == r["won"] for r in counted),
    }
    played_won = {r["game"]: r["won"] for r in rows}
    everything = [{**row, "won": played_won.get(number, row["won"])} for number, _, row in saved]
    overall = win_metrics(everything)
    metrics.update({f"all_games_{key}": overall[key] for key in ("games", "wins", "win_rate", "win_rate_ci95")})
    metrics["all_games_still_adjudicated"] = adjudicated - len(rows)
    return metrics


def count_at_first_opponent_pass(sgf: Path, after: int) -> str | None:
    """Our count (64 play-outs, dead stones off) of the position where GNU Go first passed after
    move ``after``; None when it never did."""
    from apps.go_policy.rules.board import BLACK, WHITE
    from apps.go_policy.rules.records import parse_game
    from apps.go_policy.rules.scoring import final_score

    game = parse_game(sgf.read_bytes(), sgf.name, min_moves=0)
    engine = BLACK if game.black == ENGINE_NAME else WHITE
    for number, (color, point) in enumerate(game.moves[after:], start=after):
        if point is None and color != engine:
            return final_score(game.board(number), playouts=64)
    return None


def _play_on(job):
    """One process's share: play each game of ``openings`` on from its recorded moves."""
    openings, args = job
    engine, opponent = players(args)
    from apps.go_policy.play.match import play_match

    return play_match(engine, opponent, size=args.size, komi=KOMI, out=played_out_folder(args),
                      max_moves=args.max_moves, max_minutes=args.max_minutes, openings=openings)


if __name__ == "__main__":
    sys.exit(main())
