"""DeepDTA on Davis / KIBA, DeepDTA setting 1 (train on the 5 train folds, score the test fold).

Writes ``benchmarks/results/<data>.json|md`` (``metrics`` with ``ci`` and ``mse``) next to
the published DeepDTA, GraphDTA, KronRLS and SimBoost figures, the ECFP + composition
scikit-learn baselines on the same split, and the training throughput of the
entity-batched step against the plain per-pair DeepDTA step measured in the same run.

    python -m benchmarks.dta_affinity --data davis --time-budget-min 18

An interrupted run resumes from its checkpoint in the cnnkit cache when started again.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from benchmarks.dta_common import (
    add_training_arguments,
    apply_preset,
    arch_suffix,
    comparison_lines,
    compiled_model,
)

PUBLISHED = {  # (CI, MSE) on the test fold of setting 1 (Öztürk et al. 2018, Nguyen et al. 2021)
    "davis": {"KronRLS": (0.871, 0.379), "SimBoost": (0.872, 0.282), "DeepDTA": (0.878, 0.261),
              "GraphDTA GCN": (0.880, 0.254), "GraphDTA GAT": (0.892, 0.232),
              "GraphDTA GIN": (0.893, 0.229), "GraphDTA GAT_GCN": (0.881, 0.245)},
    "kiba": {"KronRLS": (0.782, 0.411), "SimBoost": (0.836, 0.222), "DeepDTA": (0.863, 0.194),
             "GraphDTA GCN": (0.889, 0.139), "GraphDTA GAT": (0.866, 0.179),
             "GraphDTA GIN": (0.882, 0.147), "GraphDTA GAT_GCN": (0.891, 0.139)},
}
DEEPDTA_RM2 = {"davis": 0.630, "kiba": 0.673}
ARCH_LABELS = {"deepdta": "DeepDTA", "attention": "DeepDTA with attention pooling",
               "attention_masked": "DeepDTA with attention pooling kept off the padding",
               "multiscale": "DeepDTA with multi-scale kernels", "ecfp": "DeepDTA with ECFP4 bits"}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.dta_affinity", description=__doc__.splitlines()[0])
    parser.add_argument("--data", choices=("davis", "kiba"), default="davis")
    add_training_arguments(parser, time_budget_min=18.0)
    parser.add_argument("--skip-baselines", action="store_true")
    parser.add_argument("--rf-max-samples", type=float, default=None)
    parser.add_argument("--baseline-train-limit", type=int, default=None,
                        help="fit the baselines on a random subset of this many training pairs")
    parser.add_argument("--limit-train", type=int, default=None, help="smoke runs: first N train pairs")
    parser.add_argument("--name", default=None, help="result name (default: the data name)")
    args = parser.parse_args(argv)
    preset = apply_preset(args, args.data)
    wall = time.perf_counter()

    from apps.drug_target.baselines import run_baselines
    from apps.drug_target.data import load_dataset
    from apps.drug_target.predict import evaluate
    from apps.drug_target.train import measure_pairs_per_second, train
    from shared import data as shared_data
    from shared.benchmarking import RESULTS, write_result
    from shared.cli import seed_everything

    seed_everything(args.seed)
    name = args.name or args.data + arch_suffix(args.arch)
    pair_data, split = load_dataset(args.data, "setting1", seed=args.seed, full_train=True)
    train_idx, test_idx = split["train"][: args.limit_train], split["test"]
    print(f"{args.data}: {len(pair_data.drugs)} drugs, {len(pair_data.proteins)} proteins, "
          f"train {len(train_idx)}, test {len(test_idx)} pairs", flush=True)
    smiles_length, protein_length = preset["config"]["smiles_length"], preset["config"]["protein_length"]
    model = compiled_model("affinity", preset, args.learning_rate)
    checkpoint = shared_data.cache_dir("drug_target", "bench", name)
    log_path = RESULTS / f"dta_{name}_training_log.csv"
    # Setting 1 with all five train folds: a fixed schedule, no validation split, no model
    # selection on the test fold (it is scored once, after training).
    result = train(model, pair_data, train_idx, None, epochs=args.epochs, batch_pairs=args.batch_pairs,
                   seed=args.seed, checkpoint_dir=str(checkpoint), log_path=log_path,
                   time_budget_s=args.time_budget_min * 60, verbose=2)
    metrics, predictions = evaluate(model, pair_data, test_idx)
    print(f"{args.arch} test: " + ", ".join(f"{k}={v:.4f}" for k, v in metrics.items()), flush=True)
    model.save(checkpoint / "model.keras")
    np.save(checkpoint / "test_predictions.npy", predictions)
    entity_pps = result["pairs_per_second"]
    # epochs_run counts the epochs before a resume too, as an uninterrupted run reports them.
    metrics.update(epochs=result["epochs_run"], epochs_this_invocation=result["epochs_this_run"],
                   seconds_per_epoch_cpu=result["seconds_per_epoch"],
                   train_pairs_per_second_entity_batched=entity_pps)

    published = {label: {"ci": ci, "mse": mse} for label, (ci, mse) in PUBLISHED[args.data].items()}

    def finish(baselines, stage):
        lines = comparison_lines("affinity", published, baselines, metrics, label=args.arch)
        print("\n".join(lines), flush=True)
        target_ci, target_mse = PUBLISHED[args.data]["DeepDTA"]
        met = metrics["ci"] >= target_ci and metrics["mse"] <= target_mse
        speed = metrics.get("entity_batching_speedup")
        notes = (
            f"{ARCH_LABELS[args.arch]}, setting 1 on {args.data}: trained on all 5 train folds "
            f"({len(train_idx)} pairs), "
            f"scored once on the test fold ({len(test_idx)} pairs); no early stopping and no model "
            f"selection on the test fold. Max lengths SMILES {smiles_length} / protein {protein_length} "
            f"({result['encoding']['proteins_truncated']} proteins and "
            f"{result['encoding']['smiles_truncated']} SMILES truncated); RDKit-canonical SMILES. "
            f"Ran {result['epochs_run']} of DeepDTA's 100 epochs ({result['epochs_this_run']} in this invocation; an "
            f"interrupted run resumes from its checkpoint in the cnnkit cache) with batches of "
            f"~{args.batch_pairs} pairs, Adam {args.learning_rate}, {args.precision}, a "
            f"{args.time_budget_min:g}-minute training budget per invocation"
            + (", so this is a reduced run, not the published schedule" if result["epochs_run"] < 100 else "")
            + f". Target (DeepDTA): CI >= {target_ci}, MSE <= "
            f"{target_mse}: {'met' if met else 'NOT met'}. Entity-batched training encodes each unique "
            f"drug/protein once per batch (same model, same predictions)"
            + (f"; measured {speed:.1f}x the pairs/s of the plain per-pair step in this run" if speed else "")
            + f". Stage: {stage}."
        )
        write_result(
            name, metrics=metrics,
            references={"ci": target_ci, "mse": target_mse, "rm2": DEEPDTA_RM2[args.data]},
            wall_time_s=time.perf_counter() - wall, notes=notes,
            extra={"published": published,
                   "baselines": baselines, "training_log": log_path.name, "comparison_table": lines},
        )

    finish({}, "DeepDTA done; throughput comparison and baselines pending")
    # Throughput of the plain per-pair DeepDTA step (the reference) in this same run.
    per_pair_pps = measure_pairs_per_second(model, pair_data, train_idx, entity_batched=False,
                                            batch_pairs=128, steps=2, seed=args.seed)
    print(f"plain per-pair DeepDTA step (batch 128): {per_pair_pps:.1f} pairs/s", flush=True)
    metrics.update(train_pairs_per_second_per_pair=per_pair_pps,
                   entity_batching_speedup=entity_pps / per_pair_pps if entity_pps else None)
    finish({}, "baselines pending")
    baselines = {}
    if not args.skip_baselines:
        baseline_train = train_idx
        if args.baseline_train_limit and args.baseline_train_limit < len(train_idx):
            baseline_train = np.random.default_rng(args.seed).choice(train_idx, args.baseline_train_limit,
                                                                     replace=False)
        baselines = run_baselines(pair_data, baseline_train, test_idx, seed=args.seed,
                                  rf_max_samples=args.rf_max_samples)
        for values in baselines.values():
            values["train_pairs"] = len(baseline_train)
    finish(baselines, "complete")
    print(f"wrote {RESULTS / (name + '.json')}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
