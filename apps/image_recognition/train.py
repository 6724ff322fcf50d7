"""Training: data source -> classifier -> ``shared.training.fit`` -> model.keras, log, curves."""

from __future__ import annotations

import inspect
import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np

from apps.image_recognition import data as image_data
from apps.image_recognition import model as image_model
from apps.image_recognition.airbench import RECIPE_HYPERPARAMETERS, train_recipe
from apps.image_recognition.evaluate import skip_fields
from apps.image_recognition.presets import TRAINING_RECIPES
from shared.losses import SparseCategoricalCrossentropyWithLabelSmoothing
from shared.training import fit

log = logging.getLogger("cnnkit.image")

MIRROR_CHANGES_CLASS = ("mnist", "digits")  # named datasets that airbench's recipe trains without flips
# What airbench's recipes add to their own shifts (and flips) for augment="rotate": small turns, for
# digits, where the classic MNIST nets gain from them and mirrors are not allowed.
AIRBENCH_ROTATE_DEGREES = 10.0


def compile_for_training(model, learning_rate, total_steps, schedule="cosine", weight_decay=0.0,
                         label_smoothing=0.0):
    """Re-compile with Adam(W) and a cosine learning-rate decay over ``total_steps``.

    ``label_smoothing > 0`` swaps the softmax cross-entropy for its label-smoothed form.
    """
    if schedule == "cosine" and total_steps > 0:
        rate = keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps=int(total_steps), alpha=0.01)
    elif schedule in ("constant", None) or total_steps <= 0:
        rate = learning_rate
    else:
        raise ValueError(f"Unknown schedule {schedule!r}; expected 'cosine' or 'constant'.")
    optimizer = (keras.optimizers.AdamW(rate, weight_decay=weight_decay) if weight_decay
                 else keras.optimizers.Adam(rate))
    loss = (SparseCategoricalCrossentropyWithLabelSmoothing(label_smoothing) if label_smoothing
            else model.default_loss())
    model.compile(optimizer=optimizer, loss=loss, metrics=model.default_metrics())
    return model


@dataclass
class Prepared:
    """What training needs from a data source (arrays or streamed folders)."""

    train: object                # (x, y) arrays or an ImageFolderDataset
    validation: object           # (x, y), an ImageFolderDataset or None
    class_names: list
    input_shape: tuple
    mean: np.ndarray
    variance: np.ndarray
    train_size: int
    skipped: image_data.SkipLog = field(default_factory=image_data.SkipLog)
    name: str = ""
    ignored: list = field(default_factory=list)  # (path, reason) of folder entries that are not images
    size_reason: str = "the dataset's own size"  # why the images have the size in ``input_shape``


def prepare(source, image_size=None, channels=None, val_split=0.0, batch_size=32, limit=None,
            test_limit=None, seed=0, classes=None) -> Prepared:
    """Load a named dataset (arrays) or scan a folder (streamed), plus normalisation statistics
    from the training split. ``classes`` keeps only those class labels (named datasets)."""
    source = image_data.resolve_source(str(source))
    skipped = image_data.SkipLog()
    if isinstance(source, str):
        if classes is None:
            d = image_data.load_named(source, limit=limit, test_limit=test_limit, seed=seed)
            x_train, y_train, x_test, y_test = d.x_train, d.y_train, d.x_test, d.y_test
            class_names = d.class_names
        else:  # select the classes first, then take the limits from what is left
            d = image_data.load_named(source, seed=seed)
            x_train, y_train, x_test, y_test, class_names = select_classes(
                d.x_train, d.y_train, d.x_test, d.y_test, d.class_names, classes)
            x_train, y_train = image_data.stratified_limit(x_train, y_train, limit, seed)
            x_test, y_test = image_data.stratified_limit(x_test, y_test, test_limit, seed)
        if image_size is not None or channels is not None:
            size = tuple(image_size) if image_size is not None else x_train.shape[1:3]
            chans = channels or x_train.shape[-1]
            convert = lambda x: np.stack([image_data.prepare_image(i, size, chans) for i in x])
            x_train, x_test = convert(x_train), convert(x_test)
        mean, variance = image_data.sample_statistics(x_train)
        return Prepared((x_train, y_train), (x_test, y_test), class_names, tuple(x_train.shape[1:]),
                        mean, variance, len(y_train), skipped, source)
    train_split, test_split = image_data.scan_dataset_folder(source, val_split=val_split, seed=seed)
    if image_size is not None:
        size, size_reason = tuple(image_size), "given by --image-size"
    else:
        size, size_reason = image_data.folder_image_size(train_split.files)
    chans = channels or image_data.guess_channels(train_split.files)
    if limit:
        train_split = _subset(train_split, limit, seed)
    if test_split is not None and test_limit:
        test_split = _subset(test_split, test_limit, seed)
    train = image_data.ImageFolderDataset(train_split.files, train_split.labels, batch_size, size, chans,
                                          shuffle=True, seed=seed, skipped=skipped)
    stats_view = image_data.ImageFolderDataset(train_split.files, train_split.labels, batch_size, size,
                                               chans, shuffle=True, seed=seed + 1, skipped=skipped)
    mean, variance = image_data.sample_statistics(dataset=stats_view)
    validation = None
    if test_split is not None:
        validation = image_data.ImageFolderDataset(test_split.files, test_split.labels, batch_size, size,
                                                   chans, shuffle=False, skipped=skipped)
    ignored = list(train_split.ignored) + (list(test_split.ignored) if test_split is not None else [])
    return Prepared(train, validation, train_split.class_names, (*size, chans), mean, variance,
                    len(train_split.files), skipped, str(source), ignored, size_reason)


