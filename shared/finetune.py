"""Fine-tuning: freeze, unfreeze, replace the head, or extend it with new classes."""

from __future__ import annotations

import numpy as np

from shared.tasks import Classifier

__all__ = ["freeze", "unfreeze", "replace_head", "extend_classes"]


def freeze(model):
    """Make every weight of ``model`` (a layer, backbone or task) non-trainable. Recompile after."""
    model.trainable = False
    return model


def unfreeze(model):
    """Make every weight of ``model`` trainable again. Recompile after."""
    model.trainable = True
    return model


def _head_kwargs(task):
    return dict(
        hidden_units=task.hidden_units,
        dropout=task.dropout,
        pooling=task.pooling,
        hidden_activation=task.hidden_activation,
        head_kernel_constraint=task.head_kernel_constraint,
    )


def _check_classifier(task):
    if not isinstance(task, Classifier):
        raise ValueError(f"Expected a shared.Classifier, got {type(task).__name__}.")


def _checked_names(class_names, count, what):
    if class_names is not None and len(class_names) != count:
        raise ValueError(f"The 'class_names' parameter of {what} must have {count} names; got {len(class_names)}.")
    return class_names


def replace_head(task, num_classes, freeze_backbone=False, class_names=None):
    """A new Classifier on the same backbone (weights shared) with a fresh ``num_classes`` head.

    Hidden head layers keep their weights; only the logits layer is new. ``class_names`` names
    the new classes (saved in the model).
    """
    _check_classifier(task)
    _checked_names(class_names, num_classes, "replace_head")
    if freeze_backbone:
        freeze(task.backbone)
    new = Classifier(task.backbone, num_classes, name=task.name, class_names=class_names, **_head_kwargs(task))
    _copy_hidden(task, new)
    return new


def extend_classes(task, num_classes, freeze_backbone=True, new_class_names=None):
    """Grow a classifier to ``num_classes``: every old class keeps its weights and its name.

    The convolution weights and the old rows of the logits layer are copied, so for
    every input the old classes' logits are unchanged before further training; the new
    classes start from small random weights and a bias below the old ones. With
    ``freeze_backbone`` only the head trains (the source article's fine-tuning case).
    ``new_class_names`` names the added classes (default: their output indices).
    """
    _check_classifier(task)
    old = task.num_classes
    if num_classes <= old:
        raise ValueError(f"extend_classes needs more than the current {old} classes, got {num_classes}.")
    added = _checked_names(new_class_names, num_classes - old, "extend_classes (new_class_names)")
    names = None
    if task.class_names_known or added is not None:
        names = [*task.class_names, *(added if added is not None else map(str, range(old, num_classes)))]
    if freeze_backbone:
        freeze(task.backbone)
    new = Classifier(task.backbone, num_classes, name=task.name, class_names=names, **_head_kwargs(task))
    _copy_hidden(task, new)
    kernel, bias = task.get_layer("logits").get_weights()
    new_kernel, new_bias = new.get_layer("logits").get_weights()
    new_kernel[:, :old] = kernel
    new_bias[:old] = bias
    new_bias[old:] = float(np.min(bias)) if bias.size else 0.0
    new.get_layer("logits").set_weights([new_kernel, new_bias])
    # Recompile so trainable flags take effect (the caller recompiles for its own optimizer).
    new.compile()
    return new


def _copy_hidden(task, new):
    for index in range(len(task.hidden_units)):
        name = f"head_dense{index + 1}"
        new.get_layer(name).set_weights(task.get_layer(name).get_weights())
