"""The named model configurations of ``cnnkit text``: architecture and training settings as data.

``PRESETS`` has one entry per architecture name a trained model reports (``kim-rand``,
``kim-static``, ``kim-nonstatic``, ``kim-multichannel``, ``char``, ``dcnn``):

- ``config``: the network's settings (the paper's, where the CPU allows);
- ``training``: what ``cnnkit text train`` uses unless told otherwise (optimizer, learning
  rate, batch size);
- ``paper_training``: the published training recipe, for reproductions.

No trained weights are shipped for this app. This module imports nothing heavy, so the
command line can read it for ``--help``.
"""

from __future__ import annotations

import copy

MODELS = ("kim", "char", "dcnn")
KIM_VARIANTS = ("rand", "static", "nonstatic", "multichannel")

# Kim (2014): Adadelta with rho 0.95 and epsilon 1e-6 (learning rate 1.0), mini-batches of 50, 25 epochs.
ADADELTA = dict(learning_rate=1.0, rho=0.95, epsilon=1e-6)
KIM_PAPER_TRAINING = dict(optimizer="adadelta", learning_rate=1.0, batch_size=50, epochs=25)

_KIM_CONFIG = dict(embed_dim=300, filters=100, kernel_sizes=(3, 4, 5), dropout=0.5, max_norm=3.0)
_ADAM = dict(optimizer="adam", learning_rate=1e-3)
_KIM_VARIANT_TEXT = {
    "rand": "word vectors initialised at random and trained",
    "static": "pre-trained word vectors, kept frozen",
    "nonstatic": "pre-trained word vectors, fine-tuned",
    "multichannel": "a frozen and a fine-tuned copy of the pre-trained vectors, each filter applied to both",
}

PRESETS = {
    **{f"kim-{variant}": dict(
        description=f"Kim (2014) sentence CNN, {variant}: {text}; filter windows 3/4/5 x 100 maps, "
                    "max-over-time pooling, dropout 0.5, max-norm 3 on the output weights",
        paper="Kim 2014, Convolutional Neural Networks for Sentence Classification",
        model="kim", variant=variant, needs_vectors=variant != "rand",
        config=dict(_KIM_CONFIG), training=dict(_ADAM, batch_size=50), paper_training=dict(KIM_PAPER_TRAINING),
    ) for variant, text in _KIM_VARIANT_TEXT.items()},
    "char": dict(
        description="character-level CNN, the paper's small model (six convolutions, 256 maps, two fully "
                    "connected layers of 1024 units, dropout 0.5) with batch normalisation after each "
                    "convolution (batch_norm=False is the published model)",
        paper="Zhang, Zhao and LeCun 2015, Character-level Convolutional Networks for Text Classification",
        model="char", variant="rand", needs_vectors=False,
        config=dict(filters=256, dense_units=1024, dropout=0.5, batch_norm=True),
        training=dict(_ADAM, batch_size=64), paper_training=None,
    ),
    "dcnn": dict(
        description="dynamic CNN: wide row-wise convolutions (widths 7 and 5, 6 and 14 maps), folding, "
                    "dynamic k-max pooling (k_top 4), tanh",
        paper="Kalchbrenner, Grefenstette and Blunsom 2014, A Convolutional Neural Network for Modelling Sentences",
        model="dcnn", variant="rand", needs_vectors=False,
        config=dict(embed_dim=48, widths=(7, 5), maps=(6, 14), k_top=4, dropout=0.5),
        training=dict(_ADAM, batch_size=50), paper_training=None,
    ),
}


def preset_name(model: str = "kim", variant: str = "rand") -> str:
    """The preset (and ``TextClassifier.architecture``) name of ``model`` / ``variant``."""
    if model not in MODELS:
        raise ValueError(f"Unknown model {model!r}. Expected one of {', '.join(MODELS)}.")
    if model != "kim":
        return model
    if variant not in KIM_VARIANTS:
        raise ValueError(f"Unknown Kim CNN variant {variant!r}. Expected one of {', '.join(KIM_VARIANTS)}.")
    return f"kim-{variant}"


def preset_record(name: str) -> dict:
    """A copy of ``PRESETS[name]``, with a clear error for an unknown name."""
    if name not in PRESETS:
        raise ValueError(f"Unknown text model preset {name!r}. Expected one of {', '.join(PRESETS)}.")
    return copy.deepcopy(PRESETS[name])


def model_settings(model: str = "kim", variant: str = "rand") -> dict:
    """The default settings of ``model``: its ``config`` and ``training`` entries in one dict."""
    record = preset_record(preset_name(model, variant))
    return {**record["config"], **record["training"]}
