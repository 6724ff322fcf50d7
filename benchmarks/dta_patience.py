"""How long `cnnkit dta train` should wait on affinity data: early-stopping patience on Davis / KIBA.

``cnnkit dta train --data davis`` trains on setting 1's first four training folds, validates on the
fifth, stops once ``--patience`` epochs (default 10) have not lowered the validation MSE, and keeps
the best validation epoch. Here each seed trains that way without stopping, for DeepDTA's 100
epochs, scores the test fold at every epoch that lowers the validation MSE (the only epochs an early
stop can keep) and at the last one, and reads off what each patience makes of the same run: where
it stops, the epoch it keeps, and that epoch's test CI and MSE. The last row, "no early stopping",
is DeepDTA's fixed schedule (the last epoch, no model selection).

    python -m benchmarks.dta_patience --data davis --seeds 0 1
    python -m benchmarks.dta_patience --data davis --seeds 0 --epochs 3 --limit 500   # a smoke run

Each seed's run checkpoints every epoch in the cnnkit cache (``drug_target/bench/<name>_seed<S>``),
its test scores included, so a killed benchmark resumes where it stopped.
"""

from __future__ import annotations

import argparse
import json
import time

from benchmarks.dta_small_data import improvement_scorer, mean_std, stop_and_keep

PATIENCES = (5, 10, 20, 30)
BATCH_PAIRS = 256     # `cnnkit dta train`'s default
LEARNING_RATE = 1e-3  # `cnnkit dta train`'s default


def run_seed(data, arch, seed, epochs, limit, out):
    """One `dta train` run without early stopping: its validation curve and test scores."""
    import keras

    from apps.drug_target.data import load_training_data
    from apps.drug_target.model import build_deepdta
    from apps.drug_target.presets import preset_config
    from apps.drug_target.train import optimizer, train

    keras.utils.set_random_seed(seed)
    pair_data, splits, _ = load_training_data(data, None, seed=seed)
    train_idx, valid_idx, test_idx = (splits[k] if limit is None else splits[k][:limit]
                                      for k in ("train", "valid", "test"))
    model = build_deepdta("affinity", **preset_config(data, arch))
    model.compile(optimizer=optimizer(LEARNING_RATE))
    scorer = improvement_scorer(model, pair_data, test_idx, last_epoch=epochs)
    result = train(model, pair_data, train_idx, valid_idx, epochs=epochs, batch_pairs=BATCH_PAIRS, seed=seed,
                   checkpoint_dir=str(out / "checkpoint"), log_path=out / "training_log.csv", verbose=0,
                   patience=0, restore_best=False, callbacks=[scorer])
    return {"seed": seed, "epochs": result["epochs_run"], "seconds": round(result["seconds"], 1),
            "pairs": {"train": len(train_idx), "valid": len(valid_idx), "test": len(test_idx)},
            "validation_mse": scorer.validation, "test_at_improvement": scorer.test}


def patience_view(run, patience):
    """What ``cnnkit dta train --patience N`` makes of ``run`` (None: no early stopping, last epoch)."""
    if patience is None:
        kept = stop = run["epochs"]
    else:
        stop, kept = stop_and_keep([-v for v in run["validation_mse"]], patience)
    test = run["test_at_improvement"][str(kept)]
    return {"epochs": stop, "kept_epoch": kept, "valid_mse": run["validation_mse"][kept - 1], **test}


def summarise(runs, patiences):
    """Per patience (and ``none``): test CI / MSE and epochs, mean and standard deviation over seeds."""
    metrics = {}
    for patience in [*patiences, None]:
        views = [patience_view(run, patience) for run in runs]
        entry = {}
        for key in ("ci", "mse"):
            entry[f"test_{key}_mean"], entry[f"test_{key}_std"] = mean_std([v[key] for v in views])
        for key in ("epochs", "kept_epoch"):
            entry[f"{key}_mean"] = mean_std([v[key] for v in views])[0]
        metrics[f"patience{patience}" if patience else "no_early_stopping"] = entry
    return metrics


