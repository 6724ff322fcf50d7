"""Tables of ``docs/drug_target.md``: DeepDTA on Davis and KIBA, interaction on Human, training throughput.

The records are ``benchmarks/results/{davis,kiba,human}.json``, written by ``benchmarks.dta_affinity`` /
``benchmarks.dta_interaction`` and extended by ``benchmarks.dta_baselines``.
"""

from __future__ import annotations

from benchmarks.dta_common import arch_suffix
from benchmarks.report import RESULTS, lookup, markdown_table, module_command, number, provenance, rerun, result, table

BASELINES = (("random_forest", "ECFP + composition random forest (cnnkit)"),
             ("gradient_boosting", "ECFP + composition gradient boosting (cnnkit)"))
DATASETS = (("davis", "Davis"), ("kiba", "KIBA"), ("human", "Human"))


def affinity_table(name: str) -> str:
    """CI, MSE and r_m^2 on the setting-1 test fold: ours, our baselines, the published models."""
    record = result(name)
    metrics = record["metrics"]
    rows = [["DeepDTA CNN (cnnkit)", number(metrics["ci"], 3), number(metrics["mse"], 3), number(metrics["rm2"], 3)]]
    for key, label in BASELINES:
        values = lookup(record, f"baselines.{key}")
        if values:
            rows.append([label, number(values["ci"], 3), number(values["mse"], 3), number(values["rm2"], 3)])
    for label, values in record["published"].items():
        rm2 = lookup(record, "references.rm2") if label == "DeepDTA" else None
        rows.append([f"{label} (published)", number(values["ci"], 3), number(values["mse"], 3), number(rm2, 3)])
    table_text = markdown_table(["model", "CI", "MSE", "r_m²"], rows)
    return "\n".join([table_text, "", provenance(record), "", rerun(record)])


@table("drug_target_davis")
def davis() -> str:
    return affinity_table("davis")


@table("drug_target_kiba")
def kiba() -> str:
    return affinity_table("kiba")


@table("drug_target_human")
def human() -> str:
    """AUROC and AUPRC on Human's random test split: ours, our baselines, DrugBAN."""
    record = result("human")
    metrics = record["metrics"]
    rows = [["DeepDTA CNN (cnnkit)", number(metrics["auroc"], 3), number(metrics["auprc"], 3),
             number(metrics["accuracy"], 3)]]
    for key, label in BASELINES:
        values = lookup(record, f"baselines.{key}")
        if values:
            rows.append([label, number(values["auroc"], 3), number(values["auprc"], 3), number(values["accuracy"], 3)])
    rows.append(["DrugBAN (published)", number(lookup(record, "published_auroc.DrugBAN"), 3), "-", "-"])
    rows.append(["target for CNN/GNN models", number(lookup(record, "references.auroc"), 3), "-", "-"])
    table_text = markdown_table(["model", "AUROC", "AUPRC", "accuracy"], rows)
    return "\n".join([table_text, "", provenance(record), "", rerun(record)])


@table("drug_target_training")
def training() -> str:
    """How each DeepDTA result was trained, and entity batching's speed against the plain per-pair step."""
    rows, records = [], []
    for name, label in DATASETS:
        record = result(name)
        records.append(record)
        metrics = record["metrics"]
        if "throughput_same_run_speedup" in metrics:
            how = "fresh model, both steps timed in one run"
            entity, per_pair = metrics["throughput_same_run_entity_batched"], metrics["throughput_same_run_per_pair"]
            speedup = metrics["throughput_same_run_speedup"]
        else:
            how = "the training run"
            entity = metrics.get("train_pairs_per_second_entity_batched")
            per_pair = metrics.get("train_pairs_per_second_per_pair")
            speedup = metrics.get("entity_batching_speedup")
        rows.append([label, number(metrics.get("epochs")), number(metrics.get("best_epoch_on_val")),
                     number(metrics.get("seconds_per_epoch_cpu"), 1), number(entity, 0), number(per_pair, 0),
                     "-" if speedup is None else f"{number(speedup, 1)}x", how])
    headers = ["data", "epochs", "best epoch (validation)", "s/epoch (last invocation)",
               "entity-batched pairs/s", "per-pair pairs/s", "speed-up", "throughput measured in"]
    return "\n".join([markdown_table(headers, rows), "", provenance(*records)])


