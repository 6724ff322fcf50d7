"""Defaults that hold on a user's small data: DeepDTA with early stopping, dropout and weight decay
next to the fingerprint baselines, on a few thousand interaction pairs.

Two small training sets: Human's random split with its training part subsampled to 2,500 pairs (a
new sample per seed; validation and test are Human's own val.csv and test.csv), and the BindingDB
sample (172 training pairs, its own val.csv and test.csv). On each, every network setting trains
over several seeds as ``cnnkit dta train`` does (the dataset's preset network, batches of 256
pairs, Adam at 1e-3, or AdamW for a weight decay; the epoch with the best validation AUROC is
kept), and the ECFP4 + composition random forest and gradient boosting (``cnnkit dta baseline``)
are fitted on the same training pairs. Test AUROC and AUPRC, mean ± standard deviation over the
seeds, go to ``benchmarks/results/dta_small_data.json|md``.

Early stopping does not change the epochs before it stops, so each run trains once with one
patience and scores the test pairs at every epoch that improves the validation AUROC; the run
each smaller patience makes (where it stops, the epoch it keeps and that epoch's test scores) is
read off the same curves. The first setting (the current default) trains with the largest
patience checked, the others with ``cnnkit dta train``'s default patience, and no run goes past
60 epochs: that keeps the grid near 40 minutes on 2 CPU cores. Weight decay is Keras' AdamW: each step shrinks every
weight by learning rate x decay of itself, so at a rate of 1e-3 only a decay near 1 changes much
over a few hundred steps. Training runs under ``--precision`` (default ``auto``, as ``cnnkit dta
train``: mixed bfloat16 on a GPU or a CPU with bfloat16 units, float32 elsewhere).

    python -m benchmarks.dta_small_data            # the grid in FULL
    python -m benchmarks.dta_small_data --quick    # tiny slices and network: a smoke test

Finished runs are kept in the cnnkit cache: a rerun after an interruption continues with the
next run (``--fresh`` starts over).
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from shared.benchmarking import chosen

# Network settings: build_deepdta overrides (None: the preset's) and AdamW's weight decay (0: Adam).
SETTINGS = {
    "default": {"label": "DeepDTA as `dta train` (dropout 0.1, Adam)", "dropout": None, "weight_decay": 0.0},
    "dropout0.3": {"label": "dropout 0.3, Adam", "dropout": 0.3, "weight_decay": 0.0},
    "wd0.01": {"label": "dropout 0.1, AdamW decay 0.01", "dropout": None, "weight_decay": 0.01},
    "wd0.1": {"label": "dropout 0.1, AdamW decay 0.1", "dropout": None, "weight_decay": 0.1},
    "wd1": {"label": "dropout 0.1, AdamW decay 1", "dropout": None, "weight_decay": 1.0},
    "dropout0.3_wd0.1": {"label": "dropout 0.3, AdamW decay 0.1", "dropout": 0.3, "weight_decay": 0.1},
}
DATASETS = ("human", "bindingdb")
BASELINES = {"random_forest": "ECFP4 + composition random forest", "gradient_boosting": "ECFP4 + composition "
             "gradient boosting"}
# The grid: Human's 2,500-pair runs cost minutes each on a CPU, the BindingDB sample's seconds.
FULL = {"settings": {"human": "default,dropout0.3", "bindingdb": "default,dropout0.3,wd0.1,wd1,dropout0.3_wd0.1"},
        "seeds": "0,1,2", "patiences": "5,10,15", "train_pairs": 2500, "max_epochs": 60, "limit": None,
        "network": {}}
# --quick: a tiny network on slices of 200 pairs, for tests and a first look at the output.
QUICK = {"settings": {"human": "default,wd1", "bindingdb": "default,dropout0.3"}, "seeds": "0,1",
         "patiences": "2,4", "train_pairs": 200, "max_epochs": 8, "limit": 200,
         "network": {"smiles_length": 40, "protein_length": 64, "embed_dim": 8, "filters": (4, 6, 8),
                     "hidden_units": (16,)}}
BATCH_PAIRS = 256      # `cnnkit dta train`'s default
LEARNING_RATE = 1e-3   # `cnnkit dta train`'s default


def stop_and_keep(values, patience):
    """``(stop epoch, kept epoch)`` (1-based) of early stopping with ``patience`` on a validation
    curve where higher is better, as ``cnnkit dta train`` stops (``ResumableEarlyStopping``) and
    keeps (``PairMetricsLogger``): it stops once ``patience`` epochs have passed since the best
    one; without a stop it ends with the curve. Non-finite values never count as better."""
    best, kept = None, None
    for epoch, value in enumerate(values, 1):
        if np.isfinite(value) and (best is None or value > best):
            best, kept = value, epoch
        elif kept is not None and epoch - kept >= patience:
            return epoch, kept
    return len(values), kept


# The validation score early stopping watches, whether it is better when higher, and the test metrics kept.
MONITORED = {"affinity": ("val_mse", False, ("ci", "mse")), "interaction": ("val_auroc", True, ("auroc", "auprc"))}


def improvement_scorer(pair_model, pair_data, test_idx, last_epoch=None):
    """A resumable Keras callback that records each epoch's validation score (from the logs of the
    validation logger before it: ``val_auroc``, or ``val_mse`` for affinity) and scores the test
    pairs at every epoch that beats the best so far, the only epochs an early stop can keep, and at
    ``last_epoch``. ``validation`` is the curve; ``test`` maps the epoch (1-based, a string) to the
    test metrics."""
    import keras

    from apps.drug_target.metrics import score
    from apps.drug_target.model import encode_entities_for
    from apps.drug_target.predict import predict_entities

    monitor, higher_is_better, kept = MONITORED[pair_data.task]
    smiles_tokens, protein_tokens, _ = encode_entities_for(pair_model, pair_data)
    d, p, y = pair_data.drug_index[test_idx], pair_data.protein_index[test_idx], pair_data.y[test_idx]

    class ImprovementScorer(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.validation, self.test, self.best = [], {}, None

        def on_epoch_end(self, epoch, logs=None):
            value = float((logs or {}).get(monitor, float("nan")))
            self.validation.append(value)
            better = np.isfinite(value) and (self.best is None or
                                             (value > self.best if higher_is_better else value < self.best))
            if better:
                self.best = value
            if better or epoch + 1 == last_epoch:
                metrics = score(pair_data.task, y, predict_entities(pair_model, smiles_tokens, protein_tokens, d, p))
                self.test[str(epoch + 1)] = {key: metrics[key] for key in kept}

        def get_resume_state(self):
            return {"validation": self.validation, "test": self.test, "best": self.best}

        def set_resume_state(self, state):
            self.validation, self.test, self.best = list(state["validation"]), dict(state["test"]), state["best"]

    return ImprovementScorer()


def load_small_sets(names, train_pairs, limit):
    """``{name: (PairData, given split, description)}``; the training pairs are drawn per seed
    (:func:`training_pairs`). ``limit`` keeps the first pairs of the validation and test parts."""
    from apps.drug_target.data import load_dataset

    sets = {}
    for name in names:
        pair_data, split = load_dataset(name, "random", task="interaction")
        if limit is not None:
            split = {k: v[:limit] if k != "train" else v for k, v in split.items()}
        used = min(train_pairs, len(split["train"]))
        drawn = f"{used} of its {len(split['train'])} training pairs drawn per seed" \
            if used < len(split["train"]) else f"all {used} training pairs"
        sets[name] = (pair_data, split, f"{name}, random split: {drawn}, validation {len(split['valid'])}, "
                                        f"test {len(split['test'])} pairs")
        print(sets[name][2], flush=True)
    return sets


def training_pairs(split, train_pairs, seed):
    """The seed's training sample: ``train_pairs`` of the given training pairs, or all of them."""
    train = np.asarray(split["train"])
    if train_pairs >= train.size:
        return train
    return np.sort(np.random.default_rng(seed).choice(train, train_pairs, replace=False))


