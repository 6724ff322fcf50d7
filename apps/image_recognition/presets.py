"""The image app's names: architectures, augmentations, datasets, test-time augmentations, export
formats, and its named training configurations.

This module imports nothing heavy, so ``cnnkit image --help`` answers at once; the modules that
act on the names import them from here. The app ships no trained weights: a preset is a recipe,
the keyword arguments of :func:`apps.image_recognition.train.train` that the benchmark of the same
name measured::

    from apps.image_recognition.presets import preset_config
    from apps.image_recognition.train import train

    model, class_names, metrics = train("mnist", **preset_config("mnist_convnet"), out_dir="runs/mnist")
"""

from __future__ import annotations

import copy

ARCHITECTURE_NAMES = (
    "convnet", "resnet_small", "airbench", "airbench94", "lenet5", "alexnet", "vgg", "vgg11", "vgg16",
    "googlenet", "resnet", "resnet18", "resnet50", "all_conv",
)
AUGMENTATIONS = ("flip", "crop", "translate", "rotate", "zoom")
NAMED_DATASETS = ("mnist", "cifar10", "digits")
TTA_MODES = ("none", "flip", "flip_translate")
EXPORT_FORMATS = ("keras", "savedmodel", "tflite")

PRESETS = {
    "mnist_convnet": {
        "description": "MNIST: the default convnet at width 16 (16/32 maps), sub-pixel translation, "
                       "Adam 1e-3 with cosine decay, 12 epochs on all 60,000 training digits.",
        "data": "mnist",
        "config": {"arch": "convnet", "epochs": 12, "batch_size": 128, "learning_rate": 1e-3,
                   "augment": "translate",
                   "backbone_kwargs": {"width": 16, "dropout": 0.1, "dense_dropout": 0.3}},
        "benchmark": "image_mnist",
        "command": "python -m benchmarks.image_mnist --epochs 12 --width 16 --augment translate "
                   "--dropout 0.1 --dense-dropout 0.3 --budget-s 1800",
    },
    "cifar10_airbench94": {
        "description": "CIFAR-10: airbench94's layout at width 64 (2.0M parameters), flip and "
                       "whole-pixel crop, AdamW 2e-3 (weight decay 0.05) with cosine decay, label "
                       "smoothing 0.2, 20 epochs.",
        "data": "cifar10",
        "config": {"arch": "airbench94", "epochs": 20, "batch_size": 128, "learning_rate": 2e-3,
                   "weight_decay": 0.05, "label_smoothing": 0.2, "augment": "flip,crop",
                   "backbone_kwargs": {"width": 64}},
        "benchmark": "image_cifar10_airbench94_crop",
        "command": "python -m benchmarks.image_cifar10 --arch airbench94 --width 64 --epochs 20 "
                   "--budget-s 6600 --label-smoothing 0.2 --precision auto --batch-size 128 "
                   "--name image_cifar10_airbench94_crop",
    },
}


def preset_record(name: str) -> dict:
    """The whole entry of preset ``name``: description, data, config, benchmark and command."""
    if name not in PRESETS:
        raise ValueError(f"The 'name' parameter of preset_record must be one of {sorted(PRESETS)}; got {name!r}.")
    return copy.deepcopy(PRESETS[name])


def preset_config(name: str) -> dict:
    """The keyword arguments of ``train(PRESETS[name]["data"], ...)`` for preset ``name`` (a copy)."""
    return preset_record(name)["config"]
