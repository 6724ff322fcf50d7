"""Sentence classification with CNNs: Kim (2014), char-CNN (Zhang et al. 2015), DCNN (Kalchbrenner et al. 2014).

Names are imported lazily so that ``cnnkit text --help`` does not start TensorFlow.
"""

import os

from shared.lazy_names import lazy_attributes

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's start-up chatter out of command output

_EXPORTS = {
    "TextDataset": "data", "load_dataset": "data", "load_texts": "data",
    "TextEncoder": "encoders", "clean_str": "encoders",
    "TextClassifier": "models", "build_model": "models", "load_classifier": "models",
    "PRESETS": "presets",
    "load_word_vectors": "vectors",
    "train_model": "train", "cross_validate": "train", "evaluate": "train",
}
# The backbone builders share their module's name: import them from apps.text_classification.models.kim
# (kim_cnn), .models.char_cnn and .models.dcnn, since a loaded submodule shadows a package attribute.
__all__ = sorted(_EXPORTS)


__getattr__ = lazy_attributes(__name__, _EXPORTS)
