"""airbench94's own network and training recipe (Jordan 2024, ``KellerJordan/cifar10-airbench``).

``cnnkit image train --arch airbench94 --recipe airbench`` trains this port. What it keeps of
airbench94, and where:

- the network (:func:`airbench94_network`): a 2x2 patch-whitening convolution whose filters are
  the eigenvectors of the training patches' covariance (fixed; only its bias trains, for the first
  three epochs), GELU, then three groups of conv -> 2x2 max pool -> batch norm -> GELU -> conv ->
  batch norm -> GELU (64, 256, 256 maps), global max pooling and a bias-free linear layer scaled by
  1/9. The convolutions have no bias, start as an identity on their first input channels (Dirac)
  and PyTorch's uniform elsewhere; batch norm has no scale, momentum 0.6 and epsilon 1e-12;
- SGD with Nesterov momentum 0.85 and L2 weight decay, in airbench's decoupled units (learning
  rate 11.5 and weight decay 0.0153 per 1,024 examples), batch-norm offsets at 64 times the rate
  (:class:`GroupedNesterovSGD`), a triangular learning-rate schedule (0.2 -> 1 at 23% -> 0.07,
  :class:`TriangleSchedule`), label smoothing 0.2, batches of 1,024, 9.9 epochs;
- lookahead: from the third epoch, every fifth step the weights move to an exponential average
  of themselves whose decay rises over training (:class:`Lookahead`);
- the data (:class:`AirbenchBatches`): each image mirrored once at random, then the whole set
  mirrored on every other epoch (airbench's alternating flip), and shifted by up to 2 pixels
  (reflect padding) every epoch;
- the evaluation: airbench's flip + 1-pixel translate test-time augmentation
  (``apps.image_recognition.tta``, mode ``flip_translate``).

``--recipe airbench95`` is airbench95 (Jordan's time-to-95% variant): the same network with 128,
384, 384 maps, learning rate 10, 15 epochs, and lookahead from the first step with no extra
average at the epoch ends (:data:`AIRBENCH95`).

``--recipe airbench96`` is airbench96 (the time-to-96% variant, as revised in June 2024;
:data:`AIRBENCH96`): 128, 512, 512 maps, a third convolution in each group with a residual
connection over the group's last two (the activation after the sum), batch-norm momentum at
PyTorch's default, 12-pixel cutout and 4-pixel translation, learning rate 9 and weight decay
0.012, a warm-up over the first tenth of the steps and a decay to zero, and 31 epochs.

Two things differ, for Keras: the cross-entropy is averaged over the batch (airbench sums it),
so the rates are multiplied by the batch size and the weight decay divided by it; and the
``logits`` layer of ``shared.Classifier`` is used in place of airbench's ``Linear(bias=False)``
followed by ``* 1/9``: it starts at 1/9 of PyTorch's initial scale, its kernel learns at 1/81 of
the rate with 81 times the decay (the same updates in the unscaled weights) and its bias stays
at zero.
"""

from __future__ import annotations

import math

import keras
import numpy as np
from keras import layers, ops

from shared.tasks import Classifier
from shared.training import EpochSeededDataset

# airbench94's hyperparameters, under its own names (``hyp`` in airbench94.py).
AIRBENCH94 = {
    "train_epochs": 9.9,
    "batch_size": 1024,
    "lr": 11.5,                 # per 1,024 examples, decoupled from the momentum
    "momentum": 0.85,
    "weight_decay": 0.0153,     # per 1,024 examples, decoupled from the learning rate
    "bias_scaler": 64.0,        # batch-norm offsets learn this much faster (no faster decay)
    "label_smoothing": 0.2,
    "schedule": {"start": 0.2, "peak": 0.23, "end": 0.07},
    "lookahead": {"start_epochs": 3, "decay_base": 0.95, "decay_pow": 3.0, "every_n_steps": 5},
    "whiten_bias_epochs": 3,
    "translate": 2,
    "flip": True,               # alternating flip; off for data whose classes change when mirrored (digits)
    "rotate": 0.0,              # not airbench's: degrees of random rotation (train(augment="rotate") sets it)
    "whitening_kernel_size": 2,
    "whitening_eps": 5e-4,
    "whitening_images": 5000,
    "batchnorm_momentum": 0.6,
    "width": 64,
    "width_multipliers": (1, 4, 4),  # the three conv groups' maps: 64, 256, 256
    "group_depth": 2,           # convolutions per group; 3 adds a residual pair (airbench96)
    "cutout": 0,                # side of the square blanked in each training image (airbench96: 12)
    "scaling_factor": 1 / 9,
}

