"""The configurable CNN feature extractor every cnnkit application is built on."""

from __future__ import annotations

import keras

from shared.layers import FractionalMaxPooling2D, L2Pooling1D, L2Pooling2D, abs_tanh

POOLINGS = ("max", "avg", "l2", "fractional", None)
GLOBAL_POOLINGS = ("avg", "max", "flatten", None)
BLOCKS = ("plain", "residual", "bottleneck")
NAMED_ACTIVATIONS = ("relu", "tanh", "abs_tanh", "sigmoid")


def resolve_activation(activation):
    """Return a Keras activation for a name; ``abs_tanh`` is |tanh|. Unknown names raise."""
    if activation == "abs_tanh":
        return abs_tanh
    if not isinstance(activation, str):
        raise ValueError(
            f"activation must be a name such as {', '.join(NAMED_ACTIVATIONS)}, got {activation!r}."
        )
    try:
        return keras.activations.get(activation)
    except ValueError as error:
        raise ValueError(
            f"Unknown activation {activation!r}. Expected one of {', '.join(NAMED_ACTIVATIONS)} "
            "or any keras.activations name (e.g. 'gelu', 'elu', 'swish')."
        ) from error


def _per_stage(value, stages, name, branches_allowed=False):
    """Expand a setting to one value per stage: a list is per stage, anything else is shared."""
    if isinstance(value, list):
        if len(value) != stages:
            raise ValueError(
                f"{name} given as a list must have one entry per stage ({stages}), got {len(value)}."
            )
        values = value
    else:
        values = [value] * stages
    normalised = []
    for item in values:
        if branches_allowed and isinstance(item, (tuple, list)):
            if not item or not all(isinstance(k, int) and k > 0 for k in item):
                raise ValueError(f"{name} branches must be positive ints, got {item!r}.")
            normalised.append(list(item) if len(item) > 1 else item[0])
        else:
            normalised.append(item)
    return normalised


