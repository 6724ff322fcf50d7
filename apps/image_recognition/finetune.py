"""Fine-tuning a trained classifier, optionally adding classes (the source article's case).

The convolution layers are kept; ``shared.finetune.extend_classes`` rebuilds the softmax head
with more outputs while every old class keeps its weights. The head trains first with the
backbone frozen; ``unfreeze_epochs`` then trains everything at ``unfreeze_rate`` times the rate
(a tenth by default). Old-class accuracy is measured before and after on the same test images,
new-class accuracy after, and optionally the time and accuracy of training the same
architecture from scratch (the extended model re-initialised: same normalisation, same
augmentation layers, same epochs and rate schedule as a plain training, on every training image
even where ``keep`` or ``old_images`` hold the fine-tune to a sample).

Old-class accuracy after adding classes is measured two ways. ``old_class_accuracy_after`` takes
the argmax over every class, so an old image called new counts as wrong: it mixes forgetting with
the confusion a new look-alike class brings (a from-scratch model has it too).
``old_task_accuracy_after`` takes the argmax over the old classes' outputs only: whether the
model still tells the old classes apart, the old-task measure of learning without forgetting.

Two strategies keep what the model knew when classes are added (``keep``):

- ``"distill"``, learning without forgetting (Li & Hoiem 2016): before training, a frozen copy
  of the original model records its old-class outputs for every training image; training then
  adds a distillation term that keeps the new model's old-class outputs (softened by a
  temperature) close to them, so new-class images teach without overwriting the old classes;
- ``"rehearsal"``: only a small stored sample of each old class (``rehearsal_size`` images)
  is trained on beside the new classes' images, as when the old training set is gone.

``old_images`` caps the training images of each old class outright (0: the new classes' images
only, the setting learning without forgetting was made for).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import keras
import numpy as np

from apps.image_recognition import model as image_model
from apps.image_recognition import train as image_train
from shared import finetune as shared_finetune
from shared.training import fit


def _predict(model, data):
    """Probabilities and labels for arrays ``(x, y)`` or an ImageFolderDataset."""
    if isinstance(data, tuple):
        return model.predict(np.asarray(data[0], dtype="float32"), batch_size=256, verbose=0), np.asarray(data[1])
    probabilities, labels = [], []
    for batch in range(len(data)):
        x, y = data[batch]
        probabilities.append(model.predict(x, verbose=0))
        labels.append(y)
    return np.concatenate(probabilities), np.concatenate(labels)


def _accuracy(probabilities, labels, mask):
    from sklearn.metrics import accuracy_score

    if not mask.any():
        return None
    return float(accuracy_score(labels[mask], probabilities[mask].argmax(axis=1)))


def _old_task_accuracy(probabilities, labels, old_count):
    """Accuracy on old-class images with the argmax over the old classes' outputs only."""
    return _accuracy(probabilities[:, :old_count], labels, labels < old_count)


def _relabel(prepared, mapping):
    for split in ("train", "validation"):
        value = getattr(prepared, split)
        if value is None:
            continue
        if isinstance(value, tuple):
            setattr(prepared, split, (value[0], mapping[value[1]]))
        else:
            value.labels = mapping[value.labels]


KEEP_STRATEGIES = ("distill", "rehearsal")
DEFAULT_REHEARSAL_SIZE = 100
DISTILL_TEMPERATURE = 2.0  # Li & Hoiem 2016


def check_keep(keep) -> tuple:
    """``keep`` as a tuple of strategies: None, a name, a comma-separated string or a sequence of names."""
    if keep is None or keep == "" or keep == "none":
        return ()
    names = keep.split(",") if isinstance(keep, str) else list(keep)
    unknown = [name for name in names if name not in KEEP_STRATEGIES]
    if unknown or not names:
        raise ValueError(f"The 'keep' parameter of finetune must be 'none' or one or more of "
                         f"{list(KEEP_STRATEGIES)} (comma-separated); got {keep!r}.")
    return tuple(dict.fromkeys(names))


