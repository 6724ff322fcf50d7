"""End-of-game counting: dead stones and score from random play-outs, next to GNU Go.

    CNNKIT_DATA=../shared/data python -m benchmarks.go_scoring --pro-games 100

Two sets of final positions: every game the engine played against GNU Go
(``benchmarks/results/go_match_games*/``; in those stopped at the move limit borders are
often still open), and professional games of ``--shard`` that were counted (a numeric
result such as ``B+2.5``, not a resignation). For each position, the GTP engine's
``final_score`` / ``final_status_list dead`` (``apps.go_policy.rules.scoring``, ``--playouts``
play-outs) and the plain Tromp-Taylor count are set next to GNU Go's answers with Chinese
(area) rules, the reference GoGui and KGS users know, and, for the professional games, next
to the recorded winner. Professional games were counted by Japanese (territory) rules,
which can differ from an area count by a point or two, so only the winner is compared.
"""

from __future__ import annotations

import re
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.go_common import GNUGO_VERSION, HELD_OUT_SHARD, argument_parser
from shared.benchmarking import RESULTS

COUNTED = re.compile(r"^[BW]\+\d+(\.\d+)?$")


def sign(value: float) -> int:
    return (value > 0) - (value < 0)


def score_value(result: str) -> float:
    """'B+3.5' -> 3.5, 'W+0.5' -> -0.5, '0' -> 0 (GTP / SGF result of a count)."""
    result = result.strip().upper()
    if result in ("0", "DRAW", "JIGO"):
        return 0.0
    if not COUNTED.match(result):
        raise ValueError(f"not a counted result: {result!r}")
    value = float(result[2:])
    return value if result[0] == "B" else -value


def gnugo_answers(gnugo, board, handicap: int, folder: Path):
    """GNU Go's final_score (as a number) and dead points for ``board``."""
    from apps.go_policy.rules.board import gtp_to_point
    from apps.go_policy.rules.records import sgf_bytes

    path = folder / "position.sgf"
    path.write_bytes(sgf_bytes(board.size, board.komi, board.history, setup=board.setup, handicap=handicap))
    gnugo.send(f"loadsgf {path}")
    score = score_value(gnugo.send("final_score"))
    dead = {gtp_to_point(vertex, board.size) for vertex in gnugo.send("final_status_list dead").split()}
    return score, dead


def measure(positions, gnugo, playouts: int, folder: Path) -> dict:
    from apps.go_policy.rules.scoring import area_score, final_status, ownership

    rows = []
    for name, board, handicap, recorded in positions:
        start = time.perf_counter()
        owner = ownership(board, playouts=playouts)
        ours = area_score(board, owner)
        dead = {p for string in final_status(board, owner=owner)["dead"] for p in string}
        ours_seconds = time.perf_counter() - start
        start = time.perf_counter()
        reference, reference_dead = gnugo_answers(gnugo, board, handicap, folder)
        rows.append({"name": name, "ours": ours, "tromp_taylor": board.score(), "gnugo": reference,
                     "recorded": recorded, "dead": dead, "gnugo_dead": reference_dead,
                     "ours_seconds": ours_seconds, "gnugo_seconds": time.perf_counter() - start})
    n = len(rows)
    union = sum(len(r["dead"] | r["gnugo_dead"]) for r in rows)
    metrics = {
        "positions": n,
        "winner_agrees_with_gnugo": sum(sign(r["ours"]) == sign(r["gnugo"]) for r in rows) / n,
        "winner_agrees_with_gnugo_tromp_taylor": sum(sign(r["tromp_taylor"]) == sign(r["gnugo"]) for r in rows) / n,
        "score_equals_gnugo": sum(r["ours"] == r["gnugo"] for r in rows) / n,
        "score_equals_gnugo_tromp_taylor": sum(r["tromp_taylor"] == r["gnugo"] for r in rows) / n,
        "score_mean_abs_difference_to_gnugo": sum(abs(r["ours"] - r["gnugo"]) for r in rows) / n,
        "score_mean_abs_difference_to_gnugo_tromp_taylor": sum(abs(r["tromp_taylor"] - r["gnugo"]) for r in rows) / n,
        "dead_sets_equal_gnugo": sum(r["dead"] == r["gnugo_dead"] for r in rows) / n,
        "dead_points_jaccard_with_gnugo": (sum(len(r["dead"] & r["gnugo_dead"]) for r in rows) / union
                                           if union else 1.0),
        "dead_points_ours": sum(len(r["dead"]) for r in rows),
        "dead_points_gnugo": sum(len(r["gnugo_dead"]) for r in rows),
        "seconds_per_position_ours": sum(r["ours_seconds"] for r in rows) / n,
        "seconds_per_position_gnugo": sum(r["gnugo_seconds"] for r in rows) / n,
    }
    if all(r["recorded"] is not None for r in rows):
        for key, label in (("ours", ""), ("gnugo", "_gnugo"), ("tromp_taylor", "_tromp_taylor")):
            metrics[f"winner_agrees_with_record{label}"] = sum(
                sign(r[key]) == sign(r["recorded"]) for r in rows) / n
    disagreements = [{"name": r["name"], "ours": r["ours"], "gnugo": r["gnugo"], "recorded": r["recorded"],
                      "dead_only_ours": len(r["dead"] - r["gnugo_dead"]),
                      "dead_only_gnugo": len(r["gnugo_dead"] - r["dead"])}
                     for r in rows if sign(r["ours"]) != sign(r["gnugo"])]
    return metrics, disagreements


