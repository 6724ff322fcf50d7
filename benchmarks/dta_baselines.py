"""Add the scikit-learn baselines (and the per-pair throughput) to an existing DTA result.

The DeepDTA benchmarks (``benchmarks.dta_affinity``, ``benchmarks.dta_interaction``) train for
long and can be resumed; the baselines are a separate, cheaper step. This script fits
the ECFP + composition random forest and histogram gradient boosting on the *same* split
(all training pairs), scores them on the same test pairs, measures the training pairs/s of
the entity-batched and the plain per-pair DeepDTA step in one run, and merges everything
into ``benchmarks/results/<name>.json|md`` (the original command and commit are kept).

    python -m benchmarks.dta_baselines --data kiba
    python -m benchmarks.dta_baselines --data human
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from benchmarks.dta_common import comparison_lines, compiled_model


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.dta_baselines", description=__doc__.splitlines()[0])
    parser.add_argument("--data", choices=("davis", "kiba", "human"), required=True)
    parser.add_argument("--name", default=None, help="result name (default: the data name)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--throughput-steps", type=int, default=6)
    args = parser.parse_args(argv)
    start = time.perf_counter()

    from apps.drug_target.baselines import run_baselines
    from apps.drug_target.data import load_dataset
    from apps.drug_target.presets import preset_record
    from apps.drug_target.train import measure_pairs_per_second
    from shared.benchmarking import RESULTS, update_result
    from shared.cli import seed_everything

    seed_everything(args.seed)
    name = args.name or args.data
    record_path = RESULTS / f"{name}.json"
    if not record_path.exists():
        raise SystemExit(f"{record_path} does not exist: run the DeepDTA benchmark for {args.data} first.")
    record = json.loads(record_path.read_text())
    preset = preset_record(args.data)
    task, batch_pairs = preset["task"], preset["benchmark"]["batch_pairs"]
    if task == "affinity":
        pair_data, split = load_dataset(args.data, "setting1", seed=args.seed, full_train=True)
    else:
        pair_data, split = load_dataset(args.data, "random", seed=args.seed, task="interaction")
    train_idx, test_idx = split["train"], split["test"]
    print(f"{args.data}: baselines on {len(train_idx)} training pairs, scored on {len(test_idx)} test pairs",
          flush=True)
    baselines = run_baselines(pair_data, train_idx, test_idx, seed=args.seed)
    for values in baselines.values():
        values["train_pairs"] = len(train_idx)

    model = compiled_model(task, preset, preset["benchmark"]["learning_rate"])
    speeds = {}
    for label, entity in (("entity_batched", True), ("per_pair", False)):
        speeds[label] = measure_pairs_per_second(model, pair_data, train_idx, entity_batched=entity,
                                                 batch_pairs=batch_pairs, steps=args.throughput_steps,
                                                 seed=args.seed)
        print(f"DeepDTA {label} step: {speeds[label]:.1f} pairs/s", flush=True)
    metrics = dict(record["metrics"])
    metrics.update(throughput_same_run_entity_batched=round(speeds["entity_batched"], 1),
                   throughput_same_run_per_pair=round(speeds["per_pair"], 1),
                   throughput_same_run_speedup=round(speeds["entity_batched"] / speeds["per_pair"], 2))
    published = record.get("published") or record.get("published_auroc") or {}
    lines = comparison_lines(task, published, baselines, metrics)
    print("\n".join(lines), flush=True)
    summary = ", ".join(f"{label} " + ", ".join(f"{k} {v:.3f}" for k, v in values.items()
                                                if k in ("ci", "mse", "auroc", "auprc"))
                        for label, values in baselines.items())
    note = (f"scikit-learn baselines refitted on all {len(train_idx)} training pairs of the same split and scored "
            f"on the same {len(test_idx)} test pairs ({summary}); DeepDTA training throughput measured in one run "
            f"on a fresh model over {args.throughput_steps} batches of ~{batch_pairs} pairs: entity-batched "
            f"{speeds['entity_batched']:.0f} pairs/s vs plain per-pair {speeds['per_pair']:.0f} pairs/s.")
    update_result(name, {"metrics": metrics, "baselines": baselines, "comparison_table": lines}, note,
                  wall_time_s=time.perf_counter() - start)
    print(f"updated {record_path}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
