"""Image recognition: train, evaluate, explain, fine-tune and export image classifiers.

Public API::

    from apps.image_recognition.train import train          # data source -> saved classifier
    from apps.image_recognition.evaluate import evaluate, predict_files
    from apps.image_recognition.gradcam import GradCAM
    from apps.image_recognition.finetune import finetune
    from apps.image_recognition.export import export_model
"""

from apps.image_recognition.data import ImageFolderDataset, load_cifar10, load_digits, load_mnist
from apps.image_recognition.models import build_classifier, load_classifier, save_classifier

__all__ = [
    "ImageFolderDataset", "load_mnist", "load_cifar10", "load_digits",
    "build_classifier", "load_classifier", "save_classifier",
    "predict_files", "GradCAM", "export_model",
]


def __getattr__(name):
    # Heavier pieces load on first use so `import apps.image_recognition` stays light.
    import importlib

    lazy = {
        "predict_files": ("apps.image_recognition.evaluate", "predict_files"),
        "GradCAM": ("apps.image_recognition.gradcam", "GradCAM"),
        "export_model": ("apps.image_recognition.export", "export_model"),
    }
    if name in lazy:
        module, attribute = lazy[name]
        return getattr(importlib.import_module(module), attribute)
    raise AttributeError(f"module 'apps.image_recognition' has no attribute {name!r}")
