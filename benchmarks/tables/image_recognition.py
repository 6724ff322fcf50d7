"""The results tables of ``docs/image_recognition.md``, from ``benchmarks/results/image_*.json``.

Records written before the benchmarks became modules name their command as a script path
(``benchmarks/image_mnist.py ...``); :func:`rerun` gives the module form that runs today.
"""

from __future__ import annotations

import shlex

from benchmarks.report import lookup, markdown_table, module_command, number, percent, provenance, result, table

MNIST_REFERENCE = "small convnets (keras.io's simple MNIST convnet; Ciresan et al. 2012, a committee of 35 nets)"
AIRBENCH94 = "airbench94 (Jordan 2024)"


def rerun(command: str) -> str:
    """The command that re-runs a record: ``benchmarks/x.py ARGS`` -> ``python -m benchmarks.x ARGS``;
    the retired ``image_cifar10.py --score-saved`` -> ``python -m benchmarks.image_cifar10_rescore``."""
    command = module_command(command)
    if "--score-saved" in command:
        arguments = shlex.split(command)
        name = arguments[arguments.index("--name") + 1] if "--name" in arguments else "image_cifar10"
        command = f"python -m benchmarks.image_cifar10_rescore --name {name}"
    return command


def commands(*records: dict) -> str:
    """A code block with the command of each record and of each of its updates."""
    lines = []
    for record in records:
        lines.append(rerun(record["command"]))
        lines += [rerun(update["command"]) for update in record.get("updates", [])]
    return "\n".join(["Re-run:", "", "```bash", *dict.fromkeys(lines), "```"])


def option(record: dict, name: str, default=None):
    """The value of ``--name`` in a record's command (``default`` when it was not given)."""
    arguments = shlex.split(record["command"])
    return arguments[arguments.index(name) + 1] if name in arguments else default


def seconds(value) -> str:
    return "-" if value is None else f"{number(float(value), 0)} s"


MNIST_RUNS = ("image_mnist_airbench_rotate", "image_mnist_airbench_rotate_seed1", "image_mnist_airbench_rotate_seed2",
              "image_mnist_airbench_long", "image_mnist_airbench94_recipe", "image_mnist", "image_mnist_run1")


@table("image_mnist")
def mnist() -> str:
    """MNIST test accuracy of the convnet, last epoch, against the target and published nets."""
    from benchmarks.report import RESULTS

    rows = []
    names = [name for name in MNIST_RUNS if (RESULTS / f"{name}.json").is_file()]
    for name in names:
        record = result(name)
        m = record["metrics"]
        if option(record, "--recipe") == "airbench":
            turns = ", turns of up to 10 degrees" if option(record, "--augment", "none") == "rotate" else ""
            recipe = f"airbench94's own recipe, width {option(record, '--width', 64)}, no flips{turns}"
        else:
            augment = option(record, "--augment", "translate,rotate")
            recipe = (f"convnet width {option(record, '--width', 32)}, augment {augment}, "
                      f"dropout {option(record, '--dropout', 0.25)}/{option(record, '--dense-dropout', 0.5)}")
        tta = m.get("test_accuracy_translate_tta")
        rows.append([f"`{name}`", recipe, f"**{percent(m['test_accuracy'])}**", "-" if tta is None else percent(tta),
                     number(m["epochs_run"]),
                     seconds(m["train_seconds"]), seconds(m["seconds_to_99.0"]), seconds(m["seconds_to_99.5"]),
                     seconds(m.get("seconds_to_99.7")), number(m["parameters"])])
    published = "99.2-99.7% (keras.io's about 99%, the committee 99.77%)"
    rows.append(["published", MNIST_REFERENCE, published, "-", "-", "-", "-", "-", "-", "-"])
    headers = ["run", "recipe", "test accuracy", "with translate TTA", "epochs", "train time", "time to 99.0%",
               "time to 99.5%", "time to 99.7%", "parameters"]
    records = [result(name) for name in names]
    target = "Targets: 99.5% test accuracy for the default convnet; 99.7% for a single model of any recipe."
    return "\n".join([markdown_table(headers, rows), "", target, "", provenance(*records), "", commands(*records)])


