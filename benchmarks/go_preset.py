"""Package a finished ``cnnkit go train`` run as the shipped preset (model + its record).

    python -m benchmarks.go_preset --run runs/policy_medium --name policy_medium \
        --trained-on "first 3,000 games of shard 1" --machine "2-core CPU, quiet"
    CNNKIT_DATA=../shared/data python -m benchmarks.go_accuracy --games 200   # adds the held-out accuracy

Saves ``RUN/policy.keras`` without its optimizer state (a player does not need Adam's moments;
they would triple the file) as ``apps/go_policy/presets/NAME.keras`` and writes ``NAME.json``
with the training command, the network, the data and throughput figures and the run's own
validation and test-split accuracy from ``RUN/summary.json``. The preset must stay <= 5 MB.
A run continued from a preset (``--init-model``) keeps that preset's training record under
``continued_from``, so the whole lineage (e.g. GPU run, then CPU continuation) stays on file.
A preset with a recipe (``apps.go_policy.presets.RECIPES``) is then packed for the registry
(``benchmarks.presets.pack``): ``NAME.json`` becomes its metadata, with this record under ``training``.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

from benchmarks.go_common import ROOT, argument_parser
from shared.presets import MAX_PLAIN_BYTES

PRESETS = ROOT / "apps" / "go_policy" / "presets"
KEPT = ("depth", "filters", "features", "planes", "parameters", "batch_size", "learning_rate",
        "anneal_over_time_budget", "epochs_run", "stopped_by_time_budget", "positions", "games", "dataset",
        "encode_positions_per_s", "skip_games", "dtype_policy_while_training", "ema_momentum", "distillation", "soup")


def build_parser():
    parser = argument_parser(__doc__, __file__)
    parser.add_argument("--run", required=True, help="the --out folder of a finished `cnnkit go train`")
    parser.add_argument("--name", default="policy_medium")
    parser.add_argument("--trained-on", required=True, help="one line on the training games, for the record")
    parser.add_argument("--machine", required=True, help="one line on the machine and its load, for the record")
    parser.add_argument("--driver", default=None,
                        help="the script that ran the training, if any (e.g. benchmarks/go_gpu_preset.sh)")
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    import keras

    import apps.go_policy.model.network  # noqa: F401  (registers PolicyNetwork for loading)
    from apps.go_policy.presets import RECIPES, preset_record

    run = Path(args.run)
    summary_file, model_file = run / "summary.json", run / "policy.keras"
    for needed in (summary_file, model_file):
        if not needed.is_file():
            raise SystemExit(f"--run {run}: {needed.name} is missing (is the training finished?)")
    summary = json.loads(summary_file.read_text())
    command = (summary.get("command") or "").replace(str(run), "runs/" + args.name)
    record = {
        "model": f"{args.name}.keras",
        "command": "CNNKIT_DATA=../shared/data " + command,
        **({"driver": args.driver} if args.driver else {}),
        "trained_on": args.trained_on,
        "machine": args.machine,
        **{key: summary.get(key) for key in KEPT},
        "train_minutes": round(summary["train_seconds"] / 60.0, 1),
        "train_positions_seen": summary["train_positions_seen_this_run"],
        "train_positions_per_s": summary["train_positions_per_s"],
        "validation_4096_positions": summary.get("validation"),
        "test_split": summary.get("test"),
        "history": summary.get("history"),
    }
    if summary.get("init_model"):  # a continued training: keep the record of the model it started from
        parent = Path(summary["init_model"])
        parent_record = parent.with_suffix(".json")
        record["continued_from"] = {"model": parent.name, **(
            {k: v for k, v in preset_record(parent).items() if k != "history"} if parent_record.is_file() else {})}
        before = record["continued_from"]
        if "train_minutes" in before:
            record["train_minutes_total"] = round(
                before.get("train_minutes_total", before["train_minutes"]) + record["train_minutes"], 1)
            record["train_positions_seen_total"] = (before.get("train_positions_seen_total",
                                                               before["train_positions_seen"])
                                                    + record["train_positions_seen"])
    PRESETS.mkdir(parents=True, exist_ok=True)
    target = PRESETS / f"{args.name}.keras"
    with tempfile.TemporaryDirectory() as folder:
        player = Path(folder) / target.name
        keras.saving.load_model(model_file, compile=False).save(player)
        if player.stat().st_size > MAX_PLAIN_BYTES:
            raise SystemExit(f"{model_file} is {player.stat().st_size / 1e6:.1f} MB without its optimizer; "
                             "a preset must be <= 5 MB")
        shutil.copyfile(player, target)
    (PRESETS / f"{args.name}.json").write_text(json.dumps(record, indent=1) + "\n")
    print(f"wrote {target} and .json ({target.stat().st_size / 1e6:.2f} MB)")
    if args.name in RECIPES:
        from benchmarks.presets import pack

        print(f"packed for the registry: {pack(args.name)}")
    else:
        print(f"{args.name} has no recipe: add one to RECIPES in apps/go_policy/presets/__init__.py and run "
              f"python -m benchmarks.presets pack {args.name} (the registry needs its metadata)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
