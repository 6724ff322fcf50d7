"""Fractional max pooling (Graham 2014): shrink by a non-integer ratio such as sqrt(2)."""

import math

import keras
from keras import ops

SQRT2 = math.sqrt(2)


@keras.saving.register_keras_serializable(package="cnnkit")
class FractionalMaxPooling2D(keras.layers.Layer):
    """Max over pseudo-random, disjoint regions whose sizes are 1 or 2 (ratio in (1, 2]).

    Output size is ``floor(size / pooling_ratio)`` per spatial axis. During training the
    region boundaries follow Graham's pseudo-random sequence ``ceil(ratio * (i + u))``
    with a fresh ``u`` each step; at inference ``u`` is fixed, so predictions are
    deterministic.
    """

    def __init__(self, pooling_ratio=SQRT2, seed=None, **kwargs):
        super().__init__(**kwargs)
        ratio = float(pooling_ratio)
        if not 1.0 < ratio <= 2.0:
            raise ValueError(f"pooling_ratio must be in (1, 2], got {pooling_ratio!r}.")
        self.pooling_ratio = ratio
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def build(self, input_shape):
        if len(input_shape) != 4:
            raise ValueError(
                "FractionalMaxPooling2D expects input of rank 4 (batch, rows, cols, channels), "
                f"got shape {tuple(input_shape)}."
            )
        for axis in (1, 2):
            if input_shape[axis] is None:
                raise ValueError("FractionalMaxPooling2D needs static spatial sizes.")
            if self._out_size(input_shape[axis]) < 1:
                raise ValueError(
                    f"Input size {input_shape[axis]} is too small for pooling_ratio "
                    f"{self.pooling_ratio}."
                )

    def _out_size(self, size):
        return int(math.floor(size / self.pooling_ratio))

    def _boundaries(self, size, offset):
        out = self._out_size(size)
        positions = ops.cast(ops.arange(out + 1), "float32")
        starts = ops.ceil(self.pooling_ratio * (positions + offset)) - ops.ceil(self.pooling_ratio * offset)
        starts = ops.cast(starts, "int32")
        starts = ops.minimum(starts, size)
        # Last boundary always closes at the input edge so every row is used.
        starts = ops.concatenate([starts[:-1], ops.convert_to_tensor([size], dtype="int32")])
        return starts

    def _pool_axis(self, inputs, axis, size, offset):
        bounds = self._boundaries(size, offset)
        begin, end = bounds[:-1], bounds[1:]
        # Regions have width 1..ceil(ratio)+1; take the max over the clipped window.
        widest = int(math.ceil(self.pooling_ratio)) + 1
        pooled = None
        for step in range(widest):
            index = ops.minimum(begin + step, end - 1)
            index = ops.clip(index, 0, size - 1)
            taken = ops.take(inputs, index, axis=axis)
            pooled = taken if pooled is None else ops.maximum(pooled, taken)
        return pooled

    def call(self, inputs, training=False):
        if training:
            offsets = keras.random.uniform((2,), minval=0.0, maxval=1.0, seed=self.seed_generator)
            row_offset, col_offset = offsets[0], offsets[1]
        else:
            row_offset = col_offset = ops.convert_to_tensor(0.5, dtype="float32")
        rows, cols = inputs.shape[1], inputs.shape[2]
        pooled = self._pool_axis(inputs, 1, rows, row_offset)
        return self._pool_axis(pooled, 2, cols, col_offset)

    def compute_output_shape(self, input_shape):
        return (
            input_shape[0], self._out_size(input_shape[1]), self._out_size(input_shape[2]),
            input_shape[3],
        )

    def get_config(self):
        config = super().get_config()
        config.update(pooling_ratio=self.pooling_ratio, seed=self.seed)
        return config
