"""Attention pooling: a learned, input-dependent weighted mean over every position.

Global max pooling keeps one position per channel and global average pooling weighs all
positions alike. Attention pooling scores each position with a small learned function of
its features, turns the scores into weights with a softmax over the positions and returns
the weighted mean of the features (Bahdanau et al. 2015; the pooling of AttentionDTA-style
drug-target models). With ``units`` the score is ``v . tanh(W x + b)``; without, ``w . x + b``.

Over padded token sequences the weights would also fall on the padding after a short
sequence. ``padding_mask`` (from :class:`PaddingMask`) keeps them on the real positions.
"""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="cnnkit")
class GlobalAttentionPooling(keras.layers.Layer):
    """(batch, *positions, channels) -> (batch, channels): softmax-weighted mean over positions.

    Works for 1-D sequences, 2-D maps and 3-D volumes alike. ``padding_mask`` (batch,
    positions...), true where a position holds data, gives the other positions weight 0.
    ``return_weights=True`` makes :meth:`call` return ``(pooled, weights)`` with weights of
    shape (batch, positions...), for plotting where the model looks.
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

    def call(self, inputs, padding_mask=None, return_weights=False):
        shape = ops.shape(inputs)
        features = ops.reshape(inputs, (shape[0], -1, shape[-1]))
        hidden = features
        if self.units:
            hidden = ops.tanh(ops.matmul(features, self.hidden_kernel) + self.hidden_bias)
        scores = ops.squeeze(ops.matmul(hidden, self.score_kernel) + self.score_bias, axis=-1)
        if padding_mask is not None:
            # -inf in float16, a huge negative elsewhere: either way exp() gives a weight of 0.
            keep = ops.reshape(ops.cast(padding_mask, "bool"), (shape[0], -1))
            scores = ops.where(keep, scores, ops.cast(-1e9, scores.dtype))
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


@keras.saving.register_keras_serializable(package="cnnkit")
class PaddingMask(keras.layers.Layer):
    """(tokens (batch, length), feature map (batch, positions, channels)) -> (batch, positions) bool.

    True where a position of the feature map holds data: where its window starts on a real
    token rather than on the padding (``pad_id``) after it. ``stride`` is how many input tokens
    one feature position advances (the product of the strides and pooling sizes before it; 1
    for stride-1 convolutions, whose valid windows start at the position's own token). Tokens
    are padded at the end, as every encoder of this project pads them. The first position is
    always true, so that an all-padding row still pools something.
    """

    def __init__(self, stride=1, pad_id=0, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(stride, int) or isinstance(stride, bool) or stride < 1:
            raise ValueError(f"The 'stride' parameter of PaddingMask must be a positive int; got {stride!r}.")
        self.stride, self.pad_id = stride, pad_id

    def call(self, tokens, features):
        real = ops.sum(ops.cast(ops.not_equal(tokens, self.pad_id), "int32"), axis=-1, keepdims=True)
        starts = ops.expand_dims(ops.arange(ops.shape(features)[1], dtype="int32"), 0) * self.stride
        return ops.logical_or(ops.less(starts, real), ops.equal(starts, 0))

    def compute_output_spec(self, tokens, features):
        return keras.KerasTensor((features.shape[0], features.shape[1]), dtype="bool")

    def get_config(self):
        return {**super().get_config(), "stride": self.stride, "pad_id": self.pad_id}