@table("drug_target_ensemble")
def ensemble() -> str:
    """Each DeepDTA seed, their mean as an ensemble, and how the ensemble's spread tells its error."""
    record = result("dta_ensemble_davis")
    rows = [[f"DeepDTA seed {seed} (cnnkit)", number(values["ci"], 3), number(values["mse"], 3)]
            for seed, values in record["seeds"].items()]
    over = record["over_seeds"]
    rows.append(["seeds: mean ± std", f"{number(over['ci']['mean'], 3)} ± {number(over['ci']['std'], 3)}",
                 f"{number(over['mse']['mean'], 3)} ± {number(over['mse']['std'], 3)}"])
    rows.append([f"ensemble of the {len(record['seeds'])} seeds (cnnkit)", number(record["ensemble"]["ci"], 3),
                 number(record["ensemble"]["mse"], 3)])
    rows.append(["target: GraphDTA GIN (published)", number(lookup(record, "references.ensemble_ci"), 3),
                 number(lookup(record, "references.ensemble_mse"), 3)])
    calibration = record["calibration"]
    bins = [[number(b["mean_spread"], 3), number(b["rmse"], 3), number(b["pairs"])] for b in calibration["bins"]]
    lines = [markdown_table(["model", "CI", "MSE"], rows), "",
             f"The spread (the seeds' standard deviation) against the error, test pairs grouped by rising spread "
             f"(Spearman correlation of spread and absolute error {number(calibration['spearman_spread_error'], 2)}; "
             f"{number(100 * calibration['within_1_spread'], 0)}% of the pairs within one spread of the mean, "
             f"{number(100 * calibration['within_2_spreads'], 0)}% within two):", "",
             markdown_table(["mean spread", "RMSE", "pairs"], bins), "", provenance(record), "", rerun(record)]
    return "\n".join(lines)


@table("drug_target_spread_scale")
def spread_scale_table() -> str:
    """Each ensemble whose record holds its fitted ``spread_scale``: the spread as it is and widened."""
    rows, records = [], []
    for path in sorted(RESULTS.glob("dta_ensemble_*.json")):
        record = result(path.stem)
        if "scaled_spread" not in record:
            continue  # recorded before spread_scale existed
        records.append(record)
        metrics = record["metrics"]
        archs = record["arch"] if isinstance(record["arch"], list) else [record["arch"]]
        rows.append([f"{path.stem.split('_')[2]}: {' + '.join(archs)}, {len(record['seeds'])} networks",
                     f"{number(100 * metrics['within_1_spread'], 0)}%",
                     f"{number(metrics['spread_scale'], 2)} "
                     f"({' / '.join(number(s, 2) for s in record['scaled_spread']['half_scales'])})",
                     f"{number(100 * metrics['within_1_scaled_spread'], 0)}%",
                     f"{number(100 * metrics['within_2_scaled_spreads'], 0)}%",
                     " / ".join(f"{number(100 * v, 0)}%" for v in
                                record["scaled_spread"].get("within_1_scaled_spread_by_spread_group", []))])
    if not rows:
        return "No ensemble record holds a fitted spread_scale yet."
    rows.append(["a calibrated spread (normal errors)", "68%", "", "68%", "95%", "68% each"])
    lines = [markdown_table(["ensemble (data: networks)", "within one spread", "spread_scale (each half's)",
                             "within one widened spread (other half)", "within two widened spreads (other half)",
                             "within one widened spread, by fifths of rising spread"],
                            rows), "", provenance(*records), "",
             "Re-run: " + "; ".join(f"`{module_command(record['command'])}`" for record in records) + "."]
    return "\n".join(lines)


ARCH_ROWS = (("deepdta", "DeepDTA"), ("attention", "attention pooling"),
             ("attention_masked", "attention pooling kept off the padding"), ("multiscale", "multi-scale kernels"),
             ("ecfp", "ECFP4 bits joined to the drug vector"),
             ("deepdta_attention_multiscale_ecfp", "all four networks together (every seed of each, no selection)"))
