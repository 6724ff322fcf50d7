"""Layers of the classic CNN literature that Keras does not ship, in ``keras.ops`` only."""

from shared.layers.abs_tanh import abs_tanh
from shared.layers.attention_pooling import GlobalAttentionPooling, PaddingMask
from shared.layers.fractional_max_pooling import FractionalMaxPooling2D
from shared.layers.k_max_pooling import KMaxPooling1D
from shared.layers.l2_pooling import L2Pooling1D, L2Pooling2D

__all__ = [
    "abs_tanh", "FractionalMaxPooling2D", "GlobalAttentionPooling", "KMaxPooling1D", "L2Pooling1D", "L2Pooling2D",
    "PaddingMask",
]