CIFAR10_RUNS = ("image_cifar10_airbench94_crop", "image_cifar10_airbench94", "image_cifar10")


@table("image_cifar10")
def cifar10() -> str:
    """CIFAR-10 test accuracy (plain and with test-time augmentation) and time to accuracy."""
    rows = []
    records = [result(name) for name in CIFAR10_RUNS]
    for record in records:
        m = record["metrics"]
        recipe = (f"{option(record, '--arch', 'resnet_small')} width {option(record, '--width', 16)}, "
                  f"label smoothing {option(record, '--label-smoothing', 0.0)}")
        rows.append([f"`{record['name']}`", recipe, f"**{percent(m['test_accuracy'])}**",
                     percent(m.get("test_accuracy_flip_tta")), percent(m.get("test_accuracy_flip_translate_tta")),
                     number(m["epochs_run"]), seconds(m["train_seconds_cpu_machine"]),
                     seconds(m["seconds_to_70"]), seconds(m["seconds_to_80"]), seconds(m["seconds_to_90"]),
                     number(m["parameters"])])
    rows.append(["published", f"{AIRBENCH94}, one A100", "-", "94%", "94%", "-", "3.29 s to 94%", "-", "-", "-",
                 "about 2M"])
    headers = ["run", "recipe", "test accuracy", "flip TTA", "flip + translate TTA", "epochs", "train time",
               "time to 70%", "time to 80%", "time to 90%", "parameters"]
    target = "Target: 90% test accuracy."
    return "\n".join([markdown_table(headers, rows), "", target, "", provenance(*records), "", commands(*records)])


AIRBENCH_VARIANTS = (  # result-name prefix, published row
    ("image_cifar10_airbench94_recipe_seed", [f"{AIRBENCH94}, one A100, n=1000", "-", "94.01%", "9.9", "3.83 s",
                                              "-", "-", "3.29 s", "-"]),
    ("image_cifar10_airbench95_recipe_seed", ["airbench95 (Jordan 2024), one A100, n=200", "-", "95.01%", "15",
                                              "10.4 s", "-", "-", "-", "-"]),
    ("image_cifar10_airbench96_recipe_seed", ["airbench96 (Jordan 2024, June revision), one A100, n=400", "-",
                                              "96.01%", "31", "-", "-", "-", "-", "-"]),
)


def seeded_records(prefix="image_cifar10_airbench94_recipe_seed") -> list:
    """The records named ``<prefix>N``, in name order: the seeds of one run (airbench94's recipe by
    default)."""
    from benchmarks.report import RESULTS

    names = sorted(path.stem for path in RESULTS.glob(f"{prefix}*.json"))
    return [result(name) for name in names]


REFERENCE_PREFIX = "image_cifar10_airbench94_reference"  # benchmarks.airbench_reference: airbench94.py itself
FLOAT32_PREFIX = "image_cifar10_airbench94_recipe_float32_seed"  # the port in float32 (its seeds: mixed bfloat16)


def recipe_row(record: dict, label: str | None = None) -> list:
    """One seed of a faithful recipe: accuracy, time and time to each accuracy."""
    m = record["metrics"]
    return [label or f"`{record['name']}`", option(record, "--seed", "0"), percent(m["test_accuracy"]),
            percent(m["test_accuracy_flip_translate_tta"]), number(m["epochs_run"]),
            seconds(m["train_seconds_cpu_machine"]), seconds(m["seconds_to_90"]), seconds(m.get("seconds_to_93")),
            seconds(m["seconds_to_94"]), number(m["train_images_per_s"], 1)]


def reference_row(record: dict) -> list:
    """A row of airbench94's own script run on the same images and CPU (its time to each accuracy
    from its per-epoch curve)."""
    m, curve = record["metrics"], record["curve"]

    def time_to(accuracy):
        return next((point["seconds"] for point in curve if point["val_accuracy"] >= accuracy), None)

    epochs = float(record["hyp"]["opt"]["train_epochs"])
    train_images = int(option(record, "--limit", 50000))  # the command's --limit, else CIFAR-10's training set
    images_per_s = epochs * train_images / m["train_seconds"] if m["train_seconds"] else None
    return [f"`{record['name']}` (airbench94.py itself, PyTorch)", option(record, "--seed", "0"),
            percent(m["test_accuracy"]), percent(m["test_accuracy_flip_translate_tta"]), number(m["epochs_run"]),
            seconds(m["train_seconds"]), seconds(time_to(0.90)), seconds(time_to(0.93)), seconds(time_to(0.94)),
            number(images_per_s, 1)]


