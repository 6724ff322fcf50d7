"""Image classifiers: a preprocessing front (normalisation, augmentation) + a shared Backbone
+ ``shared.Classifier`` head.

The model takes raw 0-255 pixels: the ``Normalization`` layer holds the training split's
per-channel mean and variance and the augmentation layers are active only in training, so a
saved ``model.keras`` predicts on decoded files with no outside preprocessing (as
keras.applications models do with their ``preprocess_input`` built in).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np

import apps.image_recognition.airbench  # noqa: F401  (registers its layers, so that its models load)
from apps.image_recognition.presets import AUGMENTATIONS
from shared import Backbone, Classifier, architectures
from shared.training import save_float32

log = logging.getLogger("cnnkit.image")


def convnet(input_shape=(28, 28, 1), width=32, dropout=0.25, dense_dropout=0.5, dense_units=(256,), **kwargs):
    """Small VGG-style net: 2x(conv, conv, pool) with batch norm and dropout, then a dense layer.

    The default model and the MNIST benchmark model (the classic Keras MNIST net at width 32).
    """
    return Backbone(input_shape, filters=(width, 2 * width), kernel_size=3, convs_per_stage=2,
                    batch_norm=True, dropout=dropout, global_pooling="flatten", dense_units=tuple(dense_units),
                    dense_dropout=dense_dropout, name="convnet", **kwargs)


def resnet_small(input_shape=(32, 32, 3), width=32, **kwargs):
    """A ResNet-8-like net for CPU budgets: 3x3 stem, three residual stages (x1, x2, x4 width)."""
    return Backbone(input_shape, filters=(width, 2 * width, 4 * width), block="residual",
                    convs_per_stage=1, strides=[1, 2, 2], pooling=None, batch_norm=True,
                    stem_filters=width, stem_kernel_size=3, stem_strides=1,
                    global_pooling="avg", name="resnet_small", **kwargs)


def airbench(input_shape=(32, 32, 3), width=64, **kwargs):
    """A fast CIFAR-10 net after Jordan's airbench (2024): a 3x3 stem of ``width / 2`` maps, three
    stages of two 3x3 convolutions (``width``, ``4 width``, ``4 width`` maps) each followed by
    2x2 max pooling, batch norm, GELU, and global max pooling. ``width=64`` is airbench94's size
    (2.0M parameters); ``width=32`` a quarter of the compute for CPU budgets.
    """
    return Backbone(input_shape, filters=(width, 4 * width, 4 * width), convs_per_stage=2, batch_norm=True,
                    activation="gelu", pooling="max", stem_filters=max(width // 2, 1), stem_kernel_size=3,
                    stem_strides=1, global_pooling="max", name="airbench", **kwargs)


def airbench94(input_shape=(32, 32, 3), width=64, **kwargs):
    """airbench94's own layout (Jordan 2024): each of the three groups is conv -> 2x2 max pool ->
    conv, so the second convolution runs at the pooled resolution. ``width=64`` (64, 256, 256 maps,
    2.0M parameters) is airbench94's size.
    """
    return Backbone(input_shape, filters=[width, width, 4 * width, 4 * width, 4 * width, 4 * width],
                    convs_per_stage=1, batch_norm=True, activation="gelu", pooling=["max", None] * 3,
                    stem_filters=max(width // 2, 1), stem_kernel_size=3, stem_strides=1, global_pooling="max",
                    name="airbench94", **kwargs)


ARCHITECTURES = {
    "convnet": convnet,
    "resnet_small": resnet_small,
    "airbench": airbench,
    "airbench94": airbench94,
    "lenet5": architectures.lenet5,
    "alexnet": architectures.alexnet,
    "vgg": lambda input_shape, **kw: architectures.vgg(16, input_shape=input_shape, **kw),
    "vgg11": lambda input_shape, **kw: architectures.vgg(11, input_shape=input_shape, **kw),
    "vgg16": lambda input_shape, **kw: architectures.vgg(16, input_shape=input_shape, **kw),
    "googlenet": architectures.googlenet,
    "resnet": lambda input_shape, **kw: architectures.resnet(18, input_shape=input_shape, **kw),
    "resnet18": lambda input_shape, **kw: architectures.resnet(18, input_shape=input_shape, **kw),
    "resnet50": lambda input_shape, **kw: architectures.resnet(50, input_shape=input_shape, **kw),
    "all_conv": architectures.all_conv,
}


def build_backbone(arch: str, input_shape, **kwargs) -> Backbone:
    if arch not in ARCHITECTURES:
        raise ValueError(f"Unknown architecture {arch!r}; expected one of {', '.join(ARCHITECTURES)}.")
    return ARCHITECTURES[arch](input_shape=tuple(input_shape), **kwargs)


def parse_augment(spec) -> list:
    """``"flip,translate"`` -> ``["flip", "translate"]``; ``"none"``/empty -> ``[]``."""
    if spec is None:
        return []
    items = spec if isinstance(spec, (list, tuple)) else [s.strip() for s in str(spec).split(",")]
    items = [s for s in items if s and s != "none"]
    unknown = [s for s in items if s not in AUGMENTATIONS]
    if unknown:
        raise ValueError(f"Unknown augmentation(s) {unknown}; expected a comma list of {', '.join(AUGMENTATIONS)}.")
    return list(items)


@keras.saving.register_keras_serializable(package="cnnkit")
class TrainingOnly(keras.layers.Layer):
    """Apply ``layer`` only when training; identity otherwise.

    Keras' random preprocessing layers default to ``training=True`` when a model is called
    directly (``model(x)``); wrapping them makes direct calls deterministic, as users of
    keras.applications expect, while ``fit`` still augments.
    """

    def __init__(self, layer, **kwargs):
        super().__init__(**kwargs)
        self.layer = keras.layers.deserialize(layer) if isinstance(layer, dict) else layer

    def build(self, input_shape):
        self.layer.build(input_shape)
        self.built = True

    def call(self, inputs, training=None):
        if training:
            return self.layer(inputs, training=True)
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "layer": keras.layers.serialize(self.layer)}


def augmentation_layers(augment, seed=0) -> list:
    layers, items = [], parse_augment(augment)
    for item in items:
        if item == "flip":
            layers.append(keras.layers.RandomFlip("horizontal", seed=seed, name="augment_flip"))
        elif item in ("crop", "translate"):
            if any(l.name == "augment_translate" for l in layers):
                continue
            # "crop" is the CIFAR pad-and-crop: whole-pixel shifts of up to 4 of 32 pixels
            # (nearest), so training images stay as sharp as the test images. "translate" shifts
            # by fractions of a pixel (bilinear), which also blurs: fine for MNIST strokes.
            crop = "crop" in items
            factor = 0.125 if crop else 0.1
            layers.append(keras.layers.RandomTranslation(factor, factor, fill_mode="constant", seed=seed,
                                                         interpolation="nearest" if crop else "bilinear",
                                                         name="augment_translate"))
        elif item == "rotate":
            layers.append(keras.layers.RandomRotation(10 / 360, fill_mode="constant", seed=seed,
                                                      name="augment_rotate"))
        elif item == "zoom":
            layers.append(keras.layers.RandomZoom(0.1, fill_mode="constant", seed=seed, name="augment_zoom"))
    return layers


def build_classifier(arch, input_shape, num_classes, mean=None, variance=None, augment=None,
                     seed=0, backbone_kwargs=None, class_names=None, **head_kwargs) -> Classifier:
    """Raw pixels -> Normalization(mean, variance) -> augmentation -> Backbone -> Classifier.

    ``mean``/``variance`` are the training split's per-channel statistics (0-255 scale); without
    them pixels are simply divided by 255. ``class_names`` (one per output) are saved inside the
    model, so its ``.keras`` file alone names its classes. The classifier comes compiled with the
    task's defaults (Adam at 1e-3); :func:`apps.image_recognition.train.compile_for_training` sets
    the training optimizer, schedule and loss.
    """
    input_shape = tuple(int(s) for s in input_shape)
    channels = input_shape[-1]
    inputs = keras.Input(shape=input_shape, name="pixels")
    if mean is None or variance is None:
        x = keras.layers.Rescaling(1 / 255.0, name="rescale")(inputs)
    else:
        mean = np.broadcast_to(np.asarray(mean, dtype="float32"), (channels,))
        variance = np.broadcast_to(np.asarray(variance, dtype="float32"), (channels,))
        x = keras.layers.Normalization(mean=mean.tolist(), variance=variance.tolist(), name="normalize")(inputs)
    for layer in augmentation_layers(augment, seed):
        x = TrainingOnly(layer, name=layer.name)(x)
    backbone = build_backbone(arch, input_shape, **(backbone_kwargs or {}))
    features = backbone(x)
    front = keras.Model(inputs, features, name=f"{backbone.name}_with_preprocessing")
    return Classifier(front, int(num_classes), name=f"{arch}_classifier", class_names=class_names, **head_kwargs)


def find_backbone(model) -> keras.Model:
    """The feature extractor inside a classifier built here: its shared.Backbone or, for a network
    built outside it (airbench94's own), the nested model that holds the 2-D convolutions."""
    convolutional = None
    for layer in model._flatten_layers(include_self=False, recursive=True):
        if isinstance(layer, Backbone):
            return layer
        if (convolutional is None and isinstance(layer, keras.Model)
                and any(isinstance(inner, keras.layers.Conv2D) for inner in layer.layers)):
            convolutional = layer
    if convolutional is not None:
        return convolutional
    raise ValueError(f"Model {model.name!r} contains no shared.Backbone or other convolutional network "
                     "(needed for Grad-CAM / filters).")


def last_feature_map_layer(backbone) -> str:
    """The name of the layer whose output is the backbone's last spatial feature map (Grad-CAM's target)."""
    name = getattr(backbone, "last_conv_layer_name", None)
    if name:
        return name
    for layer in reversed(backbone.layers):
        if len(layer.output.shape) == 4 and not isinstance(layer, keras.layers.InputLayer):
            return layer.name
    raise ValueError(f"Model {backbone.name!r} has no layer with a spatial feature map.")


def model_input_spec(model):
    """``(image_size, channels)`` the model expects; a ValueError for a model that does not take
    one batch of (height, width, channels) images."""
    shape = model.input_shape
    if not (isinstance(shape, tuple) and len(shape) == 4 and all(isinstance(s, int) for s in shape[1:])):
        raise ValueError(f"model {model.name!r} takes input of shape {shape}; an image classifier takes "
                         "(None, height, width, channels).")
    return (int(shape[1]), int(shape[2])), int(shape[3])


# --------------------------------------------------------------------------- saving

def class_names_path(model_path) -> Path:
    return Path(model_path).with_name("class_names.json")


def save_classifier(model, path, class_names, extra=None) -> Path:
    """``model.keras`` holding its class names (class order = output order), plus
    ``class_names.json`` next to it with ``extra`` (architecture, data...) for older readers."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if len(class_names) != model.output_shape[-1]:
        raise ValueError(f"{len(class_names)} class names for a model with {model.output_shape[-1]} outputs.")
    if isinstance(model, Classifier):
        model.class_names = list(class_names)
    save_float32(model, path)  # a model trained in mixed precision predicts in float32 wherever it is loaded
    record = {"class_names": list(class_names), **(extra or {})}
    class_names_path(path).write_text(json.dumps(record, indent=2) + "\n")
    return path


def _read_names_file(names_file: Path) -> dict:
    """``class_names.json`` as a dict with a ``class_names`` list (a bare JSON list is accepted);
    a ValueError naming the file when it is damaged."""
    try:
        record = json.loads(names_file.read_text(encoding="utf-8"))
    except UnicodeDecodeError as error:
        raise ValueError(f"{names_file}: not valid JSON (not UTF-8 text).") from error
    except json.JSONDecodeError as error:
        raise ValueError(f"{names_file}: not valid JSON ({error}).") from error
    if isinstance(record, list):
        record = {"class_names": record}
    names = record.get("class_names") if isinstance(record, dict) else None
    if not isinstance(names, list) or not all(isinstance(n, (str, int)) for n in names):
        raise ValueError(f'{names_file}: no "class_names" list of strings (expected '
                         '{"class_names": ["cat", "dog", ...]}, as `cnnkit image train` writes).')
    return {**record, "class_names": [str(n) for n in names]}


def saved_record(model_path) -> dict:
    """What ``save_classifier`` wrote beside ``model_path`` (class names, arch, data...); {} if nothing."""
    names_file = class_names_path(model_path)
    return _read_names_file(names_file) if names_file.is_file() else {}


@dataclass
class LoadedClassifier:
    """A loaded model, its class names, the file it came from, and warnings about it."""

    model: keras.Model
    class_names: list
    path: Path
    warnings: list = field(default_factory=list)


def open_classifier(path) -> LoadedClassifier:
    """Load ``model.keras`` (a path, a folder holding one, or a preset name) and its class names.

    The names saved inside the model come first; a model saved before they moved there takes
    them from ``class_names.json`` beside it. Without either, the classes are the output indices
    0..n-1 and ``warnings`` holds one line saying so, naming the model (the caller shows it).
    """
    from shared.presets import is_preset, preset_file

    path = preset_file(str(path)) if is_preset(str(path)) else Path(path)
    if path.is_dir() and (path / "model.keras").is_file():
        path = path / "model.keras"
    if not path.is_file():
        raise ValueError(f"--model {path}: no such file (expected a .keras file written by "
                         "`cnnkit image train`, or a preset name: `cnnkit presets`).")
    try:
        model = keras.models.load_model(path, compile=True)
    except Exception as error:  # noqa: BLE001 - any loader failure is a bad model file
        raise ValueError(f"--model {path}: could not load a Keras model ({error}).") from error
    try:
        model_input_spec(model)
    except ValueError as error:
        raise ValueError(f"--model {path}: {error}") from error
    outputs = model.output_shape[-1] if isinstance(model.output_shape, tuple) else None
    if not isinstance(outputs, int):
        raise ValueError(f"--model {path}: output shape {model.output_shape} is not one row of class "
                         "probabilities.")
    names_file = class_names_path(path)
    warnings = []
    if getattr(model, "class_names_known", False):
        class_names = list(model.class_names)
    elif names_file.is_file():
        class_names = _read_names_file(names_file)["class_names"]
        if len(class_names) != outputs:
            raise ValueError(f"{names_file}: {len(class_names)} class names but the model has {outputs} outputs.")
        if isinstance(model, Classifier):
            model.class_names = class_names
    else:
        class_names = [str(i) for i in range(outputs)]
        warnings.append(f"{path} has no class names (none saved in the model, and {names_file} is missing), "
                        f"so its labels are the output indices 0..{outputs - 1}")
    return LoadedClassifier(model, class_names, path, warnings)


def load_classifier(path):
    """``(model, class_names)`` of :func:`open_classifier`; its warnings (a model without class
    names: classes 0..n-1) are logged."""
    loaded = open_classifier(path)
    for warning in loaded.warnings:
        log.warning("%s", warning)
    return loaded.model, loaded.class_names
