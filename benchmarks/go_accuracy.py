"""Top-1 / top-5 professional move prediction of the shipped preset on held-out games.

    CNNKIT_DATA=../shared/data python benchmarks/go_accuracy.py --games 200 --symmetries 8

The preset was trained on games of shards 1-11 only (its training command and curve are
in the ``.json`` beside it in apps/go_policy/presets/); shard 12 is held out, so its games
are a fair test. With ``--symmetries 8`` the network averaged over the 8 board symmetries
is scored too. The figures are also written into that record. Accuracy is given overall
and by game phase, next to the published figures: Clark & Storkey (2015) 44.4% (8-layer
CNN, GoGoD), Maddison et al. (2015) 55.2%, AlphaGo's SL policy (Silver et al. 2016) 55.7% /
57.0% (full features).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--games", type=int, default=200)
    parser.add_argument("--shard", default="cwi_pro_19x19_part12.tar.gz")
    parser.add_argument("--symmetries", type=int, default=8,
                        help="also score the network averaged over this many board symmetries (1: skip)")
    args = parser.parse_args()

    from apps.go_policy.presets import DEFAULT_PRESET, preset_record
    from apps.go_policy.play.engine import load_policy
    from apps.go_policy.model.train import evaluate_policy
    from shared.benchmarking import write_result
    from shared.data import path

    start = time.perf_counter()
    model = load_policy(DEFAULT_PRESET)
    metrics = evaluate_policy(model, [path("go_pro", args.shard)], max_games=args.games, workers=2, progress=False)
    preset = preset_record()
    result = {
        "top1": metrics["top1"], "top1_ci95": metrics["top1_ci95"], "top5": metrics["top5"],
        "positions": metrics["positions"],
        "games": metrics["games"]["games_used"], "by_phase": metrics["by_phase"],
        "preset": {k: preset.get(k) for k in ("depth", "filters", "features", "planes", "parameters",
                                              "train_positions_seen", "train_positions_per_s",
                                              "encode_positions_per_s", "train_minutes",
                                              "train_minutes_total", "train_positions_seen_total")},
    }
    averaged = None
    if args.symmetries > 1:
        averaged = evaluate_policy(model, [path("go_pro", args.shard)], max_games=args.games, workers=2,
                                   progress=False, symmetries=args.symmetries)
        result[f"top1_{args.symmetries}_symmetries"] = averaged["top1"]
        result[f"top1_{args.symmetries}_symmetries_ci95"] = averaged["top1_ci95"]
        result[f"top5_{args.symmetries}_symmetries"] = averaged["top5"]
        result[f"by_phase_{args.symmetries}_symmetries"] = averaged["by_phase"]
    reference = "0.444 (Clark & Storkey 2015, 8 layers); 0.552-0.570 (Maddison 2015; AlphaGo SL)"
    references = {"top1": reference, f"top1_{args.symmetries}_symmetries": reference}
    notes = (f"Held-out {args.shard}, first {args.games} games, every non-pass move, raw network output (no "
             f"legality masking). The preset ({DEFAULT_PRESET.name}) is a {preset.get('depth')}x"
             f"{preset.get('filters')} network reading {preset.get('planes')} planes ({', '.join(preset.get('features', []))}), trained "
             f"for {preset.get('train_minutes_total', preset.get('train_minutes'))} minutes in all "
             f"({preset.get('train_positions_seen_total', preset.get('train_positions_seen'))} training positions "
             f"seen; {preset.get('trained_on')}) on: {preset.get('machine')}. top1_N_symmetries averages the "
             "network over N board rotations and reflections (`cnnkit go evaluate --symmetries N`). The _ci95 "
             "intervals resample whole games (2,000 bootstrap draws), since the moves of one game are not "
             "independent. The published "
             "networks were trained for days on GPUs over millions of positions.")
    write_result("go_accuracy", result, references, wall_time_s=time.perf_counter() - start, notes=notes)
    preset["measured_accuracy_held_out"] = {
        "source": f"go_pro {args.shard}, first {args.games} games (never used in training)",
        "command": f"CNNKIT_DATA=../shared/data python benchmarks/go_accuracy.py --games {args.games} "
                   f"--symmetries {args.symmetries}",
        "positions": metrics["positions"], "top1": metrics["top1"], "top1_ci95": metrics["top1_ci95"],
        "top5": metrics["top5"],
        "by_phase": metrics["by_phase"],
        **({f"top1_{args.symmetries}_symmetries": averaged["top1"],
            f"top1_{args.symmetries}_symmetries_ci95": averaged["top1_ci95"], f"top5_{args.symmetries}_symmetries":
            averaged["top5"]} if averaged else {}),
    }
    DEFAULT_PRESET.with_suffix(".json").write_text(json.dumps(preset, indent=1) + "\n")
    print(result)


if __name__ == "__main__":
    main()