@table("image_cifar10_airbench_recipe")
def cifar10_airbench_recipe() -> str:
    """airbench94's, airbench95's and airbench96's own networks and recipes on this CPU: every seed, their mean and
    spread, against the targets and the published figures."""
    import statistics

    rows, every = [], []
    columns = ("test_accuracy", "test_accuracy_flip_translate_tta")
    for prefix, published in AIRBENCH_VARIANTS:
        records = seeded_records(prefix)
        every += records
        rows += [recipe_row(record) for record in records]
        if len(records) > 1:
            spread = []
            for key in columns:
                values = [r["metrics"][key] for r in records]
                spread.append(f"**{percent(statistics.mean(values))}** +- {percent(statistics.stdev(values))}")
            times = [r["metrics"]["train_seconds_cpu_machine"] for r in records]
            # a median of times taken on different CPUs would describe neither
            time = (seconds(statistics.median(times)) + " (median)" if len({r["machine"] for r in records}) == 1
                    else "- (CPUs differ)")
            rows.append([f"mean +- std of {len(records)} seeds", "-", *spread, "-", time, "-", "-", "-", "-"])
        if prefix == AIRBENCH_VARIANTS[0][0]:
            float32 = seeded_records(FLOAT32_PREFIX)
            rows += [recipe_row(record, f"`{record['name']}` (float32)") for record in float32]
            references = seeded_records(REFERENCE_PREFIX)
            every += float32 + references
            rows += [reference_row(record) for record in references]
        if records:
            rows.append(["published", *published])
    if not every:
        return "No run of `--recipe airbench` is recorded yet."
    rows.append(["target (this CPU)", "-", ">= 93%", ">= 94%", "-", "<= 3600 s", "-", "-", "-", "-"])
    headers = ["run", "seed", "test accuracy", "flip + translate TTA", "epochs", "train time", "time to 90%",
               "time to 93%", "time to 94%", "images/s"]
    return "\n".join([markdown_table(headers, rows), "", provenance(*every), "", commands(*every)])


@table("image_digits")
def digits() -> str:
    """scikit-learn's 8x8 digits: the CNN against scikit-learn's SVC on the same split."""
    record = result("image_digits")
    m = record["metrics"]
    rows = [
        ["cnnkit convnet (translate augmentation), mean of seeds",
         f"**{percent(m['cnn_test_accuracy_mean'])}** (std {percent(m['cnn_test_accuracy_std'])})",
         seconds(m["cnn_train_seconds_mean"]), "small CNNs on 8x8 digits: 98-99%"],
        ["scikit-learn SVC (RBF, gamma=0.001)", f"**{percent(m['svc_test_accuracy'])}**",
         f"{number(m['svc_train_seconds'], 3)} s", "scikit-learn's digits example: about 97% on a 50/50 split"],
    ]
    headers = [f"model ({number(m['train_images'])} train / {number(m['test_images'])} test images)",
               "test accuracy", "train time", "published"]
    return "\n".join([markdown_table(headers, rows), "", provenance(record), "", commands(record)])


FINETUNE_ROWS = (("image_finetune", "mnist"), ("image_finetune", "cifar10"),
                 ("image_finetune_unfreeze", "mnist"), ("image_finetune_unfreeze", "cifar10"),
                 ("image_finetune_unfreeze_cifar10", "cifar10"))