def finetune(model, class_names, source, add_classes=False, epochs=3, unfreeze_epochs=0, batch_size=64,
             learning_rate=1e-3, out_dir=None, compare_scratch=False, classes=None, limit=None,
             test_limit=None, val_split=0.0, seed=0, verbose="auto", arch=None, keep=None,
             rehearsal_size=DEFAULT_REHEARSAL_SIZE, old_images=None, distill_weight=1.0,
             temperature=DISTILL_TEMPERATURE, unfreeze_rate=0.1):
    """Fine-tune ``model`` on ``source``; returns ``(new_model, new_class_names, metrics)``.

    ``unfreeze_rate``: the unfrozen epochs' learning rate as a fraction of ``learning_rate``, in (0, 1].

    ``keep`` (with new classes only): ``"distill"``, ``"rehearsal"`` or both (see the module).
    ``old_images`` caps each old class's training images (None: all that ``source`` holds);
    rehearsal caps them at ``rehearsal_size`` unless ``old_images`` is smaller.
    """
    keep = check_keep(keep)
    for name, value, low in (("rehearsal_size", rehearsal_size, 1), ("old_images", old_images, 0)):
        if value is not None and (not isinstance(value, (int, np.integer)) or value < low):
            raise ValueError(f"The '{name}' parameter of finetune must be an int >= {low}"
                             f"{' or None' if name == 'old_images' else ''}; got {value!r}.")
    if distill_weight <= 0 or temperature <= 0:
        raise ValueError(f"The 'distill_weight' and 'temperature' parameters of finetune must be > 0; got "
                         f"{distill_weight!r} and {temperature!r}.")
    if isinstance(unfreeze_rate, bool) or not isinstance(unfreeze_rate, (int, float)) or not 0 < unfreeze_rate <= 1:
        raise ValueError(f"The 'unfreeze_rate' parameter of finetune must be a number in (0, 1]; "
                         f"got {unfreeze_rate!r}.")
    keras.utils.set_random_seed(seed)
    image_size, channels = image_model.model_input_spec(model)
    prepared = image_train.prepare(source, image_size=image_size, channels=channels, val_split=val_split,
                                   batch_size=batch_size, limit=limit, test_limit=test_limit, seed=seed,
                                   classes=classes)
    if prepared.validation is None:
        raise ValueError(f"--data {source}: fine-tuning needs a test split (train/ and test/ subfolders "
                         "or --val-split) to report old- and new-class accuracy.")
    old_classes = list(class_names)
    data_classes = list(prepared.class_names)
    new_classes = [c for c in data_classes if c not in old_classes]
    if new_classes and not add_classes:
        raise ValueError(
            f"Class mismatch between the model and --data {source}: the data has class(es) {new_classes} "
            f"that the model does not know (model classes: {old_classes}). Pass --add-classes to extend "
            "the model with them.")
    if add_classes and not new_classes:
        raise ValueError(f"--add-classes: --data {source} has no class beyond the model's {old_classes}.")
    if keep and not new_classes:
        raise ValueError(f"--keep {','.join(keep)}: keeping the old classes applies when classes are added "
                         "(--add-classes with data that has new classes).")
    all_classes = old_classes + new_classes
    mapping = np.asarray([all_classes.index(c) for c in data_classes], dtype=np.int32)
    _relabel(prepared, mapping)
    old_count = len(old_classes)

    probabilities, labels = _predict(model, prepared.validation)
    old_mask = labels < old_count
    before_old = _accuracy(probabilities, labels, old_mask)

    start = time.time()
    cap = old_images
    if "rehearsal" in keep:
        cap = rehearsal_size if cap is None else min(cap, rehearsal_size)
    # The from-scratch comparison trains on every training image, whatever the fine-tune keeps.
    full_train, full_size = prepared.train, prepared.train_size
    full_steps = image_train.steps_per_epoch(prepared, batch_size)
    train_counts = _cap_old_images(prepared, old_count, cap, seed) if cap is not None else None
    teacher = _frozen_copy(model) if "distill" in keep else None
    if new_classes:
        tuned = shared_finetune.extend_classes(model, len(all_classes), freeze_backbone=True)
    else:
        tuned = model
        shared_finetune.freeze(tuned.backbone)
    # The new model names its classes itself: the old ones, then the added ones.
    tuned.class_names = all_classes
    steps = image_train.steps_per_epoch(prepared, batch_size)
    trainee, train_data, validation = tuned, prepared.train, prepared.validation
    if teacher is not None:
        trainee = _distillation_trainer(tuned, old_count, temperature)
        train_data = _with_teacher_targets(prepared.train, teacher, old_count, temperature)
        validation = None  # the trainer's targets are pairs; old- and new-class accuracy are scored after
    histories = {}
    stages = (("head", epochs, learning_rate), ("unfrozen", unfreeze_epochs, learning_rate * unfreeze_rate))
    for stage, stage_epochs, rate in stages:
        if not stage_epochs:
            continue
        if stage == "unfrozen":
            shared_finetune.unfreeze(tuned.backbone)
        _compile_stage(trainee, tuned, rate, stage_epochs * steps, distill_weight * temperature ** 2)
        history = fit(trainee, train_data, validation, epochs=stage_epochs, batch_size=batch_size, seed=seed,
                      verbose=verbose)
        histories[stage] = {k: [float(v) for v in vals] for k, vals in history.history.items()}
    if not unfreeze_epochs:
        shared_finetune.unfreeze(tuned.backbone)  # saved model is fully trainable again
        tuned.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=tuned.default_loss(),
                      metrics=tuned.default_metrics())
    seconds = time.time() - start

    probabilities, labels = _predict(tuned, prepared.validation)
    metrics = {
        "data": str(source), "old_classes": old_classes, "new_classes": new_classes,
        "head_epochs": epochs, "unfreeze_epochs": unfreeze_epochs, "unfreeze_rate": unfreeze_rate,
        "old_class_accuracy_before": before_old,
        "old_class_accuracy_after": _accuracy(probabilities, labels, labels < old_count),
        "old_task_accuracy_after": _old_task_accuracy(probabilities, labels, old_count),
        "new_class_accuracy": _accuracy(probabilities, labels, labels >= old_count),
        "accuracy": _accuracy(probabilities, labels, np.ones_like(labels, dtype=bool)),
        "finetune_seconds": round(seconds, 2), "history": histories,
        "keep": list(keep), "old_images_per_class": cap, "train_images": train_counts,
        "skipped_files": prepared.skipped.count, "skipped_names": prepared.skipped.files[:50],
    }
    if before_old is not None and metrics["old_class_accuracy_after"] is not None:
        metrics["old_class_accuracy_drop_points"] = round(100 * (before_old - metrics["old_class_accuracy_after"]), 3)
        metrics["old_task_drop_points"] = round(100 * (before_old - metrics["old_task_accuracy_after"]), 3)

    if compare_scratch:
        arch = arch or _arch_of(model)
        keras.utils.set_random_seed(seed)
        start = time.time()
        scratch = _reinitialised(tuned)
        total = epochs + unfreeze_epochs
        image_train.compile_for_training(scratch, learning_rate, total * full_steps)
        fit(scratch, full_train, prepared.validation, epochs=total, batch_size=batch_size, seed=seed,
            verbose=verbose)
        scratch_probabilities, _ = _predict(scratch, prepared.validation)
        metrics["scratch"] = {
            "arch": arch, "epochs": total, "augmentation": _augmentation_names(scratch),
            "train_images": full_size, "seconds": round(time.time() - start, 2),
            "accuracy": _accuracy(scratch_probabilities, labels, np.ones_like(labels, dtype=bool)),
            "old_class_accuracy": _accuracy(scratch_probabilities, labels, labels < old_count),
            "old_task_accuracy": _old_task_accuracy(scratch_probabilities, labels, old_count),
            "new_class_accuracy": _accuracy(scratch_probabilities, labels, labels >= old_count),
        }
    if out_dir is not None:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        image_model.save_classifier(tuned, out / "model.keras", all_classes,
                                    extra={"arch": arch or _arch_of(model, default=None),
                                           "finetuned_from": old_classes})
        (out / "finetune.json").write_text(json.dumps(metrics, indent=2) + "\n")
        metrics["model"] = str(out / "model.keras")
        prepared.skipped.write(out)
    return tuned, all_classes, metrics


