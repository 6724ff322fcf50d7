"""The configurable CNN feature extractor every cnnkit application is built on.

The network is assembled from module-level ``apply_*`` functions (as KerasHub's
``resnet_backbone.py``): a convolution unit, parallel branches, residual and bottleneck
blocks, pooling, the stem, a stage and the head. :class:`Backbone` checks its parameters
against one constraint table (``_PARAMETER_CONSTRAINTS``, see :mod:`shared.validation`)
and then wires those functions into a functional model.
"""

from __future__ import annotations

from numbers import Integral

import keras
from keras import layers

from shared.layers import (
    FractionalMaxPooling2D,
    GlobalAttentionPooling,
    L2Pooling1D,
    L2Pooling2D,
    PaddingMask,
    abs_tanh,
)
from shared.layers.fractional_max_pooling import SQRT2
from shared.validation import (
    Boolean,
    Constraint,
    Interval,
    ListOf,
    Options,
    PerStage,
    PositiveInt,
    invalid_parameter,
    validate_parameters,
)

CONVOLUTIONS = {1: layers.Conv1D, 2: layers.Conv2D, 3: layers.Conv3D}
POOLING_LAYERS = {
    "max": {1: layers.MaxPooling1D, 2: layers.MaxPooling2D, 3: layers.MaxPooling3D},
    "avg": {1: layers.AveragePooling1D, 2: layers.AveragePooling2D, 3: layers.AveragePooling3D},
    "l2": {1: L2Pooling1D, 2: L2Pooling2D},
    "fractional": {2: FractionalMaxPooling2D},
}
GLOBAL_POOLING_LAYERS = {
    "avg": {1: layers.GlobalAveragePooling1D, 2: layers.GlobalAveragePooling2D, 3: layers.GlobalAveragePooling3D},
    "max": {1: layers.GlobalMaxPooling1D, 2: layers.GlobalMaxPooling2D, 3: layers.GlobalMaxPooling3D},
    "attention": {1: GlobalAttentionPooling, 2: GlobalAttentionPooling, 3: GlobalAttentionPooling},
}
POOLINGS = ("max", "avg", "l2", "fractional", None)
GLOBAL_POOLINGS = ("avg", "max", "attention", "flatten", None)
BLOCKS = ("plain", "residual", "bottleneck")
NAMED_ACTIVATIONS = ("relu", "tanh", "abs_tanh", "sigmoid")


class _ActivationName(Constraint):
    """A name :func:`resolve_activation` knows: ``abs_tanh`` or any ``keras.activations`` name."""

    description = (
        f"one of {sorted(NAMED_ACTIVATIONS)} or another keras.activations name (e.g. 'gelu', 'elu', 'swish')"
    )

    def is_satisfied_by(self, value) -> bool:
        if not isinstance(value, str):
            return False
        if value == "abs_tanh":
            return True
        try:
            keras.activations.get(value)
        except ValueError:
            return False
        return True


_KERNEL = [PositiveInt(), ListOf([PositiveInt()], non_empty=True, description="a tuple of positive ints (branches)")]
_DROPOUT = [Interval(0, 1, closed="left")]

_PARAMETER_CONSTRAINTS = {
    "input_shape": [ListOf([PositiveInt(), None], non_empty=True,
                           description="a tuple of sizes (positive ints or None), without the batch axis")],
    "filters": [ListOf([PositiveInt()], non_empty=True)],
    "kernel_size": [PerStage(_KERNEL)],
    "strides": [PerStage([PositiveInt()])],
    "activation": [_ActivationName()],
    "pooling": [PerStage([Options(*POOLINGS)])],
    "conv_dims": [Options(1, 2, 3)],
    "vocab_size": [PositiveInt(), None],
    "embed_dim": [PositiveInt(), None],
    "embed_trainable": [Boolean()],
    "convs_per_stage": [PerStage([PositiveInt()])],
    "block": [Options(*BLOCKS)],
    "padding": [Options("same", "valid")],
    "pool_size": [PositiveInt()],
    "pooling_ratio": [Interval(1, 2, closed="right")],
    "batch_norm": [Boolean()],
    "dropout": _DROPOUT,
    "branch_reduction": [PositiveInt(), None],
    "stem_filters": [PositiveInt(), None],
    "stem_kernel_size": [PositiveInt()],
    "stem_strides": [PositiveInt()],
    "stem_pooling": [Options("max", "avg", None)],
    "global_pooling": [Options(*GLOBAL_POOLINGS)],
    "mask_padding": [Boolean()],
    "dense_units": [ListOf([PositiveInt()])],
    "dense_dropout": _DROPOUT,
}
_PER_STAGE = ("kernel_size", "strides", "pooling", "convs_per_stage")