@table("image_finetune")
def finetune() -> str:
    """Fine-tuning 2 -> 3 classes: old-class accuracy before and after, against training from scratch."""
    rows, records = [], {}
    for name, dataset in FINETUNE_ROWS:
        record = records.setdefault(name, result(name))
        m = record["metrics"][dataset]
        unfrozen = lookup(m, "unfreeze_epochs", int(option(record, "--unfreeze-epochs", 0)))
        drop = m["old_class_drop_points"]
        rows.append([
            f"`{name}`", f"{dataset}: {m['old_classes']} + {m['new_class']}",
            f"{number(m['scratch_epochs'] - unfrozen)} + {unfrozen}",
            f"{percent(m['old_class_accuracy_before'])} -> {percent(m['old_class_accuracy_after'])}",
            f"**{number(drop)}** ({'met' if drop <= 1.0 else 'missed'})", percent(m["new_class_accuracy"], 1),
            percent(m["three_class_accuracy"], 1), seconds(m["finetune_seconds"]),
            percent(m["scratch_three_class_accuracy"], 1), number(lookup(m, "scratch_old_class_drop_points")),
            seconds(m["scratch_seconds"]),
        ])
    headers = ["run", "classes (old + new)", "epochs (head + unfrozen)", "old classes before -> after",
               "points lost (target <= 1)", "new class", "all three", "fine-tune time",
               "from scratch: all three", "from scratch: old-class points lost", "from scratch: time"]
    return "\n".join([markdown_table(headers, rows), "", provenance(*records.values()), "",
                      commands(*records.values())])


KEEP_RUNS = ("image_finetune_keep", "image_finetune_keep_long", "image_finetune_keep_full_rate",
             "image_finetune_keep_15_epochs", "image_finetune_keep_25_epochs_strategies",
             "image_finetune_keep_25_epochs_rehearsal", "image_finetune_keep_25_epochs_base25")
KEEP_SEEDED = ("image_finetune_keep_25_epochs_seed",)  # one record per --seed, then their mean and spread


def keep_records() -> list:
    """Every recorded fine-tune keep run: the single runs, then each seeded run's seeds in order."""
    from benchmarks.report import RESULTS

    records = [result(name) for name in KEEP_RUNS if (RESULTS / f"{name}.json").is_file()]
    for prefix in KEEP_SEEDED:
        records += seeded_records(prefix)
    return records


def keep_seed_summary(records: list) -> list:
    """Rows of mean +- std over the seeds of each seeded keep run, per dataset and strategy, with how
    many seeds met each target."""
    import statistics

    def mean_sd(values, scale=1.0, digits=2):
        return (f"**{number(scale * statistics.mean(values), digits)}** +- "
                f"{number(scale * statistics.stdev(values), digits)}")

    rows = []
    for prefix in KEEP_SEEDED:
        seeds = [r for r in records if r["name"].startswith(prefix)]
        if len(seeds) < 2:
            continue
        for dataset, values in seeds[0]["datasets"].items():
            for label in values["strategies"]:
                runs = [(r["datasets"][dataset]["strategies"][label], r["datasets"][dataset]["scratch"])
                        for r in seeds]
                drops = [row["old_class_drop_points"] for row, _ in runs]
                new = [row["new_class_accuracy"] for row, _ in runs]
                scratch_new = [scratch["new_class_accuracy"] for _, scratch in runs]
                rows.append([f"{dataset}: {label}, mean +- std of {len(seeds)} seeds", keep_schedule(values), "all",
                             "-", f"{mean_sd(drops)} (met by {sum(d <= 1.0 for d in drops)} of {len(seeds)})",
                             mean_sd([row["old_task_drop_points"] for row, _ in runs]),
                             f"{mean_sd(new, 100, 1)}% against {mean_sd(scratch_new, 100, 1)}% (met by "
                             f"{sum(n >= s for n, s in zip(new, scratch_new))} of {len(seeds)})",
                             mean_sd([row["three_class_accuracy"] for row, _ in runs], 100, 1) + "%",
                             seconds(statistics.median(row["finetune_seconds"] for row, _ in runs)) + " (median)"])
    return rows


def keep_schedule(values: dict) -> str:
    """A keep run's schedule: the two-class model's epochs; head + unfrozen epochs, and the unfrozen rate
    where not a tenth."""
    epochs = f"{values['base_model_epochs']}; {values['head_epochs']} + {values['unfreeze_epochs']}"
    rate = values.get("unfreeze_rate", 0.1)  # records before --unfreeze-rate used a tenth
    return epochs + (f" (unfrozen at {rate:g} x the rate)" if rate != 0.1 else "")