TARGETS = {"davis": "GraphDTA GIN", "kiba": "GraphDTA GAT_GCN"}  # the targets: the best GraphDTA


def architectures_table(data: str) -> str:
    """DeepDTA and its variants on ``data``, setting 1: each seed, mean ± std over seeds, the seeds' ensemble."""
    rows, records = [], []
    labels = dict(ARCH_ROWS)
    names = {arch: f"dta_ensemble_{data}{arch_suffix(arch)}" for arch, _ in ARCH_ROWS}
    for path in sorted(RESULTS.glob(f"dta_ensemble_{data}_*_*.json")):  # other networks together
        record = result(path.stem)
        if isinstance(record.get("arch"), list) and path.stem not in names.values():
            archs = record["arch"]
            key = "_".join(archs)
            names[key] = path.stem
            labels[key] = f"{' + '.join(archs)} together (every seed of each, no selection)"
    for arch, label in labels.items():
        name = names[arch]
        if not (RESULTS / f"{name}.json").is_file():
            rows.append([label, "not run", "", "", "", ""])
            continue
        record = result(name)
        records.append(record)
        over, ensemble_scores = record["over_seeds"], record["ensemble"]
        member_ci = [values["ci"] for values in record["seeds"].values()]
        seeds = (", ".join(number(ci, 3) for ci in member_ci) if len(member_ci) <= 3 else
                 f"{len(member_ci)} networks, {number(min(member_ci), 3)} to {number(max(member_ci), 3)}")
        rows.append([label, seeds, f"{number(over['ci']['mean'], 3)} ± {number(over['ci']['std'], 3)}",
                     f"{number(over['mse']['mean'], 3)} ± {number(over['mse']['std'], 3)}",
                     number(ensemble_scores["ci"], 4), number(ensemble_scores["mse"], 4)])  # 4 places: near the target
    reference = records[0]["references"] if records else {}
    rows.append([f"target: {TARGETS[data]} (published)", "", number(reference.get("ensemble_ci"), 3),
                 number(reference.get("ensemble_mse"), 3), number(reference.get("ensemble_ci"), 3),
                 number(reference.get("ensemble_mse"), 3)])
    lines = [markdown_table(["network", "CI of each seed", "CI mean ± std", "MSE mean ± std", "ensemble CI",
                             "ensemble MSE"], rows), "", provenance(*records), "",
             "Re-run: " + "; ".join(f"`{module_command(record['command'])}`" for record in records) + "."]
    return "\n".join(lines)


@table("drug_target_architectures")
def architectures() -> str:
    return architectures_table("davis")


@table("drug_target_architectures_kiba")
def architectures_kiba() -> str:
    return architectures_table("kiba")


@table("drug_target_small_data")
def small_data() -> str:
    """Small training sets: DeepDTA settings and patiences against the fingerprint baselines (test AUROC)."""
    record = result("dta_small_data")
    labels = {key: value["label"] for key, value in record["settings"].items()}
    baselines = {"random_forest": "ECFP4 + composition random forest",
                 "gradient_boosting": "ECFP4 + composition gradient boosting"}
    rows = []
    for data, block in record["metrics"].items():
        forest = block.get("random_forest", {}).get("test_auroc_mean")
        for key, entry in block.items():
            if key in baselines:
                continue
            setting, patience = key.rsplit(".patience", 1)
            gain = entry["test_auroc_mean"] - forest if forest is not None else None
            rows.append([data, labels.get(setting, setting), patience,
                         f"{number(entry['test_auroc_mean'], 3)} ± {number(entry['test_auroc_std'], 3)}",
                         f"{number(entry['test_auprc_mean'], 3)} ± {number(entry['test_auprc_std'], 3)}",
                         number(entry["kept_epoch_mean"], 1), "-" if gain is None else f"{gain:+.3f}"])
        for key, label in baselines.items():
            entry = block.get(key)
            if entry:
                rows.append([data, label, "-", f"{number(entry['test_auroc_mean'], 3)} ± "
                             f"{number(entry['test_auroc_std'], 3)}", f"{number(entry['test_auprc_mean'], 3)} ± "
                             f"{number(entry['test_auprc_std'], 3)}", "-", "-"])
    headers = ["data", "model", "patience", "test AUROC", "test AUPRC", "epoch kept", "AUROC − forest"]
    plan = record["plan"]
    text = (f"Mean ± standard deviation over seeds {plan['seeds']}; Human: {plan['train_pairs']:,} training pairs "
            "drawn per seed from its random split (validation and test as given); the BindingDB sample: all its "
            "training pairs. 'AUROC − forest': the network's test AUROC minus the random forest's on the same pairs.")
    return "\n".join([markdown_table(headers, rows), "", text, "", provenance(record), "", rerun(record)])


