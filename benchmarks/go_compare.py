"""Paired comparison of Go policy networks on the same held-out positions.

    CNNKIT_DATA=../shared/data python -m benchmarks.go_compare \
        --models apps/go_policy/presets/policy_large.keras runs/policy_large_distilled/policy.keras \
        --sgf ../shared/data/go/cwi_pro/cwi_pro_19x19_part12.tar.gz --skip-games 200 --games 200 \
        --name go_distill_trial/compare

Each network's top-1 has a game-resampled interval about a point wide on 200 games, too wide
to tell a 0.1-point change from noise. Scored on the same positions, most of that spread is
shared, so the interval of the *difference* (every later model minus the first, games
resampled) is several times narrower: it says whether a candidate beats the shipped preset.
The probability average of all the models (an ensemble) is scored too. Networks may read
different input planes: each feature set is encoded once, and the positions must match move for move.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from benchmarks.go_common import argument_parser


def build_parser():
    parser = argument_parser(__doc__, __file__)
    parser.add_argument("--models", nargs="+", required=True,
                        help="two or more .keras policy networks; the first is the base")
    parser.add_argument("--sgf", required=True, help="held-out SGF archive or folder")
    parser.add_argument("--skip-games", type=int, default=0)
    parser.add_argument("--games", type=int, default=200)
    parser.add_argument("--symmetries", type=int, default=1, choices=range(1, 9), metavar="1..8")
    parser.add_argument("--name", default="go_compare", help="result name under benchmarks/results/")
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if len(args.models) < 2:
        parser.error("--models needs at least two networks to compare")

    from apps.go_policy.model.data import predict_with_symmetries
    from apps.go_policy.model.train import move_prediction_metrics, paired_top1_difference, positions_of
    from apps.go_policy.play.engine import load_policy
    from shared.benchmarking import RESULTS, write_result

    start = time.perf_counter()
    models = [load_policy(path) for path in args.models]
    feature_sets = [tuple(getattr(model, "features", None) or ["small"]) for model in models]
    planes = {}  # feature set -> encoded positions: networks of different input planes see the same moves
    y = numbers = games = report = None
    for path, features in zip(args.models, feature_sets):
        if features in planes:
            continue
        (x, labels, move_numbers, position_games), report = positions_of(
            [args.sgf], list(features), max_games=args.games, skip_games=args.skip_games, progress=False)
        if y is not None and not (np.array_equal(labels, y) and np.array_equal(position_games, games)):
            raise ValueError(f"--models {path}: its {len(labels)} positions ({', '.join(features)}) are not the "
                             f"{len(y)} positions of the first network; cannot pair them")
        planes[features], y, numbers, games = x, labels, move_numbers, position_games

    probabilities, rows = [], {}
    for path, model, features in zip(args.models, models, feature_sets):
        p = predict_with_symmetries(lambda b, m=model: m.predict(b, batch_size=256, verbose=0), planes[features],
                                    args.symmetries)
        probabilities.append(p)
        metrics = move_prediction_metrics(p, y, numbers, games=games)
        rows[Path(path).as_posix()] = {k: metrics[k] for k in ("top1", "top1_ci95", "top5")}
    correct = [p.argmax(axis=1) == y for p in probabilities]
    for path, right in zip(args.models[1:], correct[1:]):
        rows[Path(path).as_posix()]["vs_first"] = paired_top1_difference(correct[0], right, games)
    averaged = sum(probabilities) / len(probabilities)
    ensemble = move_prediction_metrics(averaged, y, numbers, games=games)
    rows["ensemble (probability average)"] = {
        **{k: ensemble[k] for k in ("top1", "top1_ci95", "top5")},
        "vs_first": paired_top1_difference(correct[0], averaged.argmax(axis=1) == y, games)}

    result = {"positions": int(len(y)), "games": report["games_used"], "symmetries": args.symmetries,
              "models": rows}
    (RESULTS / args.name).parent.mkdir(parents=True, exist_ok=True)
    notes = (f"{args.sgf} games {args.skip_games + 1}-{args.skip_games + args.games}, every non-pass move, "
             f"{args.symmetries} symmetr{'y' if args.symmetries == 1 else 'ies'}. vs_first: top-1 of the model minus "
             "top-1 of the first, on the same positions, with a 95% interval resampling whole games (2,000 draws); "
             "only_*_right count the positions where exactly one of the two is right.")
    write_result(args.name, result, wall_time_s=time.perf_counter() - start, notes=notes)
    for name, row in rows.items():
        print(name, row)
    return 0


if __name__ == "__main__":
    sys.exit(main())
