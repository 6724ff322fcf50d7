"""Kim (2014) sentence CNN: embeddings, filter windows 3/4/5 x 100 maps, ReLU, max over time.

``rand``, ``static`` and ``nonstatic`` are a ``shared.Backbone``; ``multichannel`` has a
frozen and a tuned copy of the pre-trained embeddings, each filter applied to both
channels and the results added (Kim 2014, section 2.1).
"""

from __future__ import annotations

import keras
import numpy as np

from apps.text_classification.presets import KIM_VARIANTS as VARIANTS
from shared import Backbone


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
        return KimMultichannel(max_length, vocab_size, embed_dim=embed_dim, filters=filters,
                               kernel_sizes=kernel_sizes, embeddings=embeddings, name=name)
    backbone = Backbone(
        input_shape=(max_length,), filters=(filters,), kernel_size=kernel_sizes if len(kernel_sizes) > 1
        else kernel_sizes[0], conv_dims=1, vocab_size=vocab_size, embed_dim=embed_dim,
        embed_trainable=variant != "static", pooling=None, global_pooling="max", name=name,
    )
    if embeddings is not None:
        backbone.get_layer("embedding").set_weights([embeddings])
    return backbone


@keras.saving.register_keras_serializable(package="cnnkit")
class KimMultichannel(keras.Model):
    """Kim's multichannel CNN: a frozen and a tuned embedding, each filter applied to both and summed.

    ``embeddings`` (vocab_size, embed_dim) initialises both channels; it is not part of the
    config (a saved model restores the trained weights instead).
    """

    def __init__(self, max_length, vocab_size, embed_dim=300, filters=100, kernel_sizes=(3, 4, 5), embeddings=None,
                 name="kim_cnn", **kwargs):
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
        super().__init__(inputs, x, name=name, **kwargs)
        if embeddings is not None:
            self.get_layer("embedding_static").set_weights([embeddings])
            self.get_layer("embedding").set_weights([embeddings])
        self._kim_config = dict(max_length=max_length, vocab_size=vocab_size, embed_dim=embed_dim, filters=filters,
                                kernel_sizes=list(kernel_sizes))

    def get_config(self):
        return {"name": self.name, "trainable": self.trainable, **self._kim_config}

    @classmethod
    def from_config(cls, config):
        return cls(**config)