def _reinitialised(tuned):
    """The extended model's architecture with fresh weights, every layer trainable: the from-scratch
    comparison. Being the same model, it keeps the same input normalisation and augmentation layers,
    so the comparison differs in the starting weights alone."""
    scratch = tuned.__class__.from_config(tuned.get_config())
    shared_finetune.unfreeze(scratch)
    return scratch


def _augmentation_names(model) -> list:
    """The names of ``model``'s training-only augmentation layers, in order."""
    return [layer.name for layer in model._flatten_layers(include_self=False, recursive=True)
            if isinstance(layer, image_model.TrainingOnly)]


def _cap_old_images(prepared, old_count, cap, seed) -> dict:
    """Keep at most ``cap`` training images of each old class (a seeded sample) and every new-class
    image; returns how many distinct images of old and new classes remain.

    A capped old class is repeated up to the mean size of the new classes, so that each epoch
    sees old and new classes about equally often (a few stored images would otherwise be
    outnumbered, and the head would learn to prefer the new classes)."""
    train = prepared.train
    labels = np.asarray(train[1] if isinstance(train, tuple) else train.labels)
    rng = np.random.default_rng(seed)
    new_rows = np.flatnonzero(labels >= old_count)
    new_per_class = new_rows.size / max(1, len(np.unique(labels[new_rows])))
    chosen, distinct = [new_rows], [new_rows]
    for label in range(old_count):
        rows = np.flatnonzero(labels == label)
        sample = rng.choice(rows, min(cap, rows.size), replace=False) if rows.size else rows
        distinct.append(sample)
        if 0 < sample.size < new_per_class:
            sample = np.resize(sample, int(round(new_per_class)))
        chosen.append(sample)
    rows = np.sort(np.concatenate(chosen))
    kept = labels[np.concatenate(distinct)]
    if rows.size == 0:
        raise ValueError("Fine-tuning has no training image left once the old classes are capped at "
                         f"{cap} per class.")
    if isinstance(train, tuple):
        prepared.train = (train[0][rows], labels[rows])
    else:
        prepared.train = train.select(rows)
    prepared.train_size = int(rows.size)
    return {"old_classes": int((kept < old_count).sum()), "new_classes": int((kept >= old_count).sum()),
            "per_epoch": int(rows.size)}