def resolve_activation(activation, *, owner="Backbone", parameter="activation"):
    """Return a Keras activation for a name; ``abs_tanh`` is |tanh|. Unknown names raise.

    ``owner`` and ``parameter`` name the argument in the error (e.g. a Task's ``hidden_activation``).
    """
    constraint = _PARAMETER_CONSTRAINTS["activation"][0]
    if not constraint.is_satisfied_by(activation):
        raise invalid_parameter(owner, parameter, constraint.description, activation)
    return abs_tanh if activation == "abs_tanh" else keras.activations.get(activation)


def _as_int(value):
    return int(value) if isinstance(value, Integral) else value


def _per_stage(name, value, stages):
    """One value per stage: a list is per stage (its length must match), anything else is shared.

    Parallel kernel branches become a list, or their one kernel size when there is one branch.
    """
    if isinstance(value, list):
        if len(value) != stages:
            requirement = _PARAMETER_CONSTRAINTS[name][0].describe(value, stages)
            raise invalid_parameter("Backbone", name, requirement, value)
        values = value
    else:
        values = [value] * stages
    normalised = []
    for item in values:
        if isinstance(item, (tuple, list)):
            item = [int(k) for k in item] if len(item) > 1 else int(item[0])
        normalised.append(_as_int(item))
    return normalised


def _resolve_parameters(params):
    """Check ``params`` against the constraint table and with each other; return the config.

    The config holds every per-stage setting expanded to one entry per stage.
    """
    validate_parameters("Backbone", _PARAMETER_CONSTRAINTS, params)
    config = dict(params)
    config["input_shape"] = [None if size is None else int(size) for size in params["input_shape"]]
    config["filters"] = [int(f) for f in params["filters"]]
    config["dense_units"] = [int(units) for units in params["dense_units"]]
    stages = len(config["filters"])
    for name in _PER_STAGE:
        config[name] = _per_stage(name, params[name], stages)

    input_shape, conv_dims = tuple(config["input_shape"]), config["conv_dims"]
    vocab_size, embed_dim = config["vocab_size"], config["embed_dim"]
    if (vocab_size is None) != (embed_dim is None):
        missing, given = ("embed_dim", "vocab_size") if embed_dim is None else ("vocab_size", "embed_dim")
        raise invalid_parameter("Backbone", missing, f"a positive int when {given} is given (token input)",
                                config[missing])
    if vocab_size is not None:
        if len(input_shape) != 1:
            raise invalid_parameter("Backbone", "input_shape", "(length,) for token input (vocab_size, embed_dim)",
                                    input_shape)
        if conv_dims != 1:
            raise invalid_parameter("Backbone", "conv_dims", "1 for token input (vocab_size, embed_dim)", conv_dims)
    elif len(input_shape) != conv_dims + 1:
        raise invalid_parameter("Backbone", "input_shape",
                                f"of rank {conv_dims + 1} (spatial dims + channels) for conv_dims={conv_dims}",
                                input_shape)

    poolings = Options(*[p for p in POOLINGS if p is None or conv_dims in POOLING_LAYERS[p]])
    for value in config["pooling"]:
        if not poolings.is_satisfied_by(value):
            raise invalid_parameter("Backbone", "pooling", f"{poolings.description} for conv_dims={conv_dims}",
                                    value)
    if config["block"] != "plain":
        for value in config["kernel_size"]:
            if isinstance(value, list):
                raise invalid_parameter("Backbone", "kernel_size",
                                        f"a positive int per stage for block={config['block']!r} "
                                        "(parallel branches need block='plain')", tuple(value))
        if config["padding"] == "valid" and any(k > 1 for k in config["kernel_size"]):
            raise invalid_parameter("Backbone", "padding",
                                    f"'same' for block={config['block']!r} with kernels wider than 1 "
                                    "(the shortcut must line up with the convolutions)", "valid")
    if config["mask_padding"] and (vocab_size is None or config["global_pooling"] != "attention"):
        raise invalid_parameter("Backbone", "mask_padding",
                                "False unless the input is tokens (vocab_size, embed_dim) pooled by "
                                "global_pooling='attention'", True)
    if config["dense_units"] and config["global_pooling"] is None:
        raise invalid_parameter("Backbone", "global_pooling",
                                "one of ['attention', 'avg', 'flatten', 'max'] when dense_units are given", None)
    return config


