"""Kim (2014) sentence CNN: embeddings, filter windows 3/4/5 x 100 maps, ReLU, max over time.

``rand``, ``static`` and ``nonstatic`` are a ``shared.Backbone``; ``multichannel`` has a
frozen and a tuned copy of the pre-trained embeddings, each filter applied to both
channels and the results added (Kim 2014, section 2.1).
"""

from __future__ import annotations

import keras
import numpy as np

from shared import Backbone

VARIANTS = ("rand", "static", "nonstatic", "multichannel")


def kim_cnn(max_length, vocab_size, variant="rand", embed_dim=300, filters=100, kernel_sizes=(3, 4, 5),
            embeddings=None, name="kim_cnn"):
    """The Kim CNN feature extractor (token ids -> ``filters * len(kernel_sizes)`` features).

    ``embeddings`` (vocab_size, dim) initialises the word vectors; it is required for the
    ``static``, ``nonstatic`` and ``multichannel`` variants. ``max_length=None`` accepts any
    length (max-over-time pooling does not care), which length-bucketed batches use.
    """
    if variant not in VARIANTS:
        raise ValueError(f"Unknown Kim CNN variant {variant!r}. Expected one of {', '.join(VARIANTS)}.")
    if variant != "rand":
        if embeddings is None:
            raise ValueError(f"The {variant!r} variant needs pre-trained word vectors (--vectors FILE).")
        embeddings = np.asarray(embeddings, dtype="float32")
        if embeddings.shape[0] != vocab_size:
            raise ValueError(f"embeddings have {embeddings.shape[0]} rows for a vocabulary of {vocab_size}.")
        embed_dim = embeddings.shape[1]
    kernel_sizes = tuple(int(k) for k in kernel_sizes)
    if variant == "multichannel":
        return _multichannel(max_length, vocab_size, embed_dim, filters, kernel_sizes, embeddings, name)
    backbone = Backbone(
        input_shape=(max_length,), filters=(filters,), kernel_size=kernel_sizes if len(kernel_sizes) > 1
        else kernel_sizes[0], conv_dims=1, vocab_size=vocab_size, embed_dim=embed_dim,
        embed_trainable=variant != "static", pooling=None, global_pooling="max", name=name,
    )
    if embeddings is not None:
        backbone.get_layer("embedding").set_weights([embeddings])
    return backbone


def _multichannel(max_length, vocab_size, embed_dim, filters, kernel_sizes, embeddings, name):
    inputs = keras.Input(shape=(max_length,), dtype="int32", name="inputs")
    static = keras.layers.Embedding(vocab_size, embed_dim, trainable=False, name="embedding_static")(inputs)
    tuned = keras.layers.Embedding(vocab_size, embed_dim, name="embedding")(inputs)
    pooled = []
    for k in kernel_sizes:
        conv = keras.layers.Conv1D(filters, k, padding="same", name=f"stage1_block1_k{k}_conv")
        both = keras.layers.Add(name=f"stage1_block1_k{k}_sum")([conv(static), conv(tuned)])
        pooled.append(keras.layers.Activation("relu", name=f"stage1_block1_k{k}_act")(both))
    x = keras.layers.Concatenate(name="stage1_block1_concat")(pooled) if len(pooled) > 1 else pooled[0]
    x = keras.layers.GlobalMaxPooling1D(name="global_max_pool")(x)
    model = keras.Model(inputs, x, name=name)
    model.get_layer("embedding_static").set_weights([embeddings])
    model.get_layer("embedding").set_weights([embeddings])
    return model
