"""Image recognition: train, evaluate, explain, fine-tune and export image classifiers.

Public API::

    from apps.image_recognition.train import train          # data source -> saved classifier
    from apps.image_recognition.evaluate import evaluate, predict_files
    from apps.image_recognition.gradcam import GradCAM
    from apps.image_recognition.finetune import finetune
    from apps.image_recognition.export import export_model
    from apps.image_recognition.presets import PRESETS, preset_config   # named training recipes
"""

from shared.lazy_names import lazy_attributes

# Every name loads on first use, so that `import apps.image_recognition` (and `cnnkit image --help`)
# does not start Keras.
_EXPORTS = {
    "ImageFolderDataset": "data", "load_mnist": "data", "load_cifar10": "data", "load_digits": "data",
    "build_classifier": "model", "load_classifier": "model", "save_classifier": "model",
    "predict_files": "evaluate", "GradCAM": "gradcam", "export_model": "export",
    "PRESETS": "presets", "preset_config": "presets",
}
__all__ = list(_EXPORTS)


__getattr__ = lazy_attributes(__name__, _EXPORTS)
