"""Clip classifiers: TimeDistributed 2-D backbone + temporal convolution, (2+1)-D, or 3-D.

* ``"td"``: ``shared.Backbone`` on every frame (``TimeDistributed``, flattened so positions
  survive), then temporal Conv1D: reuses any image backbone.
* ``"2plus1d"``: R(2+1)D (Tran et al. 2018): each 3x3x3 convolution factorised into a
  1x3x3 spatial and a 3x1x1 temporal convolution.
* ``"3d"``: ``shared.Backbone(conv_dims=3)`` (C3D-style), pooling time and space together.

Every variant returns a ``shared.Classifier`` (softmax, compiled), so save/load, fine-tuning
and the CLI work the same way as for images. A saved classifier keeps what its inputs were
(frames, size, class names) in a ``<model>.keras.json`` file beside it.
"""

from __future__ import annotations

import json
from pathlib import Path

import keras

from shared import Backbone, Classifier
from shared.backbone import convolution_dtype
from shared.training import save_float32

ARCHITECTURES = ("td", "2plus1d", "3d")


def clip_backbone(input_shape, arch: str = "td", filters=(16, 32, 64), temporal_filters: int = 64,
                  batch_norm: bool = True) -> keras.Model:
    """Feature extractor for clips of shape (frames, height, width, channels)."""
    input_shape = tuple(int(s) for s in input_shape)
    if len(input_shape) != 4:
        raise ValueError(f"Clip input_shape must be (frames, height, width, channels), got {input_shape!r}.")
    if arch not in ARCHITECTURES:
        raise ValueError(f"Unknown clip architecture {arch!r}; expected one of {ARCHITECTURES}.")
    frames = input_shape[0]
    if arch == "3d":  # 2x2x2 pooling halves time too: stop pooling once one frame is left
        pooling = ["max" if frames // 2 ** (i + 1) >= 1 else None for i in range(len(filters))]
        return Backbone(input_shape, filters=list(filters), conv_dims=3, pooling=pooling,
                        batch_norm=batch_norm, name="clip_backbone_3d")
    inputs = keras.Input(input_shape, name="clips")
    if arch == "td":
        # flatten, not average: global pooling would throw away where the content is, and with
        # it the motion between frames
        frame_backbone = Backbone(input_shape[1:], filters=list(filters), pooling="max", batch_norm=batch_norm,
                                  global_pooling="flatten", dense_units=(temporal_filters * 2,),
                                  name="frame_backbone")
        x = keras.layers.TimeDistributed(frame_backbone, name="per_frame")(inputs)
        for i in range(2):
            x = keras.layers.Conv1D(temporal_filters, 3, padding="same", activation="relu",
                                    name=f"temporal_conv{i + 1}")(x)
        return keras.Model(inputs, x, name="clip_backbone_td")
    x = inputs
    for i, width in enumerate(filters):
        x = keras.layers.Conv3D(width, (1, 3, 3), padding="same", use_bias=not batch_norm,
                                dtype=convolution_dtype(3), name=f"stage{i + 1}_spatial")(x)
        if batch_norm:
            x = keras.layers.BatchNormalization(name=f"stage{i + 1}_spatial_bn")(x)
        x = keras.layers.Activation("relu", name=f"stage{i + 1}_spatial_act")(x)
        x = keras.layers.Conv3D(width, (3, 1, 1), padding="same", activation="relu",
                                dtype=convolution_dtype(3), name=f"stage{i + 1}_temporal")(x)
        pool_t = 2 if frames // (2 ** (i + 1)) >= 1 and i > 0 else 1
        x = keras.layers.MaxPooling3D((pool_t, 2, 2), padding="same", name=f"stage{i + 1}_pool")(x)
    return keras.Model(inputs, x, name="clip_backbone_2plus1d")


def build_clip_classifier(input_shape, num_classes: int, arch: str = "td", filters=(16, 32, 64),
                          dropout: float = 0.2, learning_rate: float = 1e-3) -> Classifier:
    """A ``shared.Classifier`` over :func:`clip_backbone`, compiled with Adam at ``learning_rate``."""
    backbone = clip_backbone(input_shape, arch, filters)
    model = Classifier(backbone, num_classes, dropout=dropout)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate))
    return model


def metadata_path(model_path) -> Path:
    """The JSON file beside a saved clip classifier: ``clip.keras`` -> ``clip.keras.json``."""
    return Path(str(model_path) + ".json")


def save_clip_classifier(model, path, metadata: dict) -> Path:
    """Save ``model`` as ``.keras`` and ``metadata`` (class names, frames, size, ...) beside it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_float32(model, path)  # a model trained in mixed precision predicts in float32 wherever it is loaded
    metadata_path(path).write_text(json.dumps(metadata, indent=1))
    return path


def load_clip_classifier(path):
    """(model, metadata) of a saved clip classifier.

    Without a metadata file, frames, size and channels come from the model's input shape and
    the class names are the class numbers.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Model file not found: {path}")
    model = keras.saving.load_model(path)
    if len(model.output_shape) != 2:
        raise ValueError(f"{path} is not a clip classifier: its output has shape {model.output_shape}, expected "
                         "(batch, classes) (a shot detector goes to `cnnkit video shots --model`).")
    meta_path = metadata_path(path)
    meta = json.loads(meta_path.read_text()) if meta_path.is_file() else {}
    frames, height, width, channels = (int(s) for s in model.input_shape[1:])
    meta.setdefault("frames", frames)
    meta.setdefault("size", height)
    meta.setdefault("grayscale", channels == 1)
    meta.setdefault("class_names", [str(i) for i in range(int(model.output_shape[-1]))])
    return model, meta
