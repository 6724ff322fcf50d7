"""Task = backbone + head + loss, as in KerasHub."""

from __future__ import annotations

import keras

from shared.backbone import GLOBAL_POOLING_LAYERS, GLOBAL_POOLINGS, resolve_activation


class Task(keras.Model):
    """Base class: wraps any feature-extracting ``keras.Model`` with a head.

    A backbone that outputs feature maps is reduced by global ``pooling`` first (``None``
    keeps the maps, for a dense-prediction head such as a Go policy's); then
    optional ``hidden_units`` dense layers with ``dropout``; then the subclass's head.

    As in KerasHub, a new task is compiled with ``compile()``'s defaults ("auto": Adam at
    1e-3, the subclass's ``default_loss()`` and ``default_metrics()``), so it trains at once;
    call ``compile(optimizer=..., ...)`` to train otherwise. The config holds the
    architecture only: training settings such as the learning rate are the optimizer's.
    """

    default_learning_rate = 1e-3

    def __init__(
        self,
        backbone,
        hidden_units=(),
        dropout=0.0,
        pooling="avg",
        hidden_activation="relu",
        name=None,
        **kwargs,
    ):
        if "learning_rate" in kwargs:
            raise ValueError(
                f"The 'learning_rate' parameter of {type(self).__name__} was removed: it is a training "
                "setting. Call task.compile(optimizer=keras.optimizers.Adam(learning_rate)) instead.")
        if not isinstance(backbone, keras.Model):
            raise ValueError(f"backbone must be a keras.Model (e.g. shared.Backbone), got {type(backbone).__name__}.")
        if pooling not in GLOBAL_POOLINGS:
            raise ValueError(f"The 'pooling' parameter of {type(self).__name__} must be one of "
                             f"{list(GLOBAL_POOLINGS)}; got {pooling!r}.")
        inputs = backbone.input
        features = backbone(inputs)
        if isinstance(features, (list, tuple, dict)):
            raise ValueError("The backbone must have a single output tensor.")
        rank = len(features.shape)
        if rank > 2 and pooling is not None:
            if pooling == "flatten":
                features = keras.layers.Flatten(name="head_flatten")(features)
            else:
                pool = GLOBAL_POOLING_LAYERS[pooling][rank - 2]
                features = pool(name="head_pool")(features)
        activation_fn = resolve_activation(hidden_activation, owner=type(self).__name__, parameter="hidden_activation")
        x = features
        for index, units in enumerate(hidden_units):
            x = keras.layers.Dense(units, activation=activation_fn, name=f"head_dense{index + 1}")(x)
            if dropout:
                x = keras.layers.Dropout(dropout, name=f"head_dense{index + 1}_dropout")(x)
        if dropout and not hidden_units:
            x = keras.layers.Dropout(dropout, name="head_dropout")(x)
        outputs = self._build_head(x)
        super().__init__(inputs=inputs, outputs=outputs, name=name, **kwargs)
        self.backbone = backbone
        self.hidden_units = list(hidden_units)
        self.dropout = dropout
        self.pooling = pooling
        self.hidden_activation = hidden_activation
        self.compile()

    def compile(self, optimizer="auto", loss="auto", *, metrics="auto", **kwargs):
        """``keras.Model.compile`` with "auto" defaults: Adam, the task's loss and metrics.

        Args:
            optimizer: "auto" (Adam at ``default_learning_rate``), a name or an optimizer.
            loss: "auto" (``default_loss()``), a name or a ``keras.losses.Loss``.
            metrics: "auto" (``default_metrics()``) or a list of metrics.
        """
        if optimizer == "auto":
            optimizer = keras.optimizers.Adam(self.default_learning_rate)
        if loss == "auto":
            loss = self.default_loss()
        if metrics == "auto":
            metrics = self.default_metrics()
        super().compile(optimizer=optimizer, loss=loss, metrics=metrics, **kwargs)

    def compile_from_config(self, config):
        """Compile a loaded model as it was saved (Keras skips this for an overridden ``compile``)."""
        config = keras.saving.deserialize_keras_object(config)
        self.compile(**config)
        if self.built:
            self.optimizer.build(self.trainable_variables)

    def load_weights(self, filepath, *args, **kwargs):
        """``keras.Model.load_weights``, with the optimizer's variables built first when the file has them.

        A task is compiled when it is made, but its optimizer creates its variables only when
        training starts; a weights file saved after training holds them (step count, moments),
        and Keras would skip them with a warning. Built first, they are loaded too.
        """
        optimizer = self.optimizer
        if optimizer is not None and not optimizer.built and \
                _saved_optimizer_variables(filepath) > len(optimizer.variables):
            optimizer.build(self.trainable_variables)
        return super().load_weights(filepath, *args, **kwargs)

    @classmethod
    def from_preset(cls, name, compile=False):
        """The shipped preset ``name`` (see ``shared.presets.list_presets()``), as KerasHub's ``from_preset``.

        A ValueError when the preset is unknown, missing, damaged, or not a ``cls``.
        """
        from shared.presets import load_preset, preset_metadata

        model = load_preset(name, compile=compile)
        if not isinstance(model, cls):
            raise ValueError(f"Preset {name!r} is a {type(model).__name__} ({preset_metadata(name)['task']}), "
                             f"not a {cls.__name__}; load it with {type(model).__name__}.from_preset or "
                             "shared.presets.load_preset.")
        return model

    def _build_head(self, features):
        raise NotImplementedError

    def default_loss(self):
        raise NotImplementedError

    def default_metrics(self):
        return []

    def get_config(self):
        return {
            "backbone": keras.layers.serialize(self.backbone),
            "hidden_units": self.hidden_units,
            "dropout": self.dropout,
            "pooling": self.pooling,
            "hidden_activation": self.hidden_activation,
            "name": self.name,
            "trainable": self.trainable,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        # Files saved before the learning rate left the config still carry it.
        config.pop("learning_rate", None)
        config["backbone"] = keras.layers.deserialize(config["backbone"])
        return cls(**config)


def _saved_optimizer_variables(filepath) -> int:
    """How many optimizer variables a ``.weights.h5`` file holds (0 for other files)."""
    if not str(filepath).endswith(".weights.h5"):
        return 0
    try:
        import h5py

        with h5py.File(filepath, "r") as store:
            variables = store.get("optimizer/vars")
            return 0 if variables is None else len(variables)
    except (OSError, ImportError):  # unreadable here: keras.Model.load_weights reports it
        return 0