@keras.saving.register_keras_serializable(package="cnnkit")
class Backbone(keras.Model):
    """A functional CNN: optional embedding -> optional stem -> stages -> optional head.

    Each stage is ``convs_per_stage`` convolutions (or residual / bottleneck blocks) of
    ``filters[i]`` maps followed by ``pooling``. ``kernel_size`` may be a tuple of ints:
    parallel branches whose outputs are concatenated (Kim 2014, Inception). Settings
    given as a *list* have one value per stage. ``pooling=None`` with ``strides>1`` is
    the all-convolutional net; ``pooling=None``, stride 1 and ``same`` padding keep full
    resolution (a Go board). ``pyramid_outputs`` maps ``stage_i`` to each stage's output.

    Args:
        input_shape: shape without the batch axis, e.g. ``(28, 28, 1)``; ``(length,)``
            for integer tokens with ``vocab_size`` and ``embed_dim``.
        filters: one width per stage.
        conv_dims: 1, 2 or 3 for ``Conv1D``/``Conv2D``/``Conv3D``.
        block: ``"plain"``, ``"residual"`` (two convolutions + shortcut) or
            ``"bottleneck"`` (1x1, kxk, 1x1 with 4x expansion + shortcut).
        global_pooling: ``"avg"``, ``"max"``, ``"flatten"`` or None (feature maps out).
        dense_units: fully-connected layers after global pooling (LeNet, AlexNet, VGG).
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
        pooling_ratio=1.4142135623730951,
        batch_norm=False,
        dropout=0.0,
        branch_reduction=None,
        stem_filters=None,
        stem_kernel_size=7,
        stem_strides=2,
        stem_pooling=None,
        global_pooling=None,
        dense_units=(),
        dense_dropout=0.0,
        name=None,
        dtype=None,
        **kwargs,
    ):
        input_shape = tuple(input_shape)
        filters = [int(f) for f in filters]
        if not filters or any(f < 1 for f in filters):
            raise ValueError(f"filters must be a non-empty sequence of positive ints, got {filters!r}.")
        stages = len(filters)
        if conv_dims not in (1, 2, 3):
            raise ValueError(f"conv_dims must be 1, 2 or 3, got {conv_dims!r}.")
        if block not in BLOCKS:
            raise ValueError(f"Unknown block {block!r}. Expected one of {BLOCKS}.")
        if padding not in ("same", "valid"):
            raise ValueError(f"padding must be 'same' or 'valid', got {padding!r}.")
        if global_pooling not in GLOBAL_POOLINGS:
            raise ValueError(
                f"Unknown global_pooling {global_pooling!r}. Expected one of {GLOBAL_POOLINGS}."
            )
        kernel_sizes = _per_stage(kernel_size, stages, "kernel_size", branches_allowed=True)
        stride_list = _per_stage(strides, stages, "strides")
        pooling_list = _per_stage(pooling, stages, "pooling")
        conv_counts = _per_stage(convs_per_stage, stages, "convs_per_stage")
        for value in pooling_list:
            if value not in POOLINGS:
                raise ValueError(
                    f"Unknown pooling {value!r}. Expected one of 'max', 'avg', 'l2', "
                    "'fractional' or None."
                )
            if value == "fractional" and conv_dims != 2:
                raise ValueError("pooling='fractional' needs conv_dims=2 (FractionalMaxPooling2D).")
            if value == "l2" and conv_dims == 3:
                raise ValueError("pooling='l2' supports conv_dims 1 and 2.")
        for value in stride_list:
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"strides must be positive ints, got {value!r}.")
        for value in conv_counts:
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"convs_per_stage must be positive ints, got {value!r}.")
        if block != "plain" and any(isinstance(k, list) for k in kernel_sizes):
            raise ValueError("Parallel kernel branches are only supported with block='plain'.")
        activation_fn = resolve_activation(activation)

        token_input = vocab_size is not None or embed_dim is not None
        if token_input:
            if vocab_size is None or embed_dim is None:
                raise ValueError("vocab_size and embed_dim must be given together for token input.")
            if len(input_shape) != 1:
                raise ValueError(
                    f"Token input expects input_shape=(length,), got {input_shape!r}."
                )
            if conv_dims != 1:
                raise ValueError("An Embedding front needs conv_dims=1.")
            spatial = [input_shape[0]]
        else:
            if len(input_shape) != conv_dims + 1:
                raise ValueError(
                    f"conv_dims={conv_dims} expects input_shape of rank {conv_dims + 1} "
                    f"(spatial dims + channels), got {input_shape!r}."
                )
            spatial = list(input_shape[:-1])

        conv_class = {1: keras.layers.Conv1D, 2: keras.layers.Conv2D, 3: keras.layers.Conv3D}[conv_dims]
        pool_classes = {
            "max": {1: keras.layers.MaxPooling1D, 2: keras.layers.MaxPooling2D, 3: keras.layers.MaxPooling3D},
            "avg": {1: keras.layers.AveragePooling1D, 2: keras.layers.AveragePooling2D, 3: keras.layers.AveragePooling3D},
            "l2": {1: L2Pooling1D, 2: L2Pooling2D},
        }

        def shrink(sizes, factor, what, kernel=1, pad=padding):
            new = []
            for size in sizes:
                if size is None:
                    new.append(None)
                    continue
                if pad == "same":
                    out = -(-size // factor)
                else:
                    out = (size - kernel) // factor + 1
                if out < 1:
                    raise ValueError(
                        f"Impossible configuration: {what} reduces a spatial size of {size} below 1 "
                        f"(input_shape {input_shape!r}). Use fewer pooling/strided stages, 'same' "
                        "padding or a larger input."
                    )
                new.append(out)
            return new

        def conv(x, width, kernel, stride, label, use_activation=True):
            x = conv_class(width, kernel, strides=stride, padding=padding, use_bias=not batch_norm,
                           name=f"{label}_conv")(x)
            if batch_norm:
                x = keras.layers.BatchNormalization(name=f"{label}_bn")(x)
            if use_activation:
                x = keras.layers.Activation(activation_fn, name=f"{label}_act")(x)
            return x

        token_dtype = "int32"
        inputs = keras.Input(shape=input_shape, dtype=token_dtype if token_input else None,
                             name=f"{name}_input" if name else None)
        x = inputs
        if token_input:
            x = keras.layers.Embedding(vocab_size, embed_dim, trainable=embed_trainable, name="embedding")(x)
        if stem_filters:
            spatial = shrink(spatial, stem_strides, "the stem convolution", stem_kernel_size)
            x = conv(x, stem_filters, stem_kernel_size, stem_strides, "stem")
            if stem_pooling:
                if stem_pooling not in ("max", "avg"):
                    raise ValueError(f"stem_pooling must be 'max', 'avg' or None, got {stem_pooling!r}.")
                spatial = shrink(spatial, 2, "the stem pooling", pad="same")
                x = pool_classes[stem_pooling][conv_dims](3, strides=2, padding="same", name="stem_pool")(x)

        pyramid = {}
        last_conv_layer_name = None
        for stage in range(stages):
            label = f"stage{stage + 1}"
            width = filters[stage]
            kernel = kernel_sizes[stage]
            stride = stride_list[stage]
            for index in range(conv_counts[stage]):
                unit = f"{label}_block{index + 1}"
                step = stride if index == 0 else 1
                largest = max(kernel) if isinstance(kernel, list) else kernel
                spatial = shrink(spatial, step, f"{unit} (stride {step})", largest)
                if block == "plain":
                    if isinstance(kernel, list):
                        branches = []
                        for k in kernel:
                            branch = x
                            if branch_reduction and k > 1:
                                branch = conv(branch, branch_reduction, 1, 1, f"{unit}_k{k}_reduce")
                            branches.append(conv(branch, width, k, step, f"{unit}_k{k}"))
                        x = keras.layers.Concatenate(name=f"{unit}_concat")(branches)
                        last_conv_layer_name = f"{unit}_concat"
                    else:
                        x = conv(x, width, kernel, step, unit)
                        last_conv_layer_name = f"{unit}_act"
                else:
                    shortcut = x
                    if block == "residual":
                        y = conv(x, width, kernel, step, f"{unit}_a")
                        y = conv(y, width, kernel, 1, f"{unit}_b", use_activation=False)
                        out_width = width
                    else:
                        y = conv(x, width, 1, 1, f"{unit}_a")
                        y = conv(y, width, kernel, step, f"{unit}_b")
                        y = conv(y, 4 * width, 1, 1, f"{unit}_c", use_activation=False)
                        out_width = 4 * width
                    if step != 1 or shortcut.shape[-1] != out_width:
                        shortcut = conv(shortcut, out_width, 1, step, f"{unit}_shortcut", use_activation=False)
                    x = keras.layers.Add(name=f"{unit}_add")([shortcut, y])
                    x = keras.layers.Activation(activation_fn, name=f"{unit}_out")(x)
                    last_conv_layer_name = f"{unit}_out"
            stage_pooling = pooling_list[stage]
            if stage_pooling == "fractional":
                spatial = [int(s // pooling_ratio) if s else s for s in spatial]
                if any(s is not None and s < 1 for s in spatial):
                    raise ValueError(
                        f"Impossible configuration: fractional pooling after {label} reduces the "
                        f"input {input_shape!r} below 1."
                    )
                x = FractionalMaxPooling2D(pooling_ratio, name=f"{label}_pool")(x)
            elif stage_pooling is not None:
                spatial = shrink(spatial, pool_size, f"pooling after {label}", pool_size, pad="valid")
                x = pool_classes[stage_pooling][conv_dims](pool_size, name=f"{label}_pool")(x)
            if dropout:
                x = keras.layers.Dropout(dropout, name=f"{label}_dropout")(x)
            pyramid[f"stage_{stage + 1}"] = x

        if global_pooling is not None:
            global_layer = {
                "avg": {1: keras.layers.GlobalAveragePooling1D, 2: keras.layers.GlobalAveragePooling2D,
                        3: keras.layers.GlobalAveragePooling3D},
                "max": {1: keras.layers.GlobalMaxPooling1D, 2: keras.layers.GlobalMaxPooling2D,
                        3: keras.layers.GlobalMaxPooling3D},
            }
            if global_pooling == "flatten":
                x = keras.layers.Flatten(name="flatten")(x)
            else:
                x = global_layer[global_pooling][conv_dims](name=f"global_{global_pooling}_pool")(x)
        elif dense_units:
            raise ValueError("dense_units need a global_pooling ('avg', 'max' or 'flatten').")
        for index, units in enumerate(dense_units):
            x = keras.layers.Dense(units, activation=activation_fn, name=f"dense{index + 1}")(x)
            if dense_dropout:
                x = keras.layers.Dropout(dense_dropout, name=f"dense{index + 1}_dropout")(x)

        super().__init__(inputs=inputs, outputs=x, name=name, dtype=dtype, **kwargs)

        self.pyramid_outputs = pyramid
        self.last_conv_layer_name = last_conv_layer_name
        self.output_spatial_shape = tuple(spatial)
        self._backbone_config = dict(
            input_shape=list(input_shape),
            filters=filters,
            kernel_size=kernel_sizes,
            strides=stride_list,
            activation=activation,
            pooling=pooling_list,
            conv_dims=conv_dims,
            vocab_size=vocab_size,
            embed_dim=embed_dim,
            embed_trainable=embed_trainable,
            convs_per_stage=conv_counts,
            block=block,
            padding=padding,
            pool_size=pool_size,
            pooling_ratio=pooling_ratio,
            batch_norm=batch_norm,
            dropout=dropout,
            branch_reduction=branch_reduction,
            stem_filters=stem_filters,
            stem_kernel_size=stem_kernel_size,
            stem_strides=stem_strides,
            stem_pooling=stem_pooling,
            global_pooling=global_pooling,
            dense_units=list(dense_units),
            dense_dropout=dense_dropout,
        )

    def pyramid_model(self):
        """A model from this backbone's input to a dict of every stage's output."""
        return keras.Model(self.inputs, dict(self.pyramid_outputs), name=f"{self.name}_pyramid")

    def get_config(self):
        return {"name": self.name, "trainable": self.trainable, **self._backbone_config}

    @classmethod
    def from_config(cls, config):
        return cls(**config)