# airbench95.py: wider (128, 384, 384 maps), a lower rate, 15 epochs, and lookahead from the first
# step whose weights are set to the average only at its updates and at the end.
AIRBENCH95 = {
    **AIRBENCH94,
    "train_epochs": 15,
    "lr": 10.0,
    "width": 128,
    "width_multipliers": (1, 3, 3),
    "lookahead": {"start_epochs": 0, "decay_base": 0.95, "decay_pow": 3.0, "every_n_steps": 5,
                  "sync_each_epoch": False},
}

# airbench96.py (June 2024 revision): wider and deeper groups with a residual pair, cutout,
# stronger translation, a short warm-up and a decay to zero, 31 epochs.
AIRBENCH96 = {
    **AIRBENCH95,
    "train_epochs": 31,
    "lr": 9.0,
    "weight_decay": 0.012,
    "width": 128,
    "width_multipliers": (1, 4, 4),
    "group_depth": 3,
    "translate": 4,
    "cutout": 12,
    "batchnorm_momentum": 0.9,  # PyTorch's default 0.1, in Keras's sense
    "schedule": {"start": 0.2, "peak": 0.1, "end": 0.0},
}
RECIPE_HYPERPARAMETERS = {"airbench": AIRBENCH94, "airbench95": AIRBENCH95, "airbench96": AIRBENCH96}


# === Layers and initialisers ===


