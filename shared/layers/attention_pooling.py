"""Attention pooling: a learned, input-dependent weighted mean over every position.

Global max pooling keeps one position per channel and global average pooling weighs all
positions alike. Attention pooling scores each position with a small learned function of
its features, turns the scores into weights with a softmax over the positions and returns
the weighted mean of the features (Bahdanau et al. 2015; the pooling of AttentionDTA-style
drug-target models). With ``units`` the score is ``v . tanh(W x + b)``; without, ``w . x + b``.
"""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="cnnkit")
class GlobalAttentionPooling(keras.layers.Layer):
    """(batch, *positions, channels) -> (batch, channels): softmax-weighted mean over positions.

    Works for 1-D sequences, 2-D maps and 3-D volumes alike. ``return_weights=True`` makes
    :meth:`call` return ``(pooled, weights)`` with weights of shape (batch, positions...),
    for plotting where the model looks.
    """

    def __init__(self, units=None, **kwargs):
        super().__init__(**kwargs)
        if units is not None and (not isinstance(units, int) or isinstance(units, bool) or units < 1):
            raise ValueError(f"The 'units' parameter of GlobalAttentionPooling must be a positive int or None; "
                             f"got {units!r}.")
        self.units = units

    def build(self, input_shape):
        if len(input_shape) < 3:
            raise ValueError("GlobalAttentionPooling expects (batch, positions..., channels) with at least one "
                             f"position axis; got input shape {tuple(input_shape)}.")
        channels = input_shape[-1]
        if self.units:
            self.hidden_kernel = self.add_weight(name="hidden_kernel", shape=(channels, self.units),
                                                 initializer="glorot_uniform")
            self.hidden_bias = self.add_weight(name="hidden_bias", shape=(self.units,), initializer="zeros")
            channels = self.units
        self.score_kernel = self.add_weight(name="score_kernel", shape=(channels, 1), initializer="glorot_uniform")
        self.score_bias = self.add_weight(name="score_bias", shape=(1,), initializer="zeros")

    def call(self, inputs, return_weights=False):
        shape = ops.shape(inputs)
        features = ops.reshape(inputs, (shape[0], -1, shape[-1]))
        hidden = features
        if self.units:
            hidden = ops.tanh(ops.matmul(features, self.hidden_kernel) + self.hidden_bias)
        scores = ops.squeeze(ops.matmul(hidden, self.score_kernel) + self.score_bias, axis=-1)
        weights = ops.softmax(scores, axis=-1)
        pooled = ops.sum(features * ops.expand_dims(weights, -1), axis=1)
        if return_weights:
            return pooled, ops.reshape(weights, shape[:-1])
        return pooled

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[-1])

    def get_config(self):
        config = super().get_config()
        config.update(units=self.units)
        return config