COLD_RUNS = (("dta_cold_davis", "DeepDTA"), ("dta_cold_davis_ecfp", "ecfp"))
COLD_RUNS_HUMAN = (("dta_cold_human", "DeepDTA"),)
METRIC_LABELS = {"ci": "CI", "mse": "MSE", "auroc": "AUROC", "auprc": "AUPRC"}


def cold_table(runs, keys) -> str:
    """Each seed of each cold-split result in ``runs`` ((result name, network label); missing ones left
    out), then their mean ± std, next to the fingerprint forest on the same pairs (metrics ``keys``)."""
    records, rows = [], []
    for name, network in runs:
        if not (RESULTS / f"{name}.json").is_file():
            continue
        record = result(name)
        records.append(record)
        for run in record["runs"]:
            rows.append([network, run["split"], number(run["seed"]), number(run["train_pairs"]),
                         number(run["test_pairs"]), number(run["best_epoch"]),
                         *[number(run[key], 3) for key in keys], *[number(run[f"forest_{key}"], 3) for key in keys]])
        for split in dict.fromkeys(run["split"] for run in record["runs"]):
            metrics = record["metrics"]
            rows.append([network, split, "mean ± std", "", "", "",
                         *[f"{number(metrics[f'{split}_{key}_mean'], 3)} ± {number(metrics[f'{split}_{key}_std'], 3)}"
                           for key in keys],
                         *[number(lookup(record, f"references.{split}_{key}_mean"), 3) for key in keys]])
    headers = ["network", "split", "seed", "training pairs", "test pairs", "epoch kept",
               *[METRIC_LABELS[key] for key in keys], *[f"forest {METRIC_LABELS[key]}" for key in keys]]
    return "\n".join([markdown_table(headers, rows), "", provenance(*records), "",
                      " ".join(rerun(record) for record in records)])


@table("drug_target_cold")
def cold() -> str:
    """DeepDTA and its variants on Davis' cold splits over seeds, next to the fingerprint forest on the same pairs."""
    return cold_table(COLD_RUNS, ("ci", "mse"))


@table("drug_target_cold_human")
def cold_human() -> str:
    """DeepDTA on Human's cold split over seeds, next to the fingerprint forest on the same pairs."""
    return cold_table(COLD_RUNS_HUMAN, ("auroc", "auprc"))


@table("drug_target_patience")
def patience() -> str:
    """Test CI / MSE of `cnnkit dta train` on Davis for each early-stopping patience, read off the same runs."""
    record = result("dta_patience_davis")
    rows = []
    for key, entry in record["metrics"].items():
        label = "none (the last of 100 epochs)" if key == "no_early_stopping" else key.replace("patience", "")
        rows.append([label, f"{number(entry['test_ci_mean'], 3)} ± {number(entry['test_ci_std'], 3)}",
                     f"{number(entry['test_mse_mean'], 3)} ± {number(entry['test_mse_std'], 3)}",
                     number(entry["epochs_mean"], 1), number(entry["kept_epoch_mean"], 1)])
    seeds = ", ".join(str(run["seed"]) for run in record["runs"])
    pairs = record["runs"][0]["pairs"]
    text = (f"Mean ± standard deviation over seeds {seeds}; training folds 1-4 ({pairs['train']:,} pairs), "
            f"validation fold 5 ({pairs['valid']:,}), the test fold ({pairs['test']:,}). 'epochs': where that "
            "patience stops; 'kept': the epoch it keeps (the lowest validation MSE so far).")
    headers = ["patience", "test CI", "test MSE", "epochs", "kept"]
    return "\n".join([markdown_table(headers, rows), "", text, "", provenance(record), "", rerun(record)])
