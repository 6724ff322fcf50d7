"""Character-level CNN (Zhang, Zhao and LeCun 2015) on ``shared.Backbone``.

Six convolutions (kernels 7, 7, 3, 3, 3, 3; max pooling 3 after the 1st, 2nd and 6th),
two fully connected layers with dropout 0.5. Characters are one-hot (a frozen identity
embedding; padding and unknown characters are all-zero vectors, as in the paper).
``filters=256, dense_units=1024`` is the paper's "small" model.
"""

from __future__ import annotations

import numpy as np

from shared import Backbone

MIN_LENGTH = 128  # shortest input the six convolutions and three poolings accept, with margin


def char_cnn(max_length, vocab_size, filters=256, dense_units=1024, dropout=0.5, batch_norm=False, name="char_cnn"):
    """The char-CNN feature extractor (character ids -> ``dense_units`` features).

    ``batch_norm=True`` (not in the paper) lets the six-layer stack start learning within a
    few epochs on small datasets instead of sitting at chance.
    """
    if max_length < MIN_LENGTH:
        raise ValueError(f"The char-CNN needs inputs of at least {MIN_LENGTH} characters, got max_length={max_length}.")
    backbone = Backbone(
        input_shape=(max_length,), filters=[filters] * 6, kernel_size=[7, 7, 3, 3, 3, 3],
        pooling=["max", "max", None, None, None, "max"], pool_size=3, padding="valid", conv_dims=1,
        vocab_size=vocab_size, embed_dim=vocab_size, embed_trainable=False, global_pooling="flatten",
        dense_units=(dense_units, dense_units), dense_dropout=dropout, batch_norm=batch_norm, name=name,
    )
    one_hot = np.eye(vocab_size, dtype="float32")
    one_hot[:2] = 0.0  # padding and [UNK]
    backbone.get_layer("embedding").set_weights([one_hot])
    return backbone