@keras.saving.register_keras_serializable(package="cnnkit")
class DiracUniform(keras.initializers.Initializer):
    """PyTorch's default convolution initialisation (uniform in +-1/sqrt(fan_in)), with the first
    ``in_channels`` filters replaced by an identity (``torch.nn.init.dirac_``): airbench's
    implicit residual."""

    def __init__(self, seed=None):
        self.seed = seed

    def __call__(self, shape, dtype=None):
        *window, fan_in_channels, filters = shape
        bound = 1.0 / math.sqrt(fan_in_channels * math.prod(window))
        rng = np.random.default_rng(self.seed)
        kernel = rng.uniform(-bound, bound, size=shape).astype("float32")
        identity = min(fan_in_channels, filters)
        kernel[..., :identity] = 0.0
        centre = tuple(size // 2 for size in window)
        kernel[(*centre, np.arange(identity), np.arange(identity))] = 1.0
        return ops.convert_to_tensor(kernel, dtype=dtype or "float32")

    def get_config(self):
        return {"seed": self.seed}


@keras.saving.register_keras_serializable(package="cnnkit")
class PatchWhitening(layers.Layer):
    """A ``kernel_size`` x ``kernel_size`` convolution (valid padding) that whitens image patches.

    :meth:`adapt` sets its ``2 * channels * kernel_size**2`` filters from sample images: the
    eigenvectors of the patches' (uncentred) covariance, each divided by the square root of its
    eigenvalue plus ``eps``, and their negatives. The filters are not trained; the bias is.
    Before :meth:`adapt` the filters are the identity patch basis (and its negative).
    """

    def __init__(self, kernel_size=2, eps=5e-4, **kwargs):
        super().__init__(**kwargs)
        self.kernel_size = int(kernel_size)
        self.eps = float(eps)

    def build(self, input_shape):
        channels = int(input_shape[-1])
        size = self.kernel_size
        basis = np.eye(size * size * channels, dtype="float32").reshape(size, size, channels, -1)
        self.kernel = self.add_weight(name="kernel", shape=(size, size, channels, 2 * basis.shape[-1]),
                                      initializer="zeros", trainable=False)
        self.kernel.assign(np.concatenate([basis, -basis], axis=-1))
        self.bias = self.add_weight(name="bias", shape=(2 * basis.shape[-1],), initializer="zeros")

    def call(self, inputs):
        return ops.conv(inputs, ops.cast(self.kernel, inputs.dtype), padding="valid") + ops.cast(self.bias,
                                                                                              inputs.dtype)

    def compute_output_shape(self, input_shape):
        size = self.kernel_size
        spatial = [None if s is None else s - size + 1 for s in input_shape[1:-1]]
        return (input_shape[0], *spatial, 2 * size * size * int(input_shape[-1]))

    def adapt(self, images):
        """Set the filters from ``images`` (N, H, W, C), already normalised as the layer's input is."""
        images = np.asarray(images, dtype="float64")
        if images.ndim != 4:
            raise ValueError(f"PatchWhitening.adapt needs images shaped (N, H, W, C); got shape {images.shape}.")
        if not self.built:
            self.build(images.shape)
        size = self.kernel_size
        patches = np.lib.stride_tricks.sliding_window_view(images, (size, size), axis=(1, 2))
        # (N, H', W', C, kh, kw) -> one row per patch, in the kernel's (kh, kw, C) order
        patches = patches.transpose(0, 1, 2, 4, 5, 3).reshape(-1, size * size * images.shape[-1])
        covariance = patches.T @ patches / len(patches)
        eigenvalues, eigenvectors = np.linalg.eigh(covariance)
        order = np.argsort(eigenvalues)[::-1]
        scaled = eigenvectors[:, order] / np.sqrt(eigenvalues[order] + self.eps)
        filters = scaled.reshape(size, size, images.shape[-1], -1)
        self.kernel.assign(np.concatenate([filters, -filters], axis=-1).astype("float32"))
        return self

    def get_config(self):
        return {**super().get_config(), "kernel_size": self.kernel_size, "eps": self.eps}


# === Blocks ===


def apply_batch_norm(x, momentum, name):
    """airbench's batch norm: no scale (fixed at one), a learned offset, epsilon 1e-12."""
    return layers.BatchNormalization(momentum=momentum, epsilon=1e-12, scale=False, name=name)(x)


def apply_conv(x, filters, seed, name):
    """airbench's 3x3 convolution: same padding, no bias, Dirac + uniform start."""
    return layers.Conv2D(filters, 3, padding="same", use_bias=False, kernel_initializer=DiracUniform(seed),
                         name=name)(x)


def apply_conv_group(x, filters, *, momentum, seed, name, depth=2):
    """conv -> 2x2 max pool -> batch norm -> GELU -> conv -> batch norm -> GELU.

    With ``depth=3`` (airbench96) the first GELU's output ``x0`` is followed by conv -> batch norm
    -> GELU -> conv -> batch norm, then ``+ x0`` and GELU.
    """
    if depth not in (2, 3):
        raise ValueError(f"The 'depth' parameter of apply_conv_group must be 2 or 3; got {depth!r}.")
    x = apply_conv(x, filters, seed, f"{name}_conv1")
    x = layers.MaxPooling2D(2, name=f"{name}_pool")(x)
    x = apply_batch_norm(x, momentum, f"{name}_bn1")
    x = layers.Activation("gelu", name=f"{name}_act1")(x)
    shortcut = x
    x = apply_conv(x, filters, seed + 1, f"{name}_conv2")
    x = apply_batch_norm(x, momentum, f"{name}_bn2")
    x = layers.Activation("gelu", name=f"{name}_act2")(x)
    if depth == 2:
        return x
    x = apply_conv(x, filters, seed + 2, f"{name}_conv3")
    x = apply_batch_norm(x, momentum, f"{name}_bn3")
    x = layers.Add(name=f"{name}_residual")([x, shortcut])
    return layers.Activation("gelu", name=f"{name}_act3")(x)


# === Functional Model ===


def airbench94_network(input_shape=(32, 32, 3), width=64, whitening_kernel_size=2, whitening_eps=5e-4,
                       batchnorm_momentum=0.6, seed=0, name="airbench94", width_multipliers=(1, 4, 4),
                       group_depth=2):
    """airbench94's feature extractor: whitening, GELU, three conv groups (``width`` times
    ``width_multipliers`` maps: 64, 256, 256 for airbench94; ``group_depth`` convolutions each,
    3 for airbench96) and global max pooling. The classifier's ``logits`` layer comes after it."""
    inputs = keras.Input(shape=tuple(input_shape), name=f"{name}_input")
    # In float32 under mixed precision: bfloat16's 8-bit mantissa adds noise of 10-20% of the signal
    # to the whitened channels of the smallest eigenvalues (airbench's float16 keeps 11 bits).
    x = PatchWhitening(whitening_kernel_size, whitening_eps, dtype="float32", name="whiten")(inputs)
    x = layers.Activation("gelu", name="whiten_act")(x)
    for index, filters in enumerate(int(width * multiplier) for multiplier in width_multipliers):
        x = apply_conv_group(x, filters, momentum=batchnorm_momentum, seed=seed + group_depth * index,
                             name=f"group{index + 1}", depth=group_depth)
    x = layers.GlobalMaxPooling2D(name="global_max_pool")(x)
    return keras.Model(inputs, x, name=name)


def build_airbench_classifier(input_shape, num_classes, mean, variance, class_names=None, width=64, seed=0,
                              hyp=AIRBENCH94):
    """Raw pixels -> Normalization(mean, variance) -> :func:`airbench94_network` -> ``logits``.

    The ``logits`` kernel starts at airbench's scale (PyTorch's uniform times 1/9) and its bias at
    zero; :func:`airbench_optimizer` keeps the bias there.
    """
    channels = int(input_shape[-1])
    inputs = keras.Input(shape=tuple(input_shape), name="pixels")
    mean = np.broadcast_to(np.asarray(mean, dtype="float32"), (channels,))
    variance = np.broadcast_to(np.asarray(variance, dtype="float32"), (channels,))
    x = layers.Normalization(mean=mean.tolist(), variance=variance.tolist(), name="normalize")(inputs)
    network = airbench94_network(input_shape, width=width, whitening_kernel_size=hyp["whitening_kernel_size"],
                                 whitening_eps=hyp["whitening_eps"], batchnorm_momentum=hyp["batchnorm_momentum"],
                                 seed=seed, width_multipliers=hyp["width_multipliers"],
                                 group_depth=hyp["group_depth"])
    front = keras.Model(inputs, network(x), name="airbench94_with_preprocessing")
    model = Classifier(front, int(num_classes), pooling=None, name="airbench94_classifier", class_names=class_names)
    logits = model.get_layer("logits")
    features = int(logits.kernel.shape[0])
    bound = hyp["scaling_factor"] / math.sqrt(features)
    logits.kernel.assign(np.random.default_rng(seed).uniform(-bound, bound, logits.kernel.shape).astype("float32"))
    logits.bias.assign(np.zeros(logits.bias.shape, dtype="float32"))
    return model


def whitening_layer(model) -> PatchWhitening:
    """The :class:`PatchWhitening` layer inside ``model`` (a ValueError if it has none)."""
    for layer in model._flatten_layers(include_self=True, recursive=True):
        if isinstance(layer, PatchWhitening):
            return layer
    raise ValueError(f"Model {model.name!r} has no PatchWhitening layer (it is not airbench94's own network).")


def adapt_whitening(model, x_train, hyp=AIRBENCH94, seed=0):
    """Set the whitening filters from ``whitening_images`` training images, normalised as the model does.

    airbench takes the first 5,000 of torchvision's CIFAR-10, which come in no class order; the
    images here are drawn at random (seeded), since a dataset may be sorted by class.
    """
    count = min(hyp["whitening_images"], len(x_train))
    rows = np.sort(np.random.default_rng([seed, 2]).choice(len(x_train), size=count, replace=False))
    sample = np.asarray(x_train[rows], dtype="float32")
    normalised = ops.convert_to_numpy(model.get_layer("airbench94_with_preprocessing").get_layer("normalize")(sample))
    whitening_layer(model).adapt(normalised)


# === Optimizer and schedule ===


@keras.saving.register_keras_serializable(package="cnnkit")
class TriangleSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """Linear from ``start * rate`` up to ``rate`` at ``peak`` of ``total_steps``, then down to
    ``end * rate`` at the last step (airbench's ``triangle``)."""

    def __init__(self, rate, total_steps, start=0.2, peak=0.23, end=0.07):
        self.rate, self.total_steps = float(rate), int(total_steps)
        self.start, self.peak, self.end = float(start), float(peak), float(end)

    def __call__(self, step):
        step = ops.cast(step, "float32")
        top = float(max(int(self.peak * self.total_steps), 1))
        rising = self.start + (1.0 - self.start) * step / top
        falling = 1.0 + (self.end - 1.0) * (step - top) / float(max(self.total_steps - top, 1))
        return self.rate * ops.where(step < top, rising, falling)

    def get_config(self):
        return {"rate": self.rate, "total_steps": self.total_steps, "start": self.start, "peak": self.peak,
                "end": self.end}


@keras.saving.register_keras_serializable(package="cnnkit")
class GroupedNesterovSGD(keras.optimizers.Optimizer):
    """PyTorch's SGD with Nesterov momentum and L2 weight decay, with per-variable groups.

    Each step ``g = gradient + l2 * l2_scale * w``; ``m = momentum * m + g``;
    ``w -= rate * lr_scale * (g + momentum * m)``. ``groups`` maps a variable path to
    ``{"lr_scale", "l2_scale", "until_step"}``: a variable with ``until_step`` stops changing from
    that step on (airbench freezes the whitening bias after three epochs). Variables not named
    use scale 1 and no end.
    """

    def __init__(self, learning_rate=0.01, momentum=0.85, l2=0.0, groups=None, name="grouped_nesterov_sgd",
                 **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.momentum = float(momentum)
        self.l2 = float(l2)
        self.groups = {str(path): dict(settings) for path, settings in (groups or {}).items()}

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self.momentums = self.add_optimizer_variables(variables, "momentum")
        self._settings = [self.groups.get(variable.path, {}) for variable in variables]

    def update_step(self, gradient, variable, learning_rate):
        settings = self._settings[self._get_variable_index(variable)]
        dtype = variable.dtype
        rate = ops.cast(learning_rate, dtype) * settings.get("lr_scale", 1.0)
        if settings.get("until_step") is not None:
            rate = rate * ops.cast(ops.less(self.iterations, settings["until_step"]), dtype)
        gradient = ops.cast(gradient, dtype)
        l2 = self.l2 * settings.get("l2_scale", 1.0)
        if l2:
            gradient = gradient + l2 * variable
        m = self.momentums[self._get_variable_index(variable)]
        self.assign(m, self.momentum * m + gradient)
        self.assign_sub(variable, rate * (gradient + self.momentum * m))

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "l2": self.l2, "groups": self.groups}


def airbench_optimizer(model, total_steps, steps_per_epoch, hyp=AIRBENCH94) -> GroupedNesterovSGD:
    """airbench94's optimizer for ``model``, in the units of a batch-averaged loss.

    airbench's rate per example, ``lr / (1024 * (1 + 1/(1 - momentum)))``, is multiplied by the
    batch size (the loss is a mean here); its L2 coefficient ``weight_decay * batch / lr`` on a
    summed loss is ``weight_decay / lr`` on a mean.
    """
    rate = hyp["lr"] / (1 + 1 / (1 - hyp["momentum"])) * hyp["batch_size"] / 1024
    l2 = hyp["weight_decay"] / hyp["lr"]
    scale = 1.0 / hyp["scaling_factor"]
    groups = {}
    for layer in model._flatten_layers(include_self=True, recursive=True):
        if isinstance(layer, layers.BatchNormalization):
            groups[layer.beta.path] = {"lr_scale": hyp["bias_scaler"], "l2_scale": 1 / hyp["bias_scaler"]}
        elif isinstance(layer, PatchWhitening):
            groups[layer.bias.path] = {"until_step": hyp["whiten_bias_epochs"] * steps_per_epoch}
    logits = model.get_layer("logits")
    groups[logits.kernel.path] = {"lr_scale": 1 / scale ** 2, "l2_scale": scale ** 2}
    groups[logits.bias.path] = {"lr_scale": 0.0, "l2_scale": 0.0}
    schedule = TriangleSchedule(rate, total_steps, **hyp["schedule"])
    return GroupedNesterovSGD(schedule, momentum=hyp["momentum"], l2=l2, groups=groups)


# === Training callbacks ===


class Lookahead(keras.callbacks.Callback):
    """airbench's lookahead: from epoch ``start_epochs``, every ``every_n_steps`` steps the
    weights (batch-norm statistics included) are replaced by their exponential average, whose
    decay ``decay_base ** every_n_steps * (step / total_steps) ** decay_pow`` rises over training;
    with ``sync_each_epoch`` (airbench94) the weights are also set to the average at every epoch
    end, and in any case when training ends (airbench's final update). Resumable: the average is
    saved with the checkpoint."""

    def __init__(self, total_steps, start_epochs=3, decay_base=0.95, decay_pow=3.0, every_n_steps=5,
                 sync_each_epoch=True):
        super().__init__()
        self.total_steps, self.start_epochs = int(total_steps), int(start_epochs)
        self.decay_base, self.decay_pow, self.every = float(decay_base), float(decay_pow), int(every_n_steps)
        self.sync_each_epoch = bool(sync_each_epoch)
        self.average = None
        self.epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        step = int(ops.convert_to_numpy(self.model.optimizer.iterations))
        if self.epoch < self.start_epochs or step % self.every:
            return
        weights = self.model.get_weights()
        if self.average is None:
            self.average = [np.array(w, copy=True) for w in weights]
            return
        decay = self.decay_base ** self.every * (step / self.total_steps) ** self.decay_pow
        for index, current in enumerate(weights):
            if np.issubdtype(current.dtype, np.floating):
                self.average[index] += (1.0 - decay) * (current - self.average[index])
            else:  # counters and random states are not averaged
                self.average[index] = np.array(current, copy=True)
        self.model.set_weights(self.average)

    def on_epoch_end(self, epoch, logs=None):
        if self.sync_each_epoch and self.average is not None:
            self.model.set_weights(self.average)

    def on_train_end(self, logs=None):
        # At the last step (also when a resumed run finds every step done), or a stop by a callback.
        step = int(ops.convert_to_numpy(self.model.optimizer.iterations))
        if self.average is not None and (self.model.stop_training or step >= self.total_steps):
            self.model.set_weights(self.average)

    def get_resume_state(self) -> dict:
        return {"average": None if self.average is None else [np.asarray(w) for w in self.average]}

    def set_resume_state(self, state: dict) -> None:
        average = state.get("average")
        self.average = None if average is None else [np.array(w, copy=True) for w in average]


class StopAtStep(keras.callbacks.Callback):
    """End training after ``steps`` optimizer steps (airbench trains 9.9 epochs)."""

    def __init__(self, steps):
        super().__init__()
        self.steps = int(steps)

    def on_train_batch_end(self, batch, logs=None):
        if int(ops.convert_to_numpy(self.model.optimizer.iterations)) >= self.steps:
            self.model.stop_training = True


# === Data ===


class AirbenchBatches(EpochSeededDataset):
    """Training batches as airbench94 makes them, from raw pixels (N, H, W, C).

    With ``flip``, every image is mirrored once at random (seeded) and on odd epochs the whole set
    is mirrored; every epoch each image is shifted by a random whole number of pixels in [-translate,
    translate] on each axis (reflect padding). With ``rotate`` (degrees; not airbench's), each
    shifted image is then turned by a random angle in [-rotate, rotate] about its centre (bilinear,
    reflected border), drawn anew each epoch. With ``cutout`` (airbench96), a ``cutout`` x
    ``cutout`` square lying wholly inside each image, drawn anew each epoch, is set to ``fill`` (the
    per-channel mean pixel, which the model's normalisation maps to zero, as airbench's zeros in
    normalised images). The last incomplete batch is dropped.
    """

    def __init__(self, x, y, batch_size=1024, translate=2, seed=0, flip=True, rotate=0.0, cutout=0, fill=0.0,
                 **kwargs):
        super().__init__(**kwargs)
        x = np.asarray(x)
        if x.ndim != 4:
            raise ValueError(f"AirbenchBatches needs images shaped (N, H, W, C); got shape {x.shape}.")
        if len(x) != len(y):
            raise ValueError(f"AirbenchBatches got {len(x)} images and {len(y)} labels.")
        self.y = np.asarray(y)
        self.batch_size, self.translate, self.seed, self.flip = int(batch_size), int(translate), int(seed), flip
        self.rotate = float(rotate)
        if not 0 <= self.rotate <= 180:
            raise ValueError(f"The 'rotate' parameter of AirbenchBatches must be in [0, 180] degrees; got {rotate!r}.")
        self.cutout = int(cutout)
        if not 0 <= self.cutout <= min(x.shape[1:3]):
            raise ValueError(f"The 'cutout' parameter of AirbenchBatches must be in [0, {min(x.shape[1:3])}] pixels "
                             f"(the image's shorter side); got {cutout!r}.")
        self.fill = np.broadcast_to(np.asarray(fill, dtype="float32"), (x.shape[-1],))
        images = x
        if flip:
            mirror = np.random.default_rng([self.seed, 1]).random(len(x)) < 0.5
            images = np.where(mirror[:, None, None, None], x[:, :, ::-1], x)
        pad = self.translate
        self.padded = np.pad(images, ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode="reflect") if pad else images
        self.height, self.width = x.shape[1:3]
        self.epoch = None
        self.set_epoch(0)

    def plan_epoch(self, rng):
        self._order = rng.permutation(len(self.y))
        self._shifts = rng.integers(0, 2 * self.translate + 1, size=(len(self.y), 2))
        # Drawn after the shifts, so that without rotation the batches are airbench's as before.
        self._angles = rng.uniform(-self.rotate, self.rotate, size=len(self.y)) if self.rotate else None
        limits = (self.height - self.cutout + 1, self.width - self.cutout + 1)
        self._corners = rng.integers(0, limits, size=(len(self.y), 2)) if self.cutout else None

    def __len__(self):
        return max(1, len(self.y) // self.batch_size)

    def __getitem__(self, index):
        rows = self._order[index * self.batch_size:(index + 1) * self.batch_size]
        top, left = self._shifts[rows, 0], self._shifts[rows, 1]
        row_index = top[:, None, None] + np.arange(self.height)[None, :, None]
        column_index = left[:, None, None] + np.arange(self.width)[None, None, :]
        batch = self.padded[rows[:, None, None], row_index, column_index]
        if self.flip and self.epoch % 2 == 1:
            batch = batch[:, :, ::-1]
        batch = batch.astype("float32")
        if self._angles is not None:
            batch = rotate_images(batch, self._angles[rows])
        if self._corners is not None:
            batch = cut_out(batch, self._corners[rows], self.cutout, self.fill)
        return batch, self.y[rows]


def cut_out(images, corners, size, fill):
    """``images`` (N, H, W, C) with the ``size`` x ``size`` square whose top-left pixel is each
    row of ``corners`` (N, 2) set to ``fill`` (C,)."""
    rows = np.arange(images.shape[1])[None, :] - corners[:, :1]
    columns = np.arange(images.shape[2])[None, :] - corners[:, 1:]
    inside = ((rows >= 0) & (rows < size))[:, :, None] & ((columns >= 0) & (columns < size))[:, None, :]
    return np.where(inside[..., None], np.asarray(fill, dtype=images.dtype), images)


def rotate_images(images, degrees):
    """``images`` (N, H, W, C) float32, each turned by its angle in ``degrees`` (counter-clockwise)
    about its centre: bilinear, with the border reflected."""
    import cv2

    height, width, channels = images.shape[1:]
    centre = ((width - 1) / 2, (height - 1) / 2)
    turned = np.empty_like(images)
    for i, (image, angle) in enumerate(zip(images, degrees)):
        matrix = cv2.getRotationMatrix2D(centre, float(angle), 1.0)
        out = cv2.warpAffine(np.ascontiguousarray(image), matrix, (width, height), flags=cv2.INTER_LINEAR,
                             borderMode=cv2.BORDER_REFLECT_101)
        turned[i] = out.reshape(height, width, channels)
    return turned


def training_plan(train_size, epochs, batch_size):
    """``(steps_per_epoch, total_steps, whole_epochs)`` for ``epochs`` (a fraction allowed)."""
    steps_per_epoch = max(1, train_size // batch_size)
    total_steps = max(1, math.ceil(steps_per_epoch * epochs))
    return steps_per_epoch, total_steps, math.ceil(total_steps / steps_per_epoch)


# === The recipe ===


def train_recipe(train, validation, input_shape, class_names, mean, variance, *, epochs=None, batch_size=None,
                 width=None, seed=0, checkpoint_dir=None, log_dir=None, callbacks=None, resume=True, verbose="auto",
                 hyp=AIRBENCH94):
    """Build airbench's network for ``train`` = ``(x, y)`` raw pixels and train it by its recipe
    (``hyp``: :data:`AIRBENCH94`, :data:`AIRBENCH95` or :data:`AIRBENCH96`).

    ``epochs`` (a fraction allowed), ``batch_size`` and ``width`` default to the recipe's (9.9,
    1,024 and 64 for airbench94); the rates follow the batch size as airbench's decoupled units
    say. Checkpoints, resume and the log are ``shared.training.fit``'s. Returns ``(model, history)``.
    """
    from shared.losses import SparseCategoricalCrossentropyWithLabelSmoothing
    from shared.training import fit

    x, y = train
    hyp = {**hyp, "batch_size": int(batch_size or hyp["batch_size"])}
    epochs = hyp["train_epochs"] if epochs is None else float(epochs)
    if not epochs > 0:
        raise ValueError(f"The 'epochs' parameter of train_recipe must be above 0; got {epochs!r}.")
    width = hyp["width"] if width is None else int(width)
    model = build_airbench_classifier(input_shape, len(class_names), mean, variance, class_names, width, seed, hyp)
    adapt_whitening(model, x, hyp, seed)
    steps_per_epoch, total_steps, whole_epochs = training_plan(len(y), epochs, hyp["batch_size"])
    model.compile(optimizer=airbench_optimizer(model, total_steps, steps_per_epoch, hyp),
                  loss=SparseCategoricalCrossentropyWithLabelSmoothing(hyp["label_smoothing"]),
                  metrics=model.default_metrics())
    batches = AirbenchBatches(x, y, hyp["batch_size"], hyp["translate"], seed, flip=hyp["flip"],
                              rotate=hyp["rotate"], cutout=hyp["cutout"], fill=mean)
    recipe_callbacks = [Lookahead(total_steps, **hyp["lookahead"]), StopAtStep(total_steps)]
    history = fit(model, batches, validation, epochs=whole_epochs, batch_size=hyp["batch_size"],
                  checkpoint_dir=checkpoint_dir, log_dir=log_dir, seed=seed, verbose=verbose,
                  callbacks=recipe_callbacks + list(callbacks or []), resume=resume)
    return model, history
