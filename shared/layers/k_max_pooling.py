"""k-max pooling (Kalchbrenner, Grefenstette and Blunsom 2014)."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="cnnkit")
class KMaxPooling1D(keras.layers.Layer):
    """Keep the ``k`` largest values of each channel over time, in their original order.

    Input (batch, steps, channels) -> output (batch, k, channels). Unlike max-over-time
    pooling it keeps how often and in which order strong features occur. The DCNN's
    dynamic k is computed by the model from the layer depth and the sequence length.
    """

    def __init__(self, k, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(k, int) or k < 1:
            raise ValueError(f"k must be a positive int, got {k!r}.")
        self.k = k

    def build(self, input_shape):
        if len(input_shape) != 3:
            raise ValueError(
                f"KMaxPooling1D expects input of rank 3 (batch, steps, channels), "
                f"got shape {tuple(input_shape)}."
            )
        steps = input_shape[1]
        if steps is not None and steps < self.k:
            raise ValueError(f"KMaxPooling1D(k={self.k}) needs at least {self.k} steps, got {steps}.")

    def call(self, inputs):
        channels_first = ops.transpose(inputs, (0, 2, 1))
        _, indices = ops.top_k(channels_first, self.k, sorted=True)
        indices = ops.sort(indices, axis=-1)
        values = ops.take_along_axis(channels_first, indices, axis=-1)
        return ops.transpose(values, (0, 2, 1))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.k, input_shape[2])

    def get_config(self):
        config = super().get_config()
        config.update(k=self.k)
        return config
