"""The policy CNN: a full-resolution ``shared.Backbone`` plus a 1x1 convolution head.

As in Clark & Storkey (2015) and AlphaGo's SL policy network (Silver et al.
2016): no pooling, ``same`` padding, a first 5x5 layer, ``depth - 1`` 3x3
layers of ``filters`` maps, then a 1x1 convolution to one map whose points go
through a softmax. The network is fully convolutional (``board_size=None``), so
one model plays 9x9, 13x13 and 19x19; it outputs move probabilities over the
``size * size`` points. Illegal moves are masked at inference (``move_probabilities``).
"""

from __future__ import annotations

import keras
import numpy as np

from shared import Backbone


@keras.saving.register_keras_serializable(package="cnnkit")
class PolicyNetwork(keras.Model):
    """Backbone + 1x1 conv head -> softmax over the board points.

    Args:
        backbone: a ``shared.Backbone`` (or any model) mapping (rows, cols, planes)
            to feature maps of the same rows and cols.
        board_size: the board size the network was trained for (metadata; the
            network itself accepts any size when the backbone does).
        features: the plane groups of its input (``apps.go_policy.model.features``), kept
            in the saved model so the engine encodes positions the same way.
        learning_rate: Adam's learning rate for the default compile.
        ema_momentum: if set, Adam also keeps an exponential moving average of the
            weights (``use_ema``), which ``fit`` copies into the model when it ends
            (Polyak averaging). A training setting only: not part of the saved config.
    """

    def __init__(self, backbone, board_size=19, features=None, learning_rate=1e-3, compile_model=True,
                 ema_momentum=None, **kwargs):
        inputs = backbone.input
        feature_maps = backbone(inputs)
        x = keras.layers.Conv2D(1, 1, padding="same", name="policy_conv")(feature_maps)
        logits = keras.layers.Reshape((-1,), name="logits")(x)
        outputs = keras.layers.Activation("softmax", dtype="float32", name="move_probabilities")(logits)
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)
        self.backbone = backbone
        self.board_size = int(board_size)
        self.features = list(features) if features is not None else None
        self.learning_rate = float(learning_rate)
        if compile_model:
            check_ema_momentum(ema_momentum)
            self.compile(
                optimizer=keras.optimizers.Adam(learning_rate, use_ema=ema_momentum is not None,
                                                ema_momentum=0.99 if ema_momentum is None else float(ema_momentum)),
                loss=keras.losses.SparseCategoricalCrossentropy(),
                metrics=policy_metrics(),
            )

    @property
    def num_planes(self) -> int:
        return int(self.input_shape[-1])

    @property
    def depth(self) -> int:
        """Convolution layers of the backbone (the 5x5 one included)."""
        return len(self.backbone.get_config()["filters"])

    @property
    def filters(self) -> int:
        """Feature maps of the backbone's last layer (its width)."""
        return int(self.backbone.get_config()["filters"][-1])

    def get_config(self):
        return {
            "name": self.name,
            "backbone": keras.saving.serialize_keras_object(self.backbone),
            "board_size": self.board_size,
            "features": self.features,
            "learning_rate": self.learning_rate,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["backbone"] = keras.saving.deserialize_keras_object(config["backbone"])
        return cls(compile_model=False, **config)


def policy_metrics() -> list:
    """Top-1 (``accuracy``) and top-5 move prediction, as ``fit`` logs them."""
    return [keras.metrics.SparseCategoricalAccuracy(name="accuracy"),
            keras.metrics.SparseTopKCategoricalAccuracy(k=5, name="top5_accuracy")]


def check_ema_momentum(ema_momentum):
    """Raise a ``ValueError`` unless ``ema_momentum`` is None or in (0, 1)."""
    if ema_momentum is not None and not 0.0 < float(ema_momentum) < 1.0:
        raise ValueError(f"ema_momentum must be between 0 and 1 (e.g. 0.999), got {ema_momentum}.")


def build_policy_network(features="small", depth: int = 8, filters: int = 64, board_size: int | None = None,
                         trained_size: int = 19, learning_rate: float = 1e-3) -> PolicyNetwork:
    """A policy network of ``depth`` conv layers (one 5x5, then 3x3) of ``filters`` maps.

    ``features`` is a feature-set name or list of plane groups (it fixes the input
    planes). ``board_size=None`` (default) accepts any board size; AlphaGo's network is
    ``depth=13, filters=192`` with the 48-plane input.
    """
    from apps.go_policy.model.features import FeatureEncoder

    encoder = FeatureEncoder(features)
    planes = encoder.num_planes
    if depth < 1 or filters < 1:
        raise ValueError(f"depth and filters must be >= 1, got depth={depth}, filters={filters}")
    backbone = Backbone(
        input_shape=(board_size, board_size, planes),
        filters=(filters,) * depth,
        kernel_size=[5] + [3] * (depth - 1),
        pooling=None,
        padding="same",
        activation="relu",
        name="policy_backbone",
    )
    return PolicyNetwork(backbone, board_size=trained_size, features=encoder.groups, learning_rate=learning_rate, name="policy_network")


def extend_input_planes(model: PolicyNetwork, features) -> PolicyNetwork:
    """A copy of ``model`` that reads the planes of ``features``, a superset of its own.

    The planes it already knew keep their first-layer weights and the new ones start at
    zero, so the copy predicts exactly what ``model`` does until fine-tuning teaches it to
    use them (as the image app extends a softmax head with new classes): a preset trained
    on the ``small`` planes can go on training on the ``full`` (tactical) ones.
    """
    from apps.go_policy.model.features import FeatureEncoder

    old, new = FeatureEncoder(model.features or "small"), FeatureEncoder(features)
    missing = [group for group in old.groups if group not in new.groups]
    if missing:
        raise ValueError(
            f"feature set {features!r} lacks the plane groups {missing} that the model reads: "
            f"it must contain all of {old.groups}"
        )
    old_names, new_names = old.plane_names, new.plane_names
    rows = model.backbone.input_shape[1]
    extended = build_policy_network(features, depth=model.depth, filters=model.filters,
                                    board_size=rows, trained_size=model.board_size,
                                    learning_rate=model.learning_rate)
    weights = model.get_weights()
    first = np.zeros(weights[0].shape[:2] + (len(new_names),) + weights[0].shape[3:], weights[0].dtype)
    first[:, :, [new_names.index(name) for name in old_names]] = weights[0]
    extended.set_weights([first] + weights[1:])
    return extended


def with_dtype_policy(model: PolicyNetwork, dtype_policy: str, learning_rate: float | None = None,
                      ema_momentum: float | None = None) -> PolicyNetwork:
    """The same network and weights computing under ``dtype_policy`` (e.g. ``"mixed_bfloat16"``).

    Mixed precision trains several times faster on CPUs with bfloat16 units (AMX), but a
    model saved under it would compute in bfloat16 everywhere it is loaded; training
    therefore converts a float32 preset to mixed for fine-tuning and the result back to
    float32 for saving. With ``learning_rate`` the copy is compiled for training (with
    ``ema_momentum``, to average its weights as ``PolicyNetwork`` describes).
    """
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(dtype_policy)
    try:
        backbone = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(model.backbone))
        copy = PolicyNetwork(backbone, board_size=model.board_size, features=model.features,
                             learning_rate=model.learning_rate if learning_rate is None else learning_rate,
                             compile_model=learning_rate is not None, ema_momentum=ema_momentum,
                             name=model.name)
    finally:
        keras.config.set_dtype_policy(previous)
    copy.set_weights(model.get_weights())
    return copy


def masked_probabilities(probabilities: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Zero the illegal points and renormalise (uniform over legal points if all mass was illegal)."""
    probabilities = np.where(mask, probabilities, 0.0)
    total = probabilities.sum()
    if total <= 0:
        return mask / max(mask.sum(), 1)
    return probabilities / total
