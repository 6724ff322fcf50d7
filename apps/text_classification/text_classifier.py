"""A ``shared.Classifier`` that also carries its text preprocessing, so raw text goes in.

The vocabulary, tokenisation and padded length live in the model config: a ``.keras``
file alone is enough for ``predict_texts(["a raw sentence"])`` on any backend.
"""

from __future__ import annotations

import keras
import numpy as np

from apps.text_classification.text_encoder import TextEncoder
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
        names = list(label_names) if label_names is not None else [str(i) for i in range(num_classes)]
        if len(names) != num_classes:
            raise ValueError(f"label_names has {len(names)} names for {num_classes} classes.")
        self.label_names = tuple(str(n) for n in names)
        self.architecture = architecture
        self.trained_on = trained_on
        super().__init__(backbone, num_classes, **kwargs)

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