def run_network(pair_data, split, train_idx, data, setting, seed, max_epochs, patience, network):
    """One DeepDTA run with the largest patience; its curves and the view of each smaller patience."""
    import keras

    from apps.drug_target.model import build_deepdta
    from apps.drug_target.presets import preset_config
    from apps.drug_target.train import optimizer, train

    keras.utils.set_random_seed(seed)
    config = {**preset_config(data), **network}
    if SETTINGS[setting]["dropout"] is not None:
        config["dropout"] = SETTINGS[setting]["dropout"]
    model = build_deepdta("interaction", **config)
    model.compile(optimizer=optimizer(LEARNING_RATE, SETTINGS[setting]["weight_decay"]))
    curve = improvement_scorer(model, pair_data, split["test"])
    result = train(model, pair_data, train_idx, split["valid"], epochs=max_epochs, batch_pairs=BATCH_PAIRS,
                   seed=seed, verbose=0, patience=patience, callbacks=[curve])
    return {"epochs_run": result["epochs_run"], "seconds": round(result["seconds"], 1),
            "stopped_early": result["stopped_early"], "best_epoch": result["best_epoch"],
            "final_loss": result["records"][-1].get("loss"), "validation_auroc": curve.validation,
            "test_at_improvement": curve.test}


def patience_view(run, patience):
    """What training with ``patience`` makes of ``run`` (trained with at least that patience)."""
    if patience > run["patience"]:
        raise ValueError(f"a run trained with patience {run['patience']} cannot show patience {patience}")
    stop, kept = stop_and_keep(run["validation_auroc"], patience)
    test = run["test_at_improvement"].get(str(kept), {"auroc": float("nan"), "auprc": float("nan")})
    return {"epochs": stop, "kept_epoch": kept, "valid_auroc": run["validation_auroc"][kept - 1],
            "test_auroc": test["auroc"], "test_auprc": test["auprc"]}


