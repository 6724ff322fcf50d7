"""cnnkit's reusable CNN core: backbone, layers, tasks, fine-tuning, training, data."""

from shared import architectures, data, finetune, layers, losses  # losses: registers saved-model classes
from shared.backbone import Backbone
from shared.tasks import Classifier, MultiLabelClassifier, Regressor, Task

__all__ = [
    "Backbone", "Classifier", "MultiLabelClassifier", "Regressor", "Task",
    "architectures", "data", "finetune", "layers", "losses", "training",
]


def __getattr__(name):
    # training imports optional TensorFlow pieces lazily; keep `import shared` light.
    if name == "training":
        import importlib

        return importlib.import_module("shared.training")
    raise AttributeError(f"module 'shared' has no attribute {name!r}")
