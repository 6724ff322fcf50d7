"""The text networks: Kim (2014) CNN (``models.kim``), char-CNN (``models.char_cnn``), DCNN
(``models.dcnn``) and the ``TextClassifier`` task that wraps any of them (``models.classifier``).

The backbone builders ``kim_cnn``, ``char_cnn`` and ``dcnn`` are imported from their modules
(``from apps.text_classification.models.dcnn import dcnn``): a function of the same name as
its module would hide the module here.
"""

from apps.text_classification.models.classifier import (
    TextClassifier,
    build_model,
    load_classifier,
    make_encoder,
    make_optimizer,
)
from apps.text_classification.presets import MODELS

__all__ = ["MODELS", "TextClassifier", "build_model", "load_classifier", "make_encoder", "make_optimizer"]
