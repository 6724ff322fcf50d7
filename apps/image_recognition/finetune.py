"""Fine-tuning a trained classifier, optionally adding classes (the source article's case).

The convolution layers are kept; ``shared.finetune.extend_classes`` rebuilds the softmax head
with more outputs while every old class keeps its weights. The head trains first with the
backbone frozen; ``unfreeze_epochs`` then trains everything at a tenth of the rate. Old-class
accuracy is measured before and after on the same test images, new-class accuracy after, and
optionally the time and accuracy of training the same architecture from scratch.
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


def _relabel(prepared, mapping):
    for split in ("train", "validation"):
        value = getattr(prepared, split)
        if value is None:
            continue
        if isinstance(value, tuple):
            setattr(prepared, split, (value[0], mapping[value[1]]))
        else:
            value.labels = mapping[value.labels]


def finetune(model, class_names, source, add_classes=False, epochs=3, unfreeze_epochs=0, batch_size=64,
             learning_rate=1e-3, out_dir=None, compare_scratch=False, classes=None, limit=None,
             test_limit=None, val_split=0.0, seed=0, verbose="auto", arch=None):
    """Fine-tune ``model`` on ``source``; returns ``(new_model, new_class_names, metrics)``."""
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
    all_classes = old_classes + new_classes
    mapping = np.asarray([all_classes.index(c) for c in data_classes], dtype=np.int32)
    _relabel(prepared, mapping)
    old_count = len(old_classes)

    probabilities, labels = _predict(model, prepared.validation)
    old_mask = labels < old_count
    before_old = _accuracy(probabilities, labels, old_mask)

    start = time.time()
    if new_classes:
        tuned = shared_finetune.extend_classes(model, len(all_classes), freeze_backbone=True)
    else:
        tuned = model
        shared_finetune.freeze(tuned.backbone)
    # The new model names its classes itself: the old ones, then the added ones.
    tuned.class_names = all_classes
    steps = image_train.steps_per_epoch(prepared, batch_size)
    image_train.compile_for_training(tuned, learning_rate, epochs * steps)
    histories = {}
    if epochs:
        history = fit(tuned, prepared.train, prepared.validation, epochs=epochs, batch_size=batch_size,
                      seed=seed, verbose=verbose)
        histories["head"] = {k: [float(v) for v in vals] for k, vals in history.history.items()}
    if unfreeze_epochs:
        shared_finetune.unfreeze(tuned.backbone)
        image_train.compile_for_training(tuned, learning_rate / 10, unfreeze_epochs * steps)
        history = fit(tuned, prepared.train, prepared.validation, epochs=unfreeze_epochs,
                      batch_size=batch_size, seed=seed, verbose=verbose)
        histories["unfrozen"] = {k: [float(v) for v in vals] for k, vals in history.history.items()}
    else:
        shared_finetune.unfreeze(tuned.backbone)  # saved model is fully trainable again
        tuned.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=tuned.default_loss(),
                      metrics=tuned.default_metrics())
    seconds = time.time() - start

    probabilities, labels = _predict(tuned, prepared.validation)
    metrics = {
        "data": str(source), "old_classes": old_classes, "new_classes": new_classes,
        "head_epochs": epochs, "unfreeze_epochs": unfreeze_epochs,
        "old_class_accuracy_before": before_old,
        "old_class_accuracy_after": _accuracy(probabilities, labels, labels < old_count),
        "new_class_accuracy": _accuracy(probabilities, labels, labels >= old_count),
        "accuracy": _accuracy(probabilities, labels, np.ones_like(labels, dtype=bool)),
        "finetune_seconds": round(seconds, 2), "history": histories,
        "skipped_files": prepared.skipped.count, "skipped_names": prepared.skipped.files[:50],
    }
    if before_old is not None and metrics["old_class_accuracy_after"] is not None:
        metrics["old_class_accuracy_drop_points"] = round(100 * (before_old - metrics["old_class_accuracy_after"]), 3)

    if compare_scratch:
        arch = arch or _arch_of(model)
        keras.utils.set_random_seed(seed)
        start = time.time()
        scratch = image_model.build_classifier(arch, prepared.input_shape, len(all_classes), prepared.mean,
                                               prepared.variance, seed=seed, class_names=all_classes)
        total = epochs + unfreeze_epochs
        image_train.compile_for_training(scratch, learning_rate, total * steps)
        fit(scratch, prepared.train, prepared.validation, epochs=total, batch_size=batch_size, seed=seed,
            verbose=verbose)
        scratch_probabilities, _ = _predict(scratch, prepared.validation)
        metrics["scratch"] = {
            "arch": arch, "epochs": total, "seconds": round(time.time() - start, 2),
            "accuracy": _accuracy(scratch_probabilities, labels, np.ones_like(labels, dtype=bool)),
            "old_class_accuracy": _accuracy(scratch_probabilities, labels, labels < old_count),
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


def _arch_of(model, default="convnet"):
    """The architecture name of a model built here (backbone names match ARCHITECTURES keys)."""
    name = image_model.find_backbone(model).name
    if name in image_model.ARCHITECTURES or default is None:
        return name
    return default
