"""The shipped 19x19 preset on 9x9 and 13x13 professional games: top-1 / top-5 move prediction.

    CNNKIT_DATA=../shared/data python -m benchmarks.go_small_boards --symmetries 8

The policy network is fully convolutional, so the preset trained on 19x19 games reads any
board; this measures how much of its move prediction carries over to the 503 9x9 and 105
13x13 games of ``go_small_boards`` (none of them seen in training), raw and averaged over the
board symmetries, as ``cnnkit go evaluate --size 9|13`` does. Nothing is published for a
19x19 network on these games; chance is one legal point in 81 or 169.
"""

from __future__ import annotations

import sys
import time

from benchmarks.go_common import (
    add_symmetries_argument,
    argument_parser,
    evaluate_raw_and_averaged,
    load_preset,
    symmetry_metrics,
)

ARCHIVE = "cwi_9x9_13x13.tar.gz"


def build_parser():
    parser = argument_parser(__doc__, __file__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[9, 13], choices=[9, 13, 19])
    add_symmetries_argument(parser)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)

    from apps.go_policy.presets import DEFAULT_PRESET, preset_record
    from shared.benchmarking import script_command, write_result
    from shared.data import path

    start = time.perf_counter()
    model = load_preset()
    source = [path("go_small_boards", ARCHIVE)]
    result = {}
    for size in args.sizes:
        raw, averaged = evaluate_raw_and_averaged(model, source, args.symmetries, size=size)
        result[f"{size}x{size}"] = {
            "games": raw["games"]["games_used"], "positions": raw["positions"], "top1": raw["top1"],
            "top1_ci95": raw["top1_ci95"], "top5": raw["top5"], "by_phase": raw["by_phase"],
            "predict_positions_per_s": raw["predict_positions_per_s"],
            **symmetry_metrics(averaged, args.symmetries),
        }
    held_out = preset_record().get("measured_accuracy_held_out", {})  # written by go_accuracy
    on_19x19 = (f"{held_out['top1']:.1%} raw and {held_out['top1_8_symmetries']:.1%} with 8 symmetries"
                if "top1_8_symmetries" in held_out else "see go_accuracy")
    notes = (f"The shipped preset ({DEFAULT_PRESET.name}, trained on 19x19 games of go_pro shards 1-11 only) on "
             f"every game of go_small_boards/{ARCHIVE} of each size (professional Mini-Go and pair-go games, "
             "handicap games included), every non-pass move, no legality masking. The _ci95 intervals resample "
             "whole games (2,000 bootstrap draws). No published reference: the papers report 19x19 only, where "
             f"this preset scores {on_19x19} (go_accuracy); uniform chance is " +
             " and ".join(f"1/{size * size} ({1 / (size * size):.1%}) on {size}x{size}" for size in args.sizes) + ".")
    write_result("go_small_boards", result, {}, command=script_command(__file__, argv),
                 wall_time_s=time.perf_counter() - start, notes=notes)
    print(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
