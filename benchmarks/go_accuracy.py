"""Top-1 / top-5 professional move prediction of the shipped preset on held-out games.

    CNNKIT_DATA=../shared/data python -m benchmarks.go_accuracy --games 200 --symmetries 8
    CNNKIT_DATA=../shared/data python -m benchmarks.go_accuracy --preset policy_small --symmetries 1

The preset (``policy_large`` unless ``--preset`` names another) was trained on games of shards
1-11 only (its training command and curve are in the ``.json`` beside it in apps/go_policy/presets/);
shard 12 is held out, so its games are a fair test. With ``--symmetries 8`` the network averaged
over the 8 board symmetries is scored too. The result is ``go_accuracy`` (``go_accuracy_NAME`` for
another preset); the figures also go into the preset's training record (``measured_accuracy_held_out``).
Accuracy is given overall and by game phase, next to the published figures: Clark & Storkey
(2015) 44.4% (8-layer CNN, GoGoD), Maddison et al. (2015) 55.2%, AlphaGo's SL policy (Silver
et al. 2016) 55.7% / 57.0% (full features).
"""

from __future__ import annotations

import sys
import time

from benchmarks.go_common import (
    HELD_OUT_SHARD,
    PUBLISHED_TOP1,
    add_symmetries_argument,
    argument_parser,
    evaluate_raw_and_averaged,
    load_preset,
    symmetry_metrics,
)

PRESET_KEYS = ("depth", "filters", "features", "planes", "parameters", "train_positions_seen",
               "train_positions_per_s", "encode_positions_per_s", "train_minutes", "train_minutes_total",
               "train_positions_seen_total")


def build_parser():
    parser = argument_parser(__doc__, __file__)
    parser.add_argument("--games", type=int, default=200)
    parser.add_argument("--shard", default=HELD_OUT_SHARD)
    parser.add_argument("--preset", default=None,
                        help="the shipped preset to score (default: the engine's, policy_large)")
    add_symmetries_argument(parser)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)

    from apps.go_policy.presets import DEFAULT_PRESET, preset_path, preset_record, update_preset_record
    from shared.benchmarking import write_result
    from shared.data import path

    file = DEFAULT_PRESET if args.preset is None else preset_path(args.preset)
    name = "go_accuracy" if file == DEFAULT_PRESET else f"go_accuracy_{file.stem}"
    start = time.perf_counter()
    metrics, averaged = evaluate_raw_and_averaged(load_preset(file), [path("go_pro", args.shard)], args.symmetries,
                                                  max_games=args.games)
    preset = preset_record(file)
    result = {
        "top1": metrics["top1"], "top1_ci95": metrics["top1_ci95"], "top5": metrics["top5"],
        "positions": metrics["positions"],
        "games": metrics["games"]["games_used"], "by_phase": metrics["by_phase"],
        "preset": {k: preset.get(k) for k in PRESET_KEYS},
        **symmetry_metrics(averaged, args.symmetries, keys=("top1", "top1_ci95", "top5", "by_phase")),
    }
    references = {"top1": PUBLISHED_TOP1,
                  **({f"top1_{args.symmetries}_symmetries": PUBLISHED_TOP1} if args.symmetries > 1 else {})}
    notes = (f"Held-out {args.shard}, first {args.games} games, every non-pass move, raw network output (no "
             f"legality masking). The preset ({file.name}) is a {preset.get('depth')}x"
             f"{preset.get('filters')} network reading {preset.get('planes')} planes "
             f"({', '.join(preset.get('features', []))}), trained "
             f"for {preset.get('train_minutes_total', preset.get('train_minutes'))} minutes in all "
             f"({preset.get('train_positions_seen_total', preset.get('train_positions_seen'))} training positions "
             f"seen; {preset.get('trained_on')}) on: {preset.get('machine')}. top1_N_symmetries averages the "
             "network over N board rotations and reflections (`cnnkit go evaluate --symmetries N`). The _ci95 "
             "intervals resample whole games (2,000 bootstrap draws), since the moves of one game are not "
             "independent. The published networks were trained for days on GPUs over millions of positions.")
    write_result(name, result, references, wall_time_s=time.perf_counter() - start, notes=notes)

    chosen = "" if args.preset is None else f"--preset {args.preset} "
    update_preset_record(file, measured_accuracy_held_out={
        "source": f"go_pro {args.shard}, first {args.games} games (never used in training)",
        "command": f"CNNKIT_DATA=../shared/data python -m benchmarks.go_accuracy {chosen}--games {args.games} "
                   f"--symmetries {args.symmetries}",
        "positions": metrics["positions"], "top1": metrics["top1"], "top1_ci95": metrics["top1_ci95"],
        "top5": metrics["top5"], "by_phase": metrics["by_phase"],
        **symmetry_metrics(averaged, args.symmetries),
    })
    print(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