def _frozen_copy(model):
    """An independent copy of ``model`` (its own weights), not trainable: the distillation teacher.

    ``extend_classes`` shares the backbone with the original model, so the original itself
    changes once the backbone trains; the copy does not."""
    copy = model.__class__.from_config(model.get_config())
    copy.set_weights(model.get_weights())
    shared_finetune.freeze(copy)
    return copy


@keras.saving.register_keras_serializable(package="cnnkit")
class OldClassSoftmax(keras.layers.Layer):
    """Softmax over the first ``old_count`` logits divided by ``temperature`` (distillation's soft targets)."""

    def __init__(self, old_count, temperature=DISTILL_TEMPERATURE, **kwargs):
        super().__init__(**kwargs)
        self.old_count, self.temperature = int(old_count), float(temperature)

    def call(self, logits):
        return keras.ops.softmax(keras.ops.cast(logits[:, : self.old_count], "float32") / self.temperature, axis=-1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.old_count)

    def get_config(self):
        return {**super().get_config(), "old_count": self.old_count, "temperature": self.temperature}


def _distillation_trainer(tuned, old_count, temperature):
    """``tuned`` with a second output, its softened old-class outputs (same layers, same weights)."""
    old = OldClassSoftmax(old_count, temperature, name="old_classes")(tuned.get_layer("logits").output)
    return keras.Model(tuned.inputs, {"predictions": tuned.outputs[0], "old_classes": old},
                       name=f"{tuned.name}_distillation")


class _TeacherTargets(keras.utils.PyDataset):
    """A streamed training set whose targets gain the teacher's soft old-class outputs, batch by batch."""

    def __init__(self, dataset, soft_targets):
        super().__init__()
        self.dataset, self.soft_targets = dataset, soft_targets

    def __len__(self):
        return len(self.dataset)

    def __getitem__(self, batch):
        x, y = self.dataset[batch]
        return x, {"predictions": y, "old_classes": self.soft_targets(x)}

    def on_epoch_end(self):
        self.dataset.on_epoch_end()


def _with_teacher_targets(train, teacher, old_count, temperature):
    """Training data whose targets are ``{"predictions": labels, "old_classes": teacher's soft outputs}``."""
    soft = OldClassSoftmax(old_count, temperature)
    logits = teacher.logits_model()

    def soft_targets(x):
        return keras.ops.convert_to_numpy(soft(logits([np.asarray(x, dtype="float32")], training=False)))

    if isinstance(train, tuple):
        x, y = train
        targets = np.concatenate([soft_targets(x[i:i + 512]) for i in range(0, len(x), 512)])
        return x, {"predictions": y, "old_classes": targets}
    return _TeacherTargets(train, soft_targets)


def _compile_stage(trainee, tuned, learning_rate, total_steps, distill_weight):
    """Compile one stage: the task's own optimizer and loss, plus the distillation term for a trainer."""
    image_train.compile_for_training(tuned, learning_rate, total_steps)
    if trainee is tuned:
        return
    trainee.compile(optimizer=tuned.optimizer,
                    loss={"predictions": tuned.default_loss(), "old_classes": keras.losses.CategoricalCrossentropy()},
                    loss_weights={"predictions": 1.0, "old_classes": distill_weight},
                    metrics={"predictions": tuned.default_metrics()})


def _arch_of(model, default="convnet"):
    """The architecture name of a model built here (backbone names match ARCHITECTURES keys)."""
    name = image_model.find_backbone(model).name
    if name in image_model.ARCHITECTURES or default is None:
        return name
    return default
