"""The text classifier (a ``shared.Classifier`` that carries its preprocessing) and its builder.

The vocabulary, tokenisation and padded length live in the model config: a ``.keras``
file alone is enough for ``predict_texts(["a raw sentence"])`` on any backend.
"""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np

from apps.text_classification.encoders import TextEncoder
from apps.text_classification.models.char_cnn import MIN_LENGTH as CHAR_MIN_LENGTH
from apps.text_classification.models.char_cnn import char_cnn
from apps.text_classification.models.dcnn import dcnn
from apps.text_classification.models.kim import kim_cnn
from apps.text_classification.presets import ADADELTA, model_settings, preset_name
from shared import Classifier


@keras.saving.register_keras_serializable(package="cnnkit")
class TextClassifier(Classifier):
    """Token-id classifier + ``TextEncoder`` + class names (+ what it was trained on).

    Args:
        backbone: any single-output model from token ids to features (Kim CNN, char-CNN, DCNN).
        num_classes: number of classes.
        encoder: a fitted ``TextEncoder`` (or its config dict).
        label_names: one name per class, in label order.
        architecture: e.g. ``"kim-rand"``, ``"char"``, ``"dcnn"``: shown by the CLI.
        trained_on: the training data name, for overlap warnings at evaluation.
    """

    def __init__(self, backbone, num_classes, encoder=None, label_names=None, architecture="kim-rand",
                 trained_on=None, **kwargs):
        if encoder is None:
            raise ValueError("TextClassifier needs a fitted TextEncoder (encoder=...).")
        self.encoder = encoder if isinstance(encoder, TextEncoder) else TextEncoder.from_config(encoder)
        # The config carries the names twice (label_names, and the Classifier's class_names).
        class_names = kwargs.pop("class_names", None)
        names = label_names if label_names is not None else class_names
        names = list(names) if names is not None else [str(i) for i in range(num_classes)]
        if len(names) != num_classes:
            raise ValueError(f"label_names has {len(names)} names for {num_classes} classes.")
        self.label_names = tuple(str(n) for n in names)
        self.architecture = architecture
        self.trained_on = trained_on
        super().__init__(backbone, num_classes, class_names=self.label_names, **kwargs)

    def encode(self, texts, return_report=False):
        """Raw texts -> padded token ids (see ``TextEncoder.encode``)."""
        return self.encoder.encode(texts, return_report=return_report)

    def predict_texts(self, texts, batch_size=256, verbose=0):
        """Class probabilities (n, num_classes) for raw texts."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.num_classes), dtype="float32")
        return np.asarray(self.predict(self.encode(texts), batch_size=batch_size, verbose=verbose))

    def predict_labels(self, texts, batch_size=256):
        """The predicted class name of each raw text."""
        probabilities = self.predict_texts(texts, batch_size=batch_size)
        return [self.label_names[i] for i in probabilities.argmax(axis=1)]

    def get_config(self):
        config = super().get_config()
        config.update(encoder=self.encoder.get_config(), label_names=list(self.label_names),
                      architecture=self.architecture, trained_on=self.trained_on)
        return config


def make_encoder(model="kim", lowercase=True, max_length=None, min_count=1):
    """The preprocessing each model expects: Kim's clean-up for words, raw characters for char-CNN.

    ``min_count`` (word models only) keeps the training words seen at least that many times.
    """
    if model == "char":
        if min_count != 1:
            raise ValueError(f"min_count applies to word vocabularies (kim, dcnn); the char-CNN reads a fixed "
                             f"alphabet; got min_count={min_count!r}.")
        return TextEncoder(level="char", lowercase=True, max_length=max_length, length_cap=1014,
                           min_length=CHAR_MIN_LENGTH)
    k_top = model_settings("dcnn")["k_top"]
    return TextEncoder(level="word", lowercase=lowercase, clean=True, max_length=max_length, min_count=min_count,
                       min_length=max(k_top, 5) if model == "dcnn" else 1)


def build_model(model, encoder, label_names, variant="rand", embeddings=None, trained_on=None, **overrides):
    """A compiled ``TextClassifier`` for ``model`` in ``kim``/``char``/``dcnn`` on a fitted encoder.

    The settings are the preset's (``presets.model_settings``); any keyword overrides one.
    ``optimizer`` (``"adam"`` or Kim's ``"adadelta"``) and ``learning_rate`` choose how the
    model is compiled; they are training settings and are not part of the saved config.
    """
    settings = {**model_settings(model, variant), **{k: v for k, v in overrides.items() if v is not None}}
    length, vocab = encoder.max_length, encoder.vocab_size
    constraint = None
    if model == "kim":
        backbone = kim_cnn(None, vocab, variant=variant, embed_dim=settings["embed_dim"],
                           filters=settings["filters"], kernel_sizes=settings["kernel_sizes"], embeddings=embeddings)
        constraint = keras.constraints.MaxNorm(settings["max_norm"]) if settings.get("max_norm") else None
        dropout = settings["dropout"]
    elif model == "char":
        backbone = char_cnn(length, vocab, filters=settings["filters"], dense_units=settings["dense_units"],
                            dropout=settings["dropout"], batch_norm=settings["batch_norm"])
        dropout = 0.0  # the char-CNN's dropout sits between its own fully connected layers
    else:
        backbone = dcnn(length, vocab, embed_dim=settings["embed_dim"], widths=settings["widths"],
                        maps=settings["maps"], k_top=settings["k_top"])
        dropout = settings["dropout"]
    classifier = TextClassifier(backbone, len(label_names), encoder=encoder, label_names=label_names,
                                architecture=preset_name(model, variant), trained_on=trained_on, dropout=dropout,
                                head_kernel_constraint=constraint)
    classifier.compile(optimizer=make_optimizer(settings["optimizer"], overrides.get("learning_rate"),
                                                settings["learning_rate"]))
    return classifier


def make_optimizer(name="adam", learning_rate=None, default_learning_rate=1e-3):
    """Adam at ``learning_rate`` (else ``default_learning_rate``), or Kim's Adadelta (rate 1.0 unless given)."""
    if name == "adadelta":
        settings = {**ADADELTA, **({"learning_rate": learning_rate} if learning_rate else {})}
        return keras.optimizers.Adadelta(**settings)
    if name == "adam":
        return keras.optimizers.Adam(learning_rate or default_learning_rate)
    raise ValueError(f"optimizer must be 'adam' or 'adadelta', got {name!r}.")


def load_classifier(path) -> TextClassifier:
    """A ``TextClassifier`` saved by ``cnnkit text train`` (or ``classifier.save``) or a preset name
    (checksum checked), with a clear error otherwise."""
    from shared.presets import is_preset, preset_file

    path = preset_file(str(path)) if is_preset(str(path)) else Path(path)
    if not path.is_file():
        raise ValueError(f"Model file {path} does not exist (expected a .keras file written by `cnnkit text train`, "
                         "or a preset name: `cnnkit presets --app text`).")
    model = keras.saving.load_model(path)
    if not hasattr(model, "encoder"):
        raise ValueError(f"{path} is not a cnnkit text model (it has no saved text preprocessing).")
    return model