def mean_std(values):
    values = np.asarray([v for v in values if v is not None], dtype=float)
    return float(np.mean(values)), float(np.std(values, ddof=1)) if values.size > 1 else 0.0


def summarise(runs, settings, patiences):
    """Per dataset: each setting x patience (those its runs can show) and each baseline, mean and
    standard deviation over seeds."""
    metrics = {}
    for data, names in settings.items():
        block = {}
        for setting in names:
            for patience in patiences:
                views = [patience_view(r, patience) for r in runs
                         if r["data"] == data and r["setting"] == setting and patience <= r["patience"]]
                if not views:
                    continue
                entry = {}
                for key in ("test_auroc", "test_auprc"):
                    entry[f"{key}_mean"], entry[f"{key}_std"] = mean_std([v[key] for v in views])
                for key in ("epochs", "kept_epoch"):
                    entry[f"{key}_mean"] = mean_std([v[key] for v in views])[0]
                block[f"{setting}.patience{patience}"] = entry
        for model in BASELINES:
            fits = [r for r in runs if r["data"] == data and r["setting"] == model]
            if fits:
                entry = {}
                for key in ("auroc", "auprc"):
                    entry[f"test_{key}_mean"], entry[f"test_{key}_std"] = mean_std([f[key] for f in fits])
                block[model] = entry
        metrics[data] = block
    return metrics


def table_lines(metrics, settings, patiences, described):
    lines = []
    for data, block in metrics.items():
        lines += ["", described[data],
                  f"{'model':<46} {'patience':>8} {'test AUROC':>15} {'test AUPRC':>15} {'epochs':>7} {'kept':>6}"]
        for setting in settings[data]:
            for patience in patiences:
                entry = block.get(f"{setting}.patience{patience}")
                if entry:
                    lines.append(
                        f"{SETTINGS[setting]['label']:<46} {patience:>8} "
                        f"{entry['test_auroc_mean']:>7.3f} ± {entry['test_auroc_std']:.3f} "
                        f"{entry['test_auprc_mean']:>7.3f} ± {entry['test_auprc_std']:.3f} "
                        f"{entry['epochs_mean']:>7.1f} {entry['kept_epoch_mean']:>6.1f}")
        for model, label in BASELINES.items():
            entry = block.get(model)
            if entry:
                lines.append(f"{label:<46} {'-':>8} {entry['test_auroc_mean']:>7.3f} ± {entry['test_auroc_std']:.3f} "
                             f"{entry['test_auprc_mean']:>7.3f} ± {entry['test_auprc_std']:.3f} {'-':>7} {'-':>6}")
    return lines[1:]


def full_data_references(results):
    """The same models on all of Human's training pairs, from ``human.json`` where it exists."""
    path = results / "human.json"
    if not path.exists():
        return {}
    record = json.loads(path.read_text())
    references = {"default.patience10": {"test_auroc_mean": record["metrics"]["auroc"]}}
    for model in BASELINES:
        if model in record.get("baselines", {}):
            references[model] = {"test_auroc_mean": record["baselines"][model]["auroc"]}
    return {"human": references}