def table_lines(metrics):
    lines = [f"{'patience':<20} {'test CI':>15} {'test MSE':>15} {'epochs':>7} {'kept':>6}"]
    for key, entry in metrics.items():
        label = key.replace("patience", "") if key != "no_early_stopping" else "none (last epoch)"
        lines.append(f"{label:<20} {entry['test_ci_mean']:>7.3f} ± {entry['test_ci_std']:.3f} "
                     f"{entry['test_mse_mean']:>7.3f} ± {entry['test_mse_std']:.3f} "
                     f"{entry['epochs_mean']:>7.1f} {entry['kept_epoch_mean']:>6.1f}")
    return lines


def main(argv=None):
    from benchmarks.dta_common import add_arch_argument, arch_suffix

    parser = argparse.ArgumentParser(prog="python -m benchmarks.dta_patience", description=__doc__.splitlines()[0])
    parser.add_argument("--data", choices=("davis", "kiba"), default="davis")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--epochs", type=int, default=100, help="epochs of every run (DeepDTA's 100)")
    parser.add_argument("--patiences", type=int, nargs="+", default=list(PATIENCES))
    parser.add_argument("--limit", type=int, default=None, help="smoke runs: first N pairs of each part")
    add_arch_argument(parser)
    args = parser.parse_args(argv)
    if min(args.patiences) < 1:
        parser.error(f"--patiences must be positive; got {args.patiences}")
    wall = time.perf_counter()

    from apps.drug_target.options import DEFAULT_PATIENCE
    from shared import data as shared_data
    from shared.benchmarking import script_command, write_result

    name = f"dta_patience_{args.data}{arch_suffix(args.arch)}" + ("_smoke" if args.limit else "")
    runs = []
    for seed in args.seeds:
        out = shared_data.cache_dir("drug_target", "bench", f"{name}_seed{seed}")
        done = out / "run.json"
        finished = json.loads(done.read_text()) if done.is_file() else None
        if finished is not None and finished["epochs"] == args.epochs:
            runs.append(finished)
            continue
        start = time.perf_counter()
        run = run_seed(args.data, args.arch, seed, args.epochs, args.limit, out)
        done.write_text(json.dumps(run))
        runs.append(run)
        view = patience_view(run, DEFAULT_PATIENCE)
        print(f"seed {seed}: patience {DEFAULT_PATIENCE} stops at {view['epochs']}, keeps {view['kept_epoch']} "
              f"(test CI {view['ci']:.3f}, MSE {view['mse']:.3f}); {time.perf_counter() - start:.0f} s", flush=True)
    patiences = sorted(set(args.patiences))
    metrics = summarise(runs, patiences)
    lines = table_lines(metrics)
    print("\n".join(lines), flush=True)
    pairs = runs[0]["pairs"]
    default = metrics.get(f"patience{DEFAULT_PATIENCE}")
    notes = (
        f"{args.arch} on {args.data} as `cnnkit dta train --data {args.data}` trains it (setting 1's training "
        f"folds 1-4: {pairs['train']} pairs; fold 5 for validation: {pairs['valid']}; the test fold: "
        f"{pairs['test']}), batches of {BATCH_PAIRS} pairs, Adam {LEARNING_RATE:g}, seeds {args.seeds}, each run "
        f"{args.epochs} epochs without stopping. Each patience row is read off the same runs: where `--patience N` "
        "stops (N epochs without a lower validation MSE), the epoch it keeps, and that epoch's test CI / MSE (mean "
        "± standard deviation over seeds); 'none' is the last epoch of the full schedule."
        + (f" The default patience ({DEFAULT_PATIENCE}) keeps test CI {default['test_ci_mean']:.3f} / MSE "
           f"{default['test_mse_mean']:.3f} after {default['epochs_mean']:.0f} epochs on average." if default else "")
    )
    if args.limit:
        notes = "SMOKE RUN (--limit): not a measurement. " + notes
    references = {f"patience{DEFAULT_PATIENCE}": {"test_ci_mean": "the default patience of `cnnkit dta train`"}}
    path = write_result(name, metrics, references, command=script_command(__file__, argv),
                        wall_time_s=time.perf_counter() - wall, notes=notes,
                        extra={"runs": runs, "comparison_table": lines, "patiences": patiences})
    print(f"wrote {path}", flush=True)
    return path


if __name__ == "__main__":
    main()
