"""L2 pooling: the Euclidean norm of each window (Sermanet et al. 2012)."""

import keras
from keras import ops


class _L2Pooling(keras.layers.Layer):
    _rank = None

    def __init__(self, pool_size=2, strides=None, padding="valid", epsilon=1e-7, **kwargs):
        super().__init__(**kwargs)
        rank = self._rank
        self.pool_size = _tuple(pool_size, rank, "pool_size")
        self.strides = _tuple(strides if strides is not None else pool_size, rank, "strides")
        if padding not in ("valid", "same"):
            raise ValueError(f"padding must be 'valid' or 'same', got {padding!r}.")
        self.padding = padding
        self.epsilon = float(epsilon)
        pooling_class = {1: keras.layers.AveragePooling1D, 2: keras.layers.AveragePooling2D}[rank]
        self._average = pooling_class(self.pool_size, self.strides, padding)
        self._window = 1
        for size in self.pool_size:
            self._window *= size

    def call(self, inputs):
        mean_square = self._average(ops.square(inputs))
        return ops.sqrt(mean_square * self._window + self.epsilon)

    def compute_output_shape(self, input_shape):
        return self._average.compute_output_shape(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(
            pool_size=self.pool_size, strides=self.strides, padding=self.padding,
            epsilon=self.epsilon,
        )
        return config


def _tuple(value, rank, name):
    if isinstance(value, int):
        return (value,) * rank
    value = tuple(value)
    if len(value) != rank or not all(isinstance(v, int) and v > 0 for v in value):
        raise ValueError(f"{name} must be an int or {rank} positive ints, got {value!r}.")
    return value


@keras.saving.register_keras_serializable(package="cnnkit")
class L2Pooling1D(_L2Pooling):
    """sqrt(sum of squares) over each temporal window; input (batch, steps, channels)."""

    _rank = 1


@keras.saving.register_keras_serializable(package="cnnkit")
class L2Pooling2D(_L2Pooling):
    """sqrt(sum of squares) over each spatial window; input (batch, rows, cols, channels)."""

    _rank = 2