def build_parser():
    from shared.cli import add_precision_argument

    parser = argparse.ArgumentParser(prog="python -m benchmarks.dta_small_data", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tiny network on slices of 200 pairs (a smoke test)")
    parser.add_argument("--datasets", default=",".join(DATASETS), help=f"comma-separated, of {', '.join(DATASETS)}")
    parser.add_argument("--settings", default=None,
                        help=f"comma-separated network settings for every dataset, of {', '.join(SETTINGS)} "
                             f"(default: {'; '.join(f'{k} {v}' for k, v in FULL['settings'].items())})")
    parser.add_argument("--seeds", default=None, help=f"comma-separated (default {FULL['seeds']})")
    parser.add_argument("--patiences", default=None,
                        help=f"comma-separated patiences read off each run (default {FULL['patiences']})")
    parser.add_argument("--train-pairs", type=int, default=None,
                        help=f"Human training pairs per seed (default {FULL['train_pairs']})")
    parser.add_argument("--max-epochs", type=int, default=None, help=f"default {FULL['max_epochs']}")
    add_precision_argument(parser)
    parser.add_argument("--name", default="dta_small_data", help="result name (--quick adds _quick)")
    parser.add_argument("--fresh", action="store_true", help="forget the finished runs of an earlier invocation")
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    plan = dict(QUICK if args.quick else FULL)
    for key in ("settings", "seeds", "patiences", "train_pairs", "max_epochs"):
        if getattr(args, key) is not None:
            plan[key] = getattr(args, key)
    datasets = chosen("--datasets", args.datasets, DATASETS)
    settings = {data: chosen("--settings", plan["settings"] if isinstance(plan["settings"], str)
                             else plan["settings"][data], tuple(SETTINGS)) for data in datasets}
    seeds = [int(s) for s in str(plan["seeds"]).split(",")]
    patiences = sorted(int(p) for p in str(plan["patiences"]).split(","))
    if not seeds or patiences[0] < 1:
        raise SystemExit("--seeds needs at least one seed and --patiences positive numbers")
    name = args.name + ("_quick" if args.quick else "")
    wall = time.perf_counter()

    from apps.drug_target.baselines import run_baselines
    from apps.drug_target.options import DEFAULT_PATIENCE
    from shared import data as shared_data
    from shared.benchmarking import RESULTS, script_command, write_result
    from shared.cli import apply_precision

    precision = apply_precision(args.precision)
    sets = load_small_sets(datasets, plan["train_pairs"], plan["limit"])
    progress_path = shared_data.cache_dir("drug_target", "bench") / f"{name}_progress.json"
    finished = {} if args.fresh or not progress_path.exists() else json.loads(progress_path.read_text())
    runs = []
    for data in datasets:
        pair_data, split, _ = sets[data]
        for seed in seeds:
            train_idx = training_pairs(split, plan["train_pairs"], seed)
            key = f"{data}/baselines/{seed}/{len(train_idx)}"
            if key not in finished:
                fits = run_baselines(pair_data, train_idx, split["test"], seed=seed)
                finished[key] = [{"data": data, "setting": model, "seed": seed, **m} for model, m in fits.items()]
                progress_path.write_text(json.dumps(finished))
            runs += finished[key]
            for setting in settings[data]:
                # The reference setting shows every patience; the others train as `dta train` would.
                patience = patiences[-1] if setting == settings[data][0] else min(patiences[-1], DEFAULT_PATIENCE)
                key = f"{data}/{setting}/{seed}/{len(train_idx)}/{plan['max_epochs']}/{patience}/{precision}"
                if key not in finished:
                    start = time.perf_counter()
                    run = run_network(pair_data, split, train_idx, data, setting, seed, plan["max_epochs"],
                                      patience, plan["network"])
                    finished[key] = {"data": data, "setting": setting, "seed": seed, "patience": patience,
                                     "precision": precision, **run}
                    progress_path.write_text(json.dumps(finished))
                    view = patience_view(finished[key], patience)
                    print(f"{data} {setting} seed {seed}: {run['epochs_run']} epochs, kept {view['kept_epoch']}, "
                          f"test AUROC {view['test_auroc']:.3f} ({time.perf_counter() - start:.0f} s)", flush=True)
                runs.append(finished[key])
    metrics = summarise(runs, settings, patiences)
    lines = table_lines(metrics, settings, patiences, {k: f"{sets[k][2]}; seeds {seeds}" for k in datasets})
    print("\n".join(lines), flush=True)
    references = {} if args.quick else full_data_references(RESULTS)
    notes = (
        "Test AUROC/AUPRC mean ± standard deviation over seeds (a new Human training sample per seed). Each "
        f"DeepDTA run trained once (at most {plan['max_epochs']} epochs, batches of {BATCH_PAIRS} pairs, learning "
        f"rate {LEARNING_RATE:g}, {precision}), the first setting of each dataset with patience {patiences[-1]}, the "
        f"others with {min(patiences[-1], DEFAULT_PATIENCE)}, and kept the epoch with the best validation AUROC; "
        "the rows of smaller patiences are read off the same validation curve (where that patience stops, the "
        "epoch it keeps, that epoch's test scores). 'epochs': epochs trained; 'kept': the epoch kept. Weight "
        "decay: Keras AdamW, each step shrinks the weights by learning rate x decay. "
        "Baselines: `cnnkit dta baseline` (ECFP4 + amino-acid/dipeptide composition) on the same training "
        "pairs. The reference column (Human only) is the same model on all 4,197 training pairs "
        "(benchmarks/results/human.json), not a published figure."
    )
    if args.quick:
        notes = "QUICK SMOKE RUN (tiny network, 200-pair slices): not a measurement. " + notes
    path = write_result(name, metrics, references, command=script_command(__file__, argv),
                        wall_time_s=time.perf_counter() - wall, notes=notes,
                        extra={"plan": {**plan, "settings": settings, "precision": precision}, "settings": SETTINGS,
                               "runs": runs, "comparison_table": lines, "quick": bool(args.quick)})
    print(f"wrote {path} ({time.perf_counter() - wall:.0f} s)", flush=True)
    return path


if __name__ == "__main__":
    main()