def match_positions():
    from apps.go_policy.rules.records import parse_game

    for path in sorted(RESULTS.glob("go_match_games*/game_*.sgf")):
        record = parse_game(path.read_bytes(), path.name, min_moves=0)
        yield f"{path.parent.name}/{path.name}", record.board(None), record.handicap, None


def pro_positions(source, games: int):
    from apps.go_policy.rules.records import read_games

    found = 0
    for record in read_games(source, sizes=(19,)):
        if record.result is None or not COUNTED.match(record.result.strip().upper()):
            continue
        yield record.name, record.board(None), record.handicap, score_value(record.result)
        found += 1
        if found >= games:
            return


def build_parser():
    parser = argument_parser(__doc__, __file__)
    parser.add_argument("--pro-games", type=int, default=100, help="counted professional games to score")
    parser.add_argument("--shard", default=HELD_OUT_SHARD)
    parser.add_argument("--playouts", type=int, default=64)
    parser.add_argument("--gnugo", default="gnugo --mode gtp --chinese-rules")
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)

    from apps.go_policy.play.match import GtpClient
    from shared.benchmarking import write_result
    from shared.data import path

    start = time.perf_counter()
    gnugo = GtpClient(args.gnugo)
    results, disagreements = {}, {}
    try:
        with tempfile.TemporaryDirectory() as folder:
            for label, positions in (("match_games", match_positions()),
                                     ("pro_games", pro_positions(path("go_pro", args.shard), args.pro_games))):
                results[label], disagreements[label] = measure(list(positions), gnugo, args.playouts, Path(folder))
                print(label, results[label], flush=True)
    finally:
        gnugo.close()
    references = {"match_games": f"{GNUGO_VERSION} final_score / final_status_list dead, Chinese rules",
                  "pro_games": f"{GNUGO_VERSION} (Chinese rules) and the recorded result (Japanese rules)"}
    notes = (f"Ours: {args.playouts} random play-outs per position (moves that answer an atari, else random legal "
             "moves that fill no own eye and put no string of 3+ stones in atari), a string dead when its color "
             "owns its points in under half of them; the count gives each region of the board with the dead "
             "stones off to the one color bordering it, and each point left neutral to a color that owns it "
             "in 3 play-outs of 4; seed 0. Tromp-Taylor: every stone on the board counted alive. Match games: the "
             f"final positions of the {results['match_games']['positions']} games of "
             "benchmarks/results/go_match_games*/ (those stopped at the move limit have open borders). Pro games: the "
             f"first {args.pro_games} games of {args.shard} with a counted result, at their last recorded move "
             "(professionals stop before filling neutral points; recorded results are Japanese counts).")
    write_result("go_scoring", results, references, wall_time_s=time.perf_counter() - start, notes=notes,
                 extra={"disagreements_with_gnugo": disagreements})
    return 0


if __name__ == "__main__":
    sys.exit(main())
