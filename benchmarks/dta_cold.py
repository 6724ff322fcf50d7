"""DeepDTA on cold splits (test drugs or test proteins never seen in training), over seeds.

Davis and KIBA (``cold-drug``, ``cold-target``): each seed draws its own split (the seed chooses the
held-out drugs or proteins) and trains as ``cnnkit dta train --data davis --split cold-drug|cold-target
--seed S`` does: validation drawn from the training entities, early stopping with the default
patience, the best validation epoch kept, the test part scored once. Human (``cold``): DrugBAN's cold
split, whose test drugs and test proteins are both unseen, is the same for every seed, with its own
validation pairs; the seed changes the network's initialisation and the batches. The ECFP +
composition random forest is fitted on the same training pairs. Finished runs are kept in the
cnnkit cache, so an interrupted benchmark goes on from there.

    python -m benchmarks.dta_cold --seeds 0 1 2
    python -m benchmarks.dta_cold --arch ecfp --splits cold-drug     # a variant (dta_cold_davis_ecfp)
    python -m benchmarks.dta_cold --data human --precision mixed_bfloat16 --epochs 40   # dta_cold_human
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np

from benchmarks.dta_affinity import ARCH_LABELS
from benchmarks.dta_common import add_arch_argument, arch_suffix
from shared.cli import add_precision_argument, apply_precision

# The cold splits of each dataset, and the test metrics of its task.
SPLITS = {"davis": ("cold-drug", "cold-target"), "kiba": ("cold-drug", "cold-target"), "human": ("cold",)}
METRICS = {"davis": ("ci", "mse"), "kiba": ("ci", "mse"), "human": ("auroc", "auprc")}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.dta_cold", description=__doc__.splitlines()[0])
    parser.add_argument("--data", choices=sorted(SPLITS), default="davis")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--splits", nargs="+", choices=sorted({s for splits in SPLITS.values() for s in splits}),
                        default=None, help="default: all of the dataset's (Davis, KIBA: cold-drug cold-target; "
                                           "Human: cold)")
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--limit", type=int, default=None, help="smoke runs: first N pairs of each part")
    add_arch_argument(parser)
    add_precision_argument(parser, default="float32")
    args = parser.parse_args(argv)
    args.splits = args.splits or list(SPLITS[args.data])
    wrong = [split for split in args.splits if split not in SPLITS[args.data]]
    if wrong:
        parser.error(f"--splits for {args.data} must be among {', '.join(SPLITS[args.data])}; got {', '.join(wrong)}")
    suffix = arch_suffix(args.arch)
    keys = METRICS[args.data]
    precision = apply_precision(args.precision)
    wall = time.perf_counter()

    from apps.drug_target.baselines import run_baselines
    from apps.drug_target.data import load_training_data
    from apps.drug_target.options import DEFAULT_PATIENCE
    from apps.drug_target.train import train_and_save
    from shared import data as shared_data
    from shared.benchmarking import RESULTS, write_result

    runs = {}
    for split in args.splits:
        for seed in args.seeds:
            # Runs of another precision are other runs (the recorded float32 ones keep their names).
            precision_suffix = "" if precision == "float32" else f"_{precision}"
            out = shared_data.cache_dir("drug_target", "bench",
                                        f"{args.data}{suffix}_{split}_seed{seed}{precision_suffix}")
            done = out / "cold_run.json"
            if not done.is_file():
                summary = train_and_save(args.data, out, split=split, seed=seed, epochs=args.epochs,
                                         patience=DEFAULT_PATIENCE, limit=args.limit, verbose=2, arch=args.arch)
                pair_data, splits, _ = load_training_data(args.data, split, seed=seed)
                train_idx, test_idx = (splits[k][:args.limit] for k in ("train", "test"))
                forest = run_baselines(pair_data, train_idx, test_idx, seed=seed, which=("random_forest",))
                run = {"split": split, "seed": seed, **{key: summary[f"test_{key}"] for key in keys},
                       "epochs": summary["epochs"], "best_epoch": summary["best_epoch"],
                       "train_pairs": summary["train_pairs"], "test_pairs": summary["test_pairs"],
                       "seconds": summary["seconds"], "precision": summary["precision"],
                       **{f"forest_{key}": forest["random_forest"][key] for key in keys}}
                done.write_text(json.dumps(run, default=float))
            runs[f"{split}/{seed}"] = json.loads(done.read_text())
            print(runs[f"{split}/{seed}"], flush=True)

    metrics, references = {}, {}
    for split in args.splits:
        rows = [run for run in runs.values() if run["split"] == split]
        for key in keys:
            values = [row[key] for row in rows]
            metrics[f"{split}_{key}_mean"] = float(np.mean(values))
            metrics[f"{split}_{key}_std"] = float(np.std(values, ddof=1)) if len(values) > 1 else 0.0
            references[f"{split}_{key}_mean"] = float(np.mean([row[f"forest_{key}"] for row in rows]))
    if args.data == "human":
        how = ("DrugBAN's cold split (test drugs and proteins both unseen in training; the same split for every "
               "seed, which changes the initialisation and the batches) trained as `cnnkit dta train --split cold` "
               f"does (its own val.csv, patience {DEFAULT_PATIENCE}")
        published = "not a published figure: DrugBAN reports Human's random split only"
    else:
        how = ("each seed draws the held-out drugs (cold-drug) or proteins (cold-target) and trains as `cnnkit dta "
               f"train` does (validation drawn from the training entities, patience {DEFAULT_PATIENCE}")
        published = "not a published figure: the DeepDTA and GraphDTA papers report setting 1 only"
    notes = (
        f"{ARCH_LABELS[args.arch]} on {args.data}'s cold splits over seeds {args.seeds}, {precision}: {how}, at most "
        f"{args.epochs} epochs, the best validation epoch kept), scored once on its test part. The references are "
        "the ECFP4 + composition random forest fitted on the same training pairs of each seed (mean over seeds), "
        f"{published}."
    )
    name = f"dta_cold_{args.data}{suffix}"
    write_result(name, metrics=metrics, references=references, wall_time_s=time.perf_counter() - wall, notes=notes,
                 extra={"runs": list(runs.values()), "arch": args.arch})
    print(f"wrote {RESULTS / (name + '.json')}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