class _TooSmall(ValueError):
    """A layer would shrink a spatial axis below one element."""


def _check_fits(x, kernel_size, strides, padding, layer, ratio=None):
    """Raise :class:`_TooSmall` when ``layer`` applied to ``x`` would leave a spatial size below 1."""
    for size in x.shape[1:-1]:
        if size is None:
            continue
        if ratio is not None:
            out = int(size // ratio)
        elif padding == "same":
            out = -(-size // strides)
        else:
            out = (size - kernel_size) // strides + 1
        if out < 1:
            raise _TooSmall(f"{layer} would shrink a spatial size of {size} below 1")


def convolution_dtype(conv_dims: int):
    """The dtype policy for a convolution of ``conv_dims``: None (the global policy), except float32
    for 3-D convolutions under mixed bfloat16 on TensorFlow, whose CPU kernel for the filter
    gradient returns wrong values or NaN on short clips (a time axis of 2 with a size-3 kernel)."""
    if (conv_dims == 3 and keras.backend.backend() == "tensorflow"
            and keras.mixed_precision.global_policy().name == "mixed_bfloat16"):
        return "float32"
    return None


def apply_conv_block(x, filters, kernel_size, strides=1, *, conv_dims=2, padding="same", batch_norm=False,
                     activation="relu", use_activation=True, name=None):
    """Convolution, then batch normalisation (``batch_norm``), then the activation.

    Layers are ``{name}_conv``, ``{name}_bn`` and ``{name}_act``; with batch norm the
    convolution has no bias (the normalisation's offset replaces it).
    """
    _check_fits(x, kernel_size, strides, padding, f"{name}_conv")
    x = CONVOLUTIONS[conv_dims](filters, kernel_size, strides=strides, padding=padding, use_bias=not batch_norm,
                                dtype=convolution_dtype(conv_dims), name=f"{name}_conv")(x)
    if batch_norm:
        x = layers.BatchNormalization(name=f"{name}_bn")(x)
    if use_activation:
        x = layers.Activation(activation, name=f"{name}_act")(x)
    return x


def apply_branches(x, filters, kernel_sizes, strides=1, *, branch_reduction=None, name=None, **conv):
    """Parallel convolutions of each size in ``kernel_sizes``, concatenated (Kim 2014, Inception).

    With ``branch_reduction`` every branch wider than 1 first reduces the channels with a
    1x1 convolution of that many maps (Inception's dimension reduction).
    """
    branches = []
    for kernel in kernel_sizes:
        branch = x
        if branch_reduction and kernel > 1:
            branch = apply_conv_block(branch, branch_reduction, 1, 1, name=f"{name}_k{kernel}_reduce", **conv)
        branches.append(apply_conv_block(branch, filters, kernel, strides, name=f"{name}_k{kernel}", **conv))
    return layers.Concatenate(name=f"{name}_concat")(branches)


def _apply_shortcut(shortcut, residual, filters, strides, *, name, **conv):
    """Add ``residual`` to the shortcut (a strided 1x1 projection where the shape changes), then activate."""
    if strides != 1 or shortcut.shape[-1] != filters:
        shortcut = apply_conv_block(shortcut, filters, 1, strides, use_activation=False, name=f"{name}_shortcut",
                                    **conv)
    x = layers.Add(name=f"{name}_add")([shortcut, residual])
    return layers.Activation(conv["activation"], name=f"{name}_out")(x)


def apply_residual_block(x, filters, kernel_size=3, strides=1, *, name=None, **conv):
    """He et al. 2015's basic block: two ``kernel_size`` convolutions plus the shortcut."""
    y = apply_conv_block(x, filters, kernel_size, strides, name=f"{name}_a", **conv)
    y = apply_conv_block(y, filters, kernel_size, 1, use_activation=False, name=f"{name}_b", **conv)
    return _apply_shortcut(x, y, filters, strides, name=name, **conv)


def apply_bottleneck_block(x, filters, kernel_size=3, strides=1, *, name=None, **conv):
    """He et al. 2015's bottleneck: 1x1 reduce, ``kernel_size`` convolution, 1x1 to 4x ``filters``, plus shortcut."""
    y = apply_conv_block(x, filters, 1, 1, name=f"{name}_a", **conv)
    y = apply_conv_block(y, filters, kernel_size, strides, name=f"{name}_b", **conv)
    y = apply_conv_block(y, 4 * filters, 1, 1, use_activation=False, name=f"{name}_c", **conv)
    return _apply_shortcut(x, y, 4 * filters, strides, name=name, **conv)


def apply_pooling(x, pooling, *, conv_dims=2, pool_size=2, pooling_ratio=SQRT2, name=None):
    """``pool_size`` max / average / L2 pooling (LeCun, Sermanet), or fractional max pooling by
    ``pooling_ratio`` (Graham 2014)."""
    if pooling == "fractional":
        _check_fits(x, None, None, None, name, ratio=pooling_ratio)
        return FractionalMaxPooling2D(pooling_ratio, name=name)(x)
    _check_fits(x, pool_size, pool_size, "valid", name)
    return POOLING_LAYERS[pooling][conv_dims](pool_size, name=name)(x)


def apply_stem(x, filters, kernel_size=7, strides=2, pooling=None, *, name="stem", **conv):
    """A wide strided convolution, optionally followed by 3x3 stride-2 pooling (AlexNet, GoogLeNet, ResNet)."""
    x = apply_conv_block(x, filters, kernel_size, strides, name=name, **conv)
    if pooling:
        x = POOLING_LAYERS[pooling][conv["conv_dims"]](3, strides=2, padding="same", name=f"{name}_pool")(x)
    return x


def apply_stage(x, filters, *, kernel_size=3, strides=1, blocks=1, block="plain", pooling="max", pool_size=2,
                pooling_ratio=SQRT2, dropout=0.0, branch_reduction=None, name=None, **conv):
    """``blocks`` units of ``block`` (the first with ``strides``), then ``pooling``, then dropout.

    A list ``kernel_size`` gives parallel branches (``block="plain"`` only). Units are named
    ``{name}_block1``, ``{name}_block2``...
    """
    for index in range(blocks):
        unit = f"{name}_block{index + 1}"
        step = strides if index == 0 else 1
        if isinstance(kernel_size, list):
            x = apply_branches(x, filters, kernel_size, step, branch_reduction=branch_reduction, name=unit, **conv)
        elif block == "plain":
            x = apply_conv_block(x, filters, kernel_size, step, name=unit, **conv)
        elif block == "residual":
            x = apply_residual_block(x, filters, kernel_size, step, name=unit, **conv)
        else:
            x = apply_bottleneck_block(x, filters, kernel_size, step, name=unit, **conv)
    if pooling is not None:
        x = apply_pooling(x, pooling, conv_dims=conv["conv_dims"], pool_size=pool_size, pooling_ratio=pooling_ratio,
                          name=f"{name}_pool")
    if dropout:
        x = layers.Dropout(dropout, name=f"{name}_dropout")(x)
    return x


def apply_head(x, global_pooling=None, dense_units=(), dense_dropout=0.0, *, conv_dims=2, activation="relu",
               padding_mask=None):
    """Global pooling (``avg``, ``max``, ``attention``) or ``flatten``, then dense layers (LeNet, AlexNet, VGG).

    ``padding_mask`` (a :class:`shared.layers.PaddingMask` output) keeps attention pooling off the padding."""
    if global_pooling == "flatten":
        x = layers.Flatten(name="flatten")(x)
    elif global_pooling is not None:
        pool = GLOBAL_POOLING_LAYERS[global_pooling][conv_dims](name=f"global_{global_pooling}_pool")
        x = pool(x, padding_mask=padding_mask) if padding_mask is not None else pool(x)
    for index, units in enumerate(dense_units):
        x = layers.Dense(units, activation=activation, name=f"dense{index + 1}")(x)
        if dense_dropout:
            x = layers.Dropout(dense_dropout, name=f"dense{index + 1}_dropout")(x)
    return x


def token_stride(strides, poolings, pool_size, stem_strides=None, stem_pooling=None):
    """How many input tokens one position of a 1-D feature map advances: the product of the
    stem's and the stages' strides and of every pooling window (``None`` entries: no stem, no pooling)."""
    window = pool_size[0] if isinstance(pool_size, (tuple, list)) else pool_size
    stride = (stem_strides or 1) * (2 if stem_strides and stem_pooling else 1)
    for step, pooling in zip(strides, poolings):
        stride *= (step[0] if isinstance(step, (tuple, list)) else step) * (window if pooling else 1)
    return int(stride)


def _block_output_name(block, kernel_size, unit):
    """The layer that ends a unit: its activation, its concatenated branches or its residual sum."""
    if block != "plain":
        return f"{unit}_out"
    return f"{unit}_concat" if isinstance(kernel_size, list) else f"{unit}_act"


@keras.saving.register_keras_serializable(package="cnnkit")
class Backbone(keras.Model):
    """A functional CNN: optional embedding -> optional stem -> stages -> optional head.

    Each stage is ``convs_per_stage`` convolutions (or residual / bottleneck blocks) of
    ``filters[i]`` maps followed by ``pooling``. ``kernel_size`` may be a tuple of ints:
    parallel branches whose outputs are concatenated (Kim 2014, Inception). Settings
    given as a *list* have one value per stage. ``pooling=None`` with ``strides>1`` is
    the all-convolutional net; ``pooling=None``, stride 1 and ``same`` padding keep full
    resolution (a Go board). ``pyramid_outputs`` maps ``stage_i`` to each stage's output.

    Every parameter is checked against ``_PARAMETER_CONSTRAINTS``; a bad one raises a
    ``ValueError`` worded ``The 'pooling' parameter of Backbone must be ...; got ...``.

    Args:
        input_shape: shape without the batch axis, e.g. ``(28, 28, 1)``; ``(length,)``
            for integer tokens with ``vocab_size`` and ``embed_dim``.
        filters: one width per stage.
        kernel_size: an int, a tuple of ints (parallel branches) or a list per stage.
        strides: stride of each stage's first convolution (int or list per stage).
        activation: ``"relu"``, ``"tanh"``, ``"abs_tanh"`` (|tanh|), ``"sigmoid"`` or any
            ``keras.activations`` name.
        pooling: ``"max"``, ``"avg"``, ``"l2"``, ``"fractional"`` or None after each stage
            (one value or a list per stage).
        conv_dims: 1, 2 or 3 for ``Conv1D``/``Conv2D``/``Conv3D``.
        vocab_size, embed_dim, embed_trainable: an ``Embedding`` front for token input.
        convs_per_stage: units per stage (int or list per stage).
        block: ``"plain"``, ``"residual"`` (two convolutions + shortcut) or
            ``"bottleneck"`` (1x1, kxk, 1x1 with 4x expansion + shortcut).
        padding: ``"same"`` or ``"valid"`` for the convolutions.
        pool_size: window and stride of max / average / L2 pooling.
        pooling_ratio: shrink factor of fractional max pooling, in (1, 2].
        batch_norm: batch normalisation after every convolution.
        dropout: dropout rate after every stage.
        branch_reduction: 1x1 reduction width before branches wider than 1 (Inception).
        stem_filters, stem_kernel_size, stem_strides, stem_pooling: a first wide strided
            convolution (and 3x3 stride-2 pooling) before the stages; no stem when None.
        global_pooling: ``"avg"``, ``"max"``, ``"attention"`` (a learned softmax-weighted mean over
            positions, :class:`shared.layers.GlobalAttentionPooling`), ``"flatten"`` or None (feature maps out).
        mask_padding: with token input and ``global_pooling="attention"``, give no weight to the
            positions whose window starts on the padding (token 0) after a short sequence
            (:class:`shared.layers.PaddingMask`). Off by default: on the drug–target benchmarks
            the unmasked form did no worse (docs/drug_target.md, known gaps).
        dense_units: fully-connected layers after global pooling (LeNet, AlexNet, VGG).
        dense_dropout: dropout rate after every fully-connected layer.
    """

    def __init__(
        self,
        input_shape,
        filters,
        kernel_size=3,
        strides=1,
        activation="relu",
        pooling="max",
        conv_dims=2,
        vocab_size=None,
        embed_dim=None,
        embed_trainable=True,
        convs_per_stage=1,
        block="plain",
        padding="same",
        pool_size=2,
        pooling_ratio=SQRT2,
        batch_norm=False,
        dropout=0.0,
        branch_reduction=None,
        stem_filters=None,
        stem_kernel_size=7,
        stem_strides=2,
        stem_pooling=None,
        global_pooling=None,
        mask_padding=False,
        dense_units=(),
        dense_dropout=0.0,
        name=None,
        dtype=None,
        **kwargs,
    ):
        arguments = locals()
        config = _resolve_parameters({key: arguments[key] for key in _PARAMETER_CONSTRAINTS})
        input_shape = tuple(config["input_shape"])
        kernel_sizes, stage_strides = config["kernel_size"], config["strides"]
        poolings, blocks = config["pooling"], config["convs_per_stage"]
        activation_fn = resolve_activation(activation)
        conv = dict(conv_dims=conv_dims, padding=padding, batch_norm=batch_norm, activation=activation_fn)
        token_input = vocab_size is not None

        # === Functional Model ===
        inputs = keras.Input(shape=input_shape, dtype="int32" if token_input else None,
                             name=f"{name}_input" if name else None)
        x = inputs
        if token_input:
            x = layers.Embedding(vocab_size, embed_dim, trainable=embed_trainable, name="embedding")(x)
        pyramid_outputs = {}
        try:
            if stem_filters:
                x = apply_stem(x, stem_filters, stem_kernel_size, stem_strides, stem_pooling, **conv)
            for index, width in enumerate(config["filters"]):
                x = apply_stage(
                    x, width, kernel_size=kernel_sizes[index], strides=stage_strides[index], blocks=blocks[index],
                    block=block, pooling=poolings[index], pool_size=pool_size, pooling_ratio=pooling_ratio,
                    dropout=dropout, branch_reduction=branch_reduction, name=f"stage{index + 1}", **conv,
                )
                pyramid_outputs[f"stage_{index + 1}"] = x
        except _TooSmall as error:
            raise invalid_parameter(
                "Backbone", "input_shape", f"large enough for every layer ({error}; use fewer pooling or strided "
                "stages, 'same' padding or a larger input)", input_shape) from None
        feature_map = x
        padding_mask = None
        if mask_padding:
            stride = token_stride(stage_strides, poolings, pool_size, stem_strides if stem_filters else None,
                                  stem_pooling)
            padding_mask = PaddingMask(stride, name="padding_mask")(inputs, x)
        x = apply_head(x, global_pooling, config["dense_units"], dense_dropout, conv_dims=conv_dims,
                       activation=activation_fn, padding_mask=padding_mask)

        super().__init__(inputs=inputs, outputs=x, name=name, dtype=dtype, **kwargs)

        # === Config ===
        for key, value in config.items():
            setattr(self, key if key != "input_shape" else "backbone_input_shape", value)
        self.pyramid_outputs = pyramid_outputs
        self.output_spatial_shape = tuple(feature_map.shape[1:-1])
        self.last_conv_layer_name = _block_output_name(block, kernel_sizes[-1], f"stage{len(blocks)}_block{blocks[-1]}")

    def pyramid_model(self):
        """A model from this backbone's input to a dict of every stage's output."""
        return keras.Model(self.inputs, dict(self.pyramid_outputs), name=f"{self.name}_pyramid")

    def get_config(self):
        config = {"name": self.name, "trainable": self.trainable}
        for key in _PARAMETER_CONSTRAINTS:
            config[key] = getattr(self, key if key != "input_shape" else "backbone_input_shape")
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)
