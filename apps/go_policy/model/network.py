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
from shared.tasks import Task


@keras.saving.register_keras_serializable(package="cnnkit")
class PolicyNetwork(Task):
    """Backbone feature maps -> 1x1 convolution -> softmax over the board points.

    A ``shared.tasks.Task`` with ``pooling=None``: the head keeps one score per point
    (layers ``policy_conv``, ``logits``, ``move_probabilities``). A new network is compiled
    with Adam at 1e-3, sparse categorical cross-entropy and top-1 / top-5 accuracy; train it
    otherwise with ``compile(optimizer=policy_optimizer(...))``.

    Args:
        backbone: a ``shared.Backbone`` (or any model) mapping (rows, cols, planes)
            to feature maps of the same rows and cols.
        board_size: the board size the network was trained for (metadata; the
            network itself accepts any size when the backbone does).
        features: the plane groups of its input (``apps.go_policy.model.features``), kept
            in the saved model so the engine encodes positions the same way.
        **kwargs: ``Task``'s (``hidden_units`` act per point here); ``pooling`` must stay None.
    """

    def __init__(self, backbone, board_size=19, features=None, pooling=None, **kwargs):
        if pooling is not None:
            raise ValueError(f"PolicyNetwork predicts one score per board point: its 'pooling' must be None, "
                             f"got {pooling!r}.")
        self.board_size = int(board_size)
        self.features = list(features) if features is not None else None
        super().__init__(backbone, pooling=None, **kwargs)

    def _build_head(self, feature_maps):
        x = keras.layers.Conv2D(1, 1, padding="same", name="policy_conv")(feature_maps)
        logits = keras.layers.Reshape((-1,), name="logits")(x)
        return keras.layers.Activation("softmax", dtype="float32", name="move_probabilities")(logits)

    def default_loss(self):
        return keras.losses.SparseCategoricalCrossentropy()

    def default_metrics(self):
        """Top-1 (``accuracy``) and top-5 move prediction, as ``fit`` logs them."""
        return [keras.metrics.SparseCategoricalAccuracy(name="accuracy"),
                keras.metrics.SparseTopKCategoricalAccuracy(k=5, name="top5_accuracy")]

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
        config = super().get_config()
        config.update(board_size=self.board_size, features=self.features)
        return config


def policy_optimizer(learning_rate: float = 1e-3, ema_momentum: float | None = None) -> keras.optimizers.Adam:
    """Adam at ``learning_rate``; with ``ema_momentum`` it also keeps an exponential moving
    average of the weights (``use_ema``), which ``fit`` copies into the model when it ends
    (Polyak averaging)."""
    check_ema_momentum(ema_momentum)
    return keras.optimizers.Adam(learning_rate, use_ema=ema_momentum is not None,
                                 ema_momentum=0.99 if ema_momentum is None else float(ema_momentum))


def check_ema_momentum(ema_momentum):
    """Raise a ``ValueError`` unless ``ema_momentum`` is None or in (0, 1)."""
    if ema_momentum is not None and not 0.0 < float(ema_momentum) < 1.0:
        raise ValueError(f"ema_momentum must be between 0 and 1 (e.g. 0.999), got {ema_momentum}.")


def build_policy_network(features="small", depth: int = 8, filters: int = 64, board_size: int | None = None,
                         trained_size: int = 19, learning_rate: float = 1e-3,
                         ema_momentum: float | None = None) -> PolicyNetwork:
    """A policy network of ``depth`` conv layers (one 5x5, then 3x3) of ``filters`` maps,
    compiled with ``policy_optimizer(learning_rate, ema_momentum)``.

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
    model = PolicyNetwork(backbone, board_size=trained_size, features=encoder.groups, name="policy_network")
    model.compile(optimizer=policy_optimizer(learning_rate, ema_momentum))
    return model


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
                                    board_size=rows, trained_size=model.board_size)
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
    float32 for saving. With ``learning_rate`` the copy is compiled for training with
    ``policy_optimizer(learning_rate, ema_momentum)``; without, with ``compile()``'s defaults.
    """
    check_ema_momentum(ema_momentum)
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(dtype_policy)
    try:
        copy = PolicyNetwork.from_config(model.get_config())  # its layers take the policy set here
        if learning_rate is not None:
            copy.compile(optimizer=policy_optimizer(learning_rate, ema_momentum))
    finally:
        keras.config.set_dtype_policy(previous)
    copy.set_weights(model.get_weights())
    return copy


