"""Regression with the Euclidean (mean squared error) loss."""

import keras

from shared.tasks.task import Task


@keras.saving.register_keras_serializable(package="cnnkit")
class Regressor(Task):
    """Backbone + linear ``Dense(outputs)``; mean squared error (the Euclidean loss)."""

    def __init__(self, backbone, outputs=1, **kwargs):
        if not isinstance(outputs, int) or outputs < 1:
            raise ValueError(f"outputs must be a positive int, got {outputs!r}.")
        self.outputs_count = outputs
        super().__init__(backbone, **kwargs)

    def _build_head(self, features):
        return keras.layers.Dense(self.outputs_count, dtype="float32", name="predictions")(features)

    def default_loss(self):
        return keras.losses.MeanSquaredError()

    def default_metrics(self):
        return [keras.metrics.MeanAbsoluteError(name="mae")]

    def get_config(self):
        config = super().get_config()
        config.update(outputs=self.outputs_count)
        return config
