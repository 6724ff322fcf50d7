"""One result from every finished game a match set-up saved: several ``go_match`` runs, or one that stopped early.

    python -m benchmarks.go_match_summary --symmetries 8 --tag dead_stone_count
    python -m benchmarks.go_match_summary --symmetries 8 --tag gpu_continuation --compare-with dead_stone_count
    python -m benchmarks.go_match_summary --symmetries 8 --tactics --tag gpu_continuation \
        --compare-with gpu_continuation

Reads the SGFs of the set-up's games folder (their RE property: GNU Go's final_score, or the
resignation) and writes ``go_match_<size>x<size>_level<level>[_8_symmetries][_TAG]_all_games``.
On small boards different GNU Go seeds often give the same game: ``distinct_*`` counts each move
sequence once. ``--compare-with TAG`` sets the games game by game (same numbers: same GNU Go seeds
and colors) next to those of the set-up with ``--tag TAG`` ('' for none) and the network alone
(no ``--tactics``), each game's played-out verdict (``go_match_play_out``) in place of its
adjudication where there is one, with the exact McNemar test of the games only one side won.
Plays nothing: seconds, no GNU Go needed.
"""

from __future__ import annotations

import sys
from argparse import Namespace

from benchmarks.go_common import (
    GNUGO_VERSION,
    KOMI,
    ROOT,
    add_setup_arguments,
    argument_parser,
    final_verdicts,
    games_folder,
    match_references,
    preset_line,
    result_name,
    saved_games,
    win_metrics,
)


def build_parser():
    parser = argument_parser(__doc__, __file__)
    add_setup_arguments(parser)
    parser.add_argument("--max-moves", type=int, default=250,
                        help="the move limit the games were played with (for the notes)")
    parser.add_argument("--compare-with", default=None, metavar="TAG",
                        help="compare game by game with the games of the set-up with --tag TAG ('' for none), "
                             "the network alone (without --tactics, unless --compare-tactics)")
    parser.add_argument("--compare-tactics", action="store_true",
                        help="the set-up of --compare-with reads tactics too (it never reads ahead with the value)")
    parser.add_argument("--summarise-only", action="store_true", help="accepted for older command lines; implied")
    parser.add_argument("--name", default=None,
                        help="result name under benchmarks/results/ (default: the set-up's _all_games)")
    return parser


def summarise(args) -> dict:
    """The result's metrics, notes and game rows for the set-up ``args``."""
    folder = games_folder(args)
    records = [{**row, "sequence": (row["engine_color"], tuple(game.moves))} for _, game, row in saved_games(folder)]
    if not records:
        raise SystemExit(f"no finished games in {folder}")
    metrics = win_metrics(records)
    # Both engines are deterministic but for GNU Go's seed, and on small boards different seeds
    # often give the same game: the interval above treats repeats as independent, this one does not.
    distinct = list({game.pop("sequence"): game for game in records}.values())
    metrics["distinct_games"] = len(distinct)
    metrics.update({f"distinct_{key}": value for key, value in win_metrics(distinct).items()
                    if key in ("wins", "win_rate", "win_rate_ci95")})
    metrics["opponent"] = f"{GNUGO_VERSION} level {args.level}"
    compared = ""
    if args.compare_with is not None:
        from apps.go_policy.play.match import paired_comparison

        other = games_folder(Namespace(**{**vars(args), "tag": args.compare_with,
                                             "tactics": args.compare_tactics, "value": False}))
        if not other.is_dir():
            raise SystemExit(f"--compare-with {args.compare_with!r}: no games folder {other.relative_to(ROOT)}")
        paired = paired_comparison(final_verdicts(folder), final_verdicts(other))
        metrics.update({f"compared_{key}": value for key, value in paired.items()})
        compared = (f"compared_*: game by game against the games of {other.relative_to(ROOT)} with the same "
                    "numbers (GNU Go seeds and colors), played-out verdicts in place of adjudications on both "
                    "sides; paired_wins_other is that set-up's, mcnemar_exact_p the exact test of the games only "
                    "one side won. ")
    notes = (f"Summarised from the {len(records)} finished games saved in {folder.relative_to(ROOT)} (one or more "
             "runs of `python -m benchmarks.go_match` with this set-up; see their own results for each run's "
             f"command, commit and timing). Komi {KOMI}; each game scored by GNU Go's final_score (dead stones "
             f"removed), at move {args.max_moves} if it had not ended. distinct_*: each different move sequence "
             "counted once (the same game repeated under other GNU Go seeds counts once). "
             f"{compared}{preset_line(args.tactics, args.value)} Games: " +
             "; ".join(f"engine {g['engine_color']} {g['result']} {g['moves']} moves" for g in records))
    return {"metrics": metrics, "notes": notes, "game_records": records}


def command(args) -> str:
    """The command that re-runs this summary, without the options at their defaults."""
    parts = ["python -m benchmarks.go_match_summary"]
    parts += [f"--size {args.size}"] if args.size != 19 else []
    parts += [f"--level {args.level}"] if args.level != 10 else []
    parts += [f"--symmetries {args.symmetries}"]
    parts += ["--tactics"] if args.tactics else []
    parts += ["--value"] if args.value else []
    parts += [f"--tag {args.tag}"] if args.tag else []
    parts += [f"--compare-with '{args.compare_with}'"] if args.compare_with is not None else []
    parts += ["--compare-tactics"] if args.compare_tactics else []
    parts += [f"--name {args.name}"] if args.name else []
    return " ".join(parts)


def main(argv=None):
    args = build_parser().parse_args(argv)
    from shared.benchmarking import write_result

    summary = summarise(args)
    write_result(args.name or result_name(args, "_all_games"), summary["metrics"], match_references(args),
                 command=command(args), notes=summary["notes"], extra={"game_records": summary["game_records"]})
    print(summary["metrics"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
