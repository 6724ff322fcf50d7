"""Dynamic CNN (Kalchbrenner, Grefenstette and Blunsom 2014): wide row-wise convolutions,
folding and dynamic k-max pooling (``shared.layers.KMaxPooling1D``).

Layer ``l`` of ``L`` keeps ``k_l = max(k_top, ceil((L - l) / L * s))`` values, where ``s``
is the padded sentence length (fixed per model here, since batches are padded).
"""

from __future__ import annotations

import math

import keras
from keras import ops

from shared.layers import KMaxPooling1D


@keras.saving.register_keras_serializable(package="cnnkit")
class WideRowConvolution1D(keras.layers.Layer):
    """Wide 1-D convolution over time, separately for each embedding row (as in the DCNN).

    Input (batch, steps, rows, maps_in) -> (batch, steps + width - 1, rows, maps). Each
    output map of each row sums a width-``width`` filter over every input map of that row.
    """

    def __init__(self, maps, width, **kwargs):
        super().__init__(**kwargs)
        self.maps = int(maps)
        self.width = int(width)

    def build(self, input_shape):
        if len(input_shape) != 4:
            raise ValueError(f"WideRowConvolution1D expects (batch, steps, rows, maps), got {tuple(input_shape)}.")
        _, _, rows, maps_in = input_shape
        self.kernel = self.add_weight(shape=(self.width, rows, maps_in, self.maps), name="kernel",
                                      initializer="glorot_uniform")
        self.bias = self.add_weight(shape=(rows, self.maps), name="bias", initializer="zeros")

    def call(self, inputs):
        steps = inputs.shape[1]
        padded = ops.pad(inputs, [(0, 0), (self.width - 1, self.width - 1), (0, 0), (0, 0)])
        out_steps = steps + self.width - 1
        total = 0
        for offset in range(self.width):
            window = padded[:, offset:offset + out_steps]
            total = total + ops.einsum("btri,rif->btrf", window, self.kernel[offset])
        return total + self.bias

    def compute_output_shape(self, input_shape):
        steps = None if input_shape[1] is None else input_shape[1] + self.width - 1
        return (input_shape[0], steps, input_shape[2], self.maps)

    def get_config(self):
        config = super().get_config()
        config.update(maps=self.maps, width=self.width)
        return config


@keras.saving.register_keras_serializable(package="cnnkit")
class Folding(keras.layers.Layer):
    """Sum every two adjacent embedding rows: (batch, steps, rows, maps) -> rows // 2."""

    def call(self, inputs):
        _, steps, rows, maps = inputs.shape
        pairs = ops.reshape(inputs, (-1, steps, rows // 2, 2, maps))
        return ops.sum(pairs, axis=3)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[1], input_shape[2] // 2, input_shape[3])


def dynamic_k(layer, layers, length, k_top):
    """``max(k_top, ceil((layers - layer) / layers * length))`` (Kalchbrenner et al., eq. 5)."""
    if layer == layers:
        return k_top
    return max(k_top, math.ceil((layers - layer) / layers * length))


@keras.saving.register_keras_serializable(package="cnnkit")
class DCNN(keras.Model):
    """The DCNN feature extractor (token ids -> flattened top-k feature maps), built from its config.

    Args:
        max_length: padded sentence length ``s`` (the dynamic k of each layer depends on it).
        vocab_size: number of token ids (0 = padding).
        embed_dim: embedding rows; halved by every folding layer, so it must divide by 2 for each.
        widths, maps: convolution width and number of feature maps of each layer.
        k_top: k of the last k-max pooling.
        fold: whether each layer folds (sums pairs of rows) after its convolution.
    """

    def __init__(self, max_length, vocab_size, embed_dim=48, widths=(7, 5), maps=(6, 14), k_top=4,
                 fold=(False, True), name="dcnn", **kwargs):
        if embed_dim % (2 ** sum(bool(f) for f in fold)):
            raise ValueError(f"embed_dim={embed_dim} must be divisible by 2 for every folding layer.")
        inputs = keras.Input(shape=(max_length,), dtype="int32", name="inputs")
        x = keras.layers.Embedding(vocab_size, embed_dim, name="embedding")(inputs)
        x = keras.layers.Reshape((max_length, embed_dim, 1), name="rows")(x)
        layers = len(widths)
        for index, (width, count, folding) in enumerate(zip(widths, maps, fold), start=1):
            x = WideRowConvolution1D(count, width, name=f"stage{index}_conv")(x)
            if folding:
                x = Folding(name=f"stage{index}_folding")(x)
            _, steps, rows, channels = x.shape
            k = min(dynamic_k(index, layers, max_length, k_top), steps)
            x = keras.layers.Reshape((steps, rows * channels), name=f"stage{index}_flat")(x)
            x = KMaxPooling1D(k, name=f"stage{index}_kmax")(x)
            x = keras.layers.Reshape((k, rows, channels), name=f"stage{index}_unflat")(x)
            x = keras.layers.Activation("tanh", name=f"stage{index}_act")(x)
        x = keras.layers.Flatten(name="flatten")(x)
        super().__init__(inputs, x, name=name, **kwargs)
        self._dcnn_config = dict(max_length=max_length, vocab_size=vocab_size, embed_dim=embed_dim,
                                 widths=list(widths), maps=list(maps), k_top=k_top, fold=list(fold))

    def get_config(self):
        return {"name": self.name, "trainable": self.trainable, **self._dcnn_config}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def dcnn(max_length, vocab_size, embed_dim=48, widths=(7, 5), maps=(6, 14), k_top=4, fold=(False, True),
         name="dcnn"):
    """The DCNN feature extractor (token ids -> flattened top-k feature maps)."""
    return DCNN(max_length, vocab_size, embed_dim=embed_dim, widths=widths, maps=maps, k_top=k_top, fold=fold,
                name=name)