def _subset(split, limit, seed):
    if limit >= len(split.files):
        return split
    rng = np.random.default_rng(seed)
    keep = np.sort(rng.choice(len(split.files), size=limit, replace=False))
    return image_data.FolderSplit([split.files[i] for i in keep], split.labels[keep], split.class_names,
                                  split.ignored)


def select_classes(x_train, y_train, x_test, y_test, class_names, classes):
    """Keep only ``classes`` (names or label ints), relabelled 0..k-1 in the given order."""
    wanted = []
    for item in classes:
        item = str(item)
        if item not in class_names:
            raise ValueError(f"Class {item!r} is not in this dataset; classes are {class_names}.")
        wanted.append(class_names.index(item))
    lookup = {old: new for new, old in enumerate(wanted)}

    def pick(x, y):
        mask = np.isin(y, wanted)
        return x[mask], np.asarray([lookup[v] for v in y[mask]], dtype=np.int32)

    x_train, y_train = pick(x_train, y_train)
    x_test, y_test = pick(x_test, y_test)
    return x_train, y_train, x_test, y_test, [class_names[i] for i in wanted]


def steps_per_epoch(prepared: Prepared, batch_size: int) -> int:
    if isinstance(prepared.train, tuple):
        return -(-prepared.train_size // batch_size)
    return len(prepared.train)


def plot_curves(history: dict, path) -> Path:
    """Loss and accuracy per epoch (train and validation) as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 2, figsize=(10, 4))
    for axis, key in zip(axes, ("loss", "accuracy")):
        for prefix, style in (("", "-"), ("val_", "--")):
            values = history.get(prefix + key)
            if values:
                axis.plot(range(1, len(values) + 1), values, style, marker="o", label=(prefix or "train_") + key)
        axis.set_xlabel("epoch")
        axis.set_title(key)
        axis.legend()
        axis.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return Path(path)


def train(source, arch="convnet", epochs=None, batch_size=None, out_dir=None, learning_rate=1e-3,
          augment=None, image_size=None, channels=None, val_split=0.0, limit=None, test_limit=None,
          seed=0, weight_decay=0.0, schedule="cosine", verbose="auto",
          classes=None, backbone_kwargs=None, callbacks=None, resume=True, label_smoothing=0.0,
          recipe="default"):
    """Train a classifier on a named dataset or folder; save model, class names, log, curves.

    ``recipe="default"`` trains ``arch`` with Adam(W), cosine decay and the model's augmentation
    layers (``epochs`` 10 and ``batch_size`` 128 unless given). ``recipe="airbench"`` trains
    airbench94's own network and procedure (:mod:`apps.image_recognition.airbench`; ``arch`` must
    be ``"airbench94"``, the data a named dataset): its learning rate, weight decay, label
    smoothing and augmentation are airbench's, so those arguments must keep their defaults, except
    that ``augment="rotate"`` adds random turns of up to 10 degrees to its shifts (not airbench's);
    ``epochs`` (9.9) and ``batch_size`` (1,024) may be changed, ``backbone_kwargs`` may give ``width``.
    ``recipe="airbench95"`` is the same with airbench95's settings (wider, 15 epochs), and
    ``recipe="airbench96"`` with airbench96's (residual groups of three convolutions, cutout, 31 epochs).

    With ``out_dir`` a checkpoint is written every epoch (``out_dir/checkpoints``) and, with
    ``resume``, a rerun with the same arguments continues from it (``shared.training.fit``), and
    unreadable files of a folder are listed in ``out_dir/skipped_files.txt``.

    Returns ``(model, class_names, metrics)``.
    """
    check_recipe(recipe, arch, learning_rate=learning_rate, weight_decay=weight_decay,
                 label_smoothing=label_smoothing, augment=augment, schedule=schedule)
    keras.utils.set_random_seed(seed)
    start = time.time()
    if recipe == "default":
        epochs, batch_size = epochs or 10, batch_size or 128
    prepared = prepare(source, image_size=image_size, channels=channels, val_split=val_split,
                       batch_size=batch_size or 128, limit=limit, test_limit=test_limit, seed=seed, classes=classes)
    out = Path(out_dir) if out_dir else None
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    checkpoints = None if out is None else out / "checkpoints"
    if recipe in RECIPE_HYPERPARAMETERS:
        hyp = RECIPE_HYPERPARAMETERS[recipe]
        epochs, batch_size = epochs or hyp["train_epochs"], batch_size or hyp["batch_size"]
        if "rotate" in image_model.parse_augment(augment):
            hyp = {**hyp, "rotate": AIRBENCH_ROTATE_DEGREES}
        model, history = _train_airbench(prepared, hyp, epochs, batch_size, backbone_kwargs, seed, checkpoints, out,
                                         callbacks, resume, verbose)
    else:
        model = image_model.build_classifier(arch, prepared.input_shape, len(prepared.class_names),
                                             prepared.mean, prepared.variance, augment=augment, seed=seed,
                                             backbone_kwargs=backbone_kwargs, class_names=prepared.class_names)
        compile_for_training(model, learning_rate, epochs * steps_per_epoch(prepared, batch_size),
                             schedule=schedule, weight_decay=weight_decay, label_smoothing=label_smoothing)
        history = fit(model, prepared.train, prepared.validation, epochs=epochs, batch_size=batch_size,
                      checkpoint_dir=checkpoints, log_dir=out, seed=seed, verbose=verbose, callbacks=callbacks,
                      resume=resume)
    seconds = time.time() - start
    history_dict = {k: [float(v) for v in values] for k, values in history.history.items()}
    metrics = {
        "data": prepared.name, "arch": arch, "epochs": epochs, "train_images": prepared.train_size,
        "classes": len(prepared.class_names), "seconds": round(seconds, 2), "recipe": recipe,
        "image_size": "x".join(map(str, prepared.input_shape[:2])), "image_size_reason": prepared.size_reason,
        "precision": model.dtype_policy.name,
        **skip_fields(prepared.skipped, prepared.ignored),
    }
    for key in ("accuracy", "loss", "val_accuracy", "val_loss", "val_top5_accuracy"):
        if history_dict.get(key):
            metrics[f"final_{key}"] = history_dict[key][-1]
    if out is not None:
        image_model.save_classifier(model, out / "model.keras", prepared.class_names,
                                    extra={"arch": arch, "recipe": recipe, "data": prepared.name,
                                           "input_shape": list(prepared.input_shape)})
        (out / "history.json").write_text(json.dumps(history_dict, indent=2) + "\n")
        if not (out / "training_log.csv").exists():
            _write_log(history_dict, out / "training_log.csv")
        plot_curves(history_dict, out / "curves.png")
        (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
        metrics["model"] = str(out / "model.keras")
        prepared.skipped.write(out)
    if prepared.skipped.count:
        log.warning("%d unreadable image(s) skipped: %s", prepared.skipped.count,
                    ", ".join(prepared.skipped.files[:20]))
    return model, prepared.class_names, metrics


def check_recipe(recipe, arch, **settings):
    """Refuse an unknown ``recipe``, or an airbench recipe with another architecture or with settings it fixes."""
    if recipe not in TRAINING_RECIPES:
        raise ValueError(f"The 'recipe' parameter of train must be one of {list(TRAINING_RECIPES)}; got {recipe!r}.")
    if recipe not in RECIPE_HYPERPARAMETERS:
        return
    if arch != "airbench94":
        raise ValueError(f"The 'arch' parameter of train must be 'airbench94' with recipe={recipe!r} (the recipe "
                         f"trains airbench's own network); got {arch!r}.")
    defaults = inspect.signature(train).parameters
    for name, value in settings.items():
        allowed = (defaults[name].default, *(("none", "", "rotate") if name == "augment" else ()))
        if value not in allowed:
            hint = " (or 'rotate', which adds turns to its shifts)" if name == "augment" else ""
            raise ValueError(f"The {name!r} parameter of train is set by recipe={recipe!r} (airbench's own "
                             f"value); leave it out{hint}. Got {value!r}.")


def _train_airbench(prepared, hyp, epochs, batch_size, backbone_kwargs, seed, checkpoints, out, callbacks, resume,
                    verbose):
    if not isinstance(prepared.train, tuple):
        raise ValueError(f"airbench's recipes train on images held in memory: a named dataset "
                         f"({', '.join(image_data.NAMED_DATASETS)}); {prepared.name} is a folder read in batches.")
    extra = dict(backbone_kwargs or {})
    width = extra.pop("width", hyp["width"])
    if extra:
        raise ValueError(f"airbench's recipes take only 'width' in backbone_kwargs; got {sorted(extra)}.")
    # Mirrored digits are other glyphs (or none): airbench's flips are for natural images only.
    hyp = {**hyp, "flip": prepared.name not in MIRROR_CHANGES_CLASS}
    return train_recipe(prepared.train, prepared.validation, prepared.input_shape, prepared.class_names,
                        prepared.mean, prepared.variance, epochs=epochs, batch_size=batch_size, width=width,
                        seed=seed, checkpoint_dir=checkpoints, log_dir=out, callbacks=callbacks,
                        resume=resume, verbose=verbose, hyp=hyp)


def _write_log(history, path):
    keys = list(history)
    rows = ["epoch," + ",".join(keys)]
    for epoch in range(len(history[keys[0]]) if keys else 0):
        rows.append(f"{epoch}," + ",".join(str(history[k][epoch]) for k in keys))
    Path(path).write_text("\n".join(rows) + "\n")
