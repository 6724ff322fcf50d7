"""The shipped 19x19 preset on 9x9 and 13x13 professional games: top-1 / top-5 move prediction.

    CNNKIT_DATA=../shared/data python benchmarks/go_small_boards.py --symmetries 8

The policy network is fully convolutional, so the preset trained on 19x19 games reads any
board; this measures how much of its move prediction carries over to the 503 9x9 and 105
13x13 games of ``go_small_boards`` (none of them seen in training), raw and averaged over the
board symmetries, as ``cnnkit go evaluate --size 9|13`` does. Nothing is published for a
19x19 network on these games; chance is one legal point in 81 or 169.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ARCHIVE = "cwi_9x9_13x13.tar.gz"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[9, 13], choices=[9, 13, 19])
    parser.add_argument("--symmetries", type=int, default=8,
                        help="also score the network averaged over this many board symmetries (1: skip)")
    args = parser.parse_args()

    from apps.go_policy.presets import DEFAULT_PRESET, preset_record
    from apps.go_policy.play.engine import load_policy
    from apps.go_policy.model.train import evaluate_policy
    from shared.benchmarking import script_command, write_result
    from shared.data import path

    start = time.perf_counter()
    model = load_policy(DEFAULT_PRESET)
    source = [path("go_small_boards", ARCHIVE)]
    result = {}
    for size in args.sizes:
        raw = evaluate_policy(model, source, workers=2, progress=False, size=size)
        board = {
            "games": raw["games"]["games_used"], "positions": raw["positions"], "top1": raw["top1"],
            "top1_ci95": raw["top1_ci95"], "top5": raw["top5"], "by_phase": raw["by_phase"],
            "predict_positions_per_s": raw["predict_positions_per_s"],
        }
        if args.symmetries > 1:
            averaged = evaluate_policy(model, source, workers=2, progress=False, size=size,
                                       symmetries=args.symmetries)
            board.update({f"top1_{args.symmetries}_symmetries": averaged["top1"],
                          f"top1_{args.symmetries}_symmetries_ci95": averaged["top1_ci95"],
                          f"top5_{args.symmetries}_symmetries": averaged["top5"]})
        result[f"{size}x{size}"] = board
    held_out = preset_record().get("measured_accuracy_held_out", {})  # written by go_accuracy.py
    on_19x19 = (f"{held_out['top1']:.1%} raw and {held_out['top1_8_symmetries']:.1%} with 8 symmetries"
                if "top1_8_symmetries" in held_out else "see go_accuracy")
    notes = (f"The shipped preset ({DEFAULT_PRESET.name}, trained on 19x19 games of go_pro shards 1-11 only) on "
             f"every game of go_small_boards/{ARCHIVE} of each size (professional Mini-Go and pair-go games, "
             "handicap games included), every non-pass move, no legality masking. The _ci95 intervals resample "
             "whole games (2,000 bootstrap draws). No published reference: the papers report 19x19 only, where "
             f"this preset scores {on_19x19} (go_accuracy); uniform chance is 1/81 "
             "(1.2%) on 9x9 and 1/169 (0.6%) on 13x13.")
    write_result("go_small_boards", result, {}, command=script_command(__file__),
                 wall_time_s=time.perf_counter() - start, notes=notes)
    print(result)


if __name__ == "__main__":
    main()