@table("image_finetune_keep")
def finetune_keep() -> str:
    """The strategies that keep the old classes, side by side on one two-class model per dataset and run."""
    records = keep_records()
    if not records:
        return "Not run yet: `python -m benchmarks.image_finetune_keep --datasets cifar10`."
    rows = []
    for record in records:
        seeded = record["name"].startswith(KEEP_SEEDED)
        for dataset, values in record["datasets"].items():
            scratch, epochs = values["scratch"], keep_schedule(values)
            seed = f", seed {values['seed']}" if seeded else ""
            for label, row in values["strategies"].items():
                drop, new = row["old_class_drop_points"], row["new_class_accuracy"]
                images = row["train_images"]
                trained_on = ("all" if images is None else
                              f"{number(images['old_classes'])} old + {number(images['new_classes'])} new")
                rows.append([f"{dataset}: {label}{seed}", epochs, trained_on,
                             f"{percent(row['old_class_accuracy_before'])} -> "
                             f"{percent(row['old_class_accuracy_after'])}",
                             f"**{number(drop)}** ({'met' if drop <= 1.0 else 'missed'})",
                             number(row.get("old_task_drop_points")),
                             f"{percent(new, 1)} ({'met' if new >= scratch['new_class_accuracy'] else 'missed'})",
                             percent(row["three_class_accuracy"], 1), seconds(row["finetune_seconds"])])
            # What the third class costs a model that forgot nothing, against the same two-class model.
            before = next(iter(values["strategies"].values()))["old_class_accuracy_before"]
            scratch_task = scratch.get("old_task_accuracy")
            # Records before scratch.augmentation built the from-scratch model without augmentation.
            augmented = ", augmented as the fine-tuned model" if scratch.get("augmentation") else ", no augmentation"
            rows.append([f"{dataset}: from scratch, all three classes{augmented}{seed}", str(scratch["epochs"]), "all",
                         f"- -> {percent(scratch['old_class_accuracy'])}",
                         number(100 * (before - scratch["old_class_accuracy"])),
                         "-" if scratch_task is None else number(100 * (before - scratch_task)),
                         percent(scratch["new_class_accuracy"], 1), percent(scratch["accuracy"], 1),
                         seconds(scratch["seconds"])])
    headers = ["strategy", "epochs (two-class model; head + unfrozen)", "training images (distinct)",
               "old classes before -> after",
               "points lost (target <= 1)", "points lost among the old classes alone",
               "new class (target: from scratch's)", "all three", "time"]
    rows += keep_seed_summary(records)
    return "\n".join([markdown_table(headers, rows), "", provenance(*records), "", commands(*records)])


@table("image_throughput")
def throughput() -> str:
    """Training and predict images/s of the cnnkit classifier and the same net in plain Keras."""
    record = result("image_throughput")
    m = record["metrics"]
    rows = [
        ["train", number(m["cnnkit_train_images_per_s"], 0), number(m["plain_keras_train_images_per_s"], 0),
         f"**{number(m['train_ratio_cnnkit_over_plain'])}**", "1.0 (the same graph)"],
        ["predict", number(m["cnnkit_predict_images_per_s"], 0), number(m["plain_keras_predict_images_per_s"], 0),
         f"**{number(m['predict_ratio_cnnkit_over_plain'])}**", "1.0 (the same graph)"],
    ]
    headers = ["images/s (best round)", "cnnkit", "plain Keras", "ratio", "expected"]
    rounds = len(m["rounds"]["cnnkit"])
    note = (f"Best of {rounds} alternating rounds, {number(m['parameters'])} parameters each; the rounds "
            "(`rounds` in the JSON) show how far the rates swing with the machine's load.")
    return "\n".join([markdown_table(headers, rows), "", note, "", provenance(record), "", commands(record)])


@table("image_presets")
def presets() -> str:
    """The named training configurations and the results they produced."""
    from apps.image_recognition.presets import PRESETS

    rows = []
    for name, preset in PRESETS.items():
        record = result(preset["benchmark"])
        rows.append([f"`{name}`", preset["data"], preset["description"],
                     percent(record["metrics"]["test_accuracy"]), f"`{preset['benchmark']}`"])
    return markdown_table(["preset", "data", "recipe", "test accuracy", "result"], rows)
