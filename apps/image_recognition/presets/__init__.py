"""The image app's names: architectures, augmentations, datasets, test-time augmentations, export
formats, its named training configurations, and its shipped trained models.

This module imports nothing heavy, so ``cnnkit image --help`` answers at once; the modules that
act on the names import them from here.

The app ships trained classifiers (``NAME.keras`` + ``NAME.json`` in this folder, built from
:data:`RECIPES` by ``python -m benchmarks.presets build NAME``), loadable by name wherever a model
is taken; their class names are inside the ``.keras`` file::

    from shared.presets import load_preset

    classifier = load_preset("mnist_convnet")
    classifier.predict_class_names(digits)      # raw 0-255 pixels, (N, 28, 28, 1)

    cnnkit image predict --model mnist_convnet digit.png

:data:`PRESETS` are training configurations, the keyword arguments of
:func:`apps.image_recognition.train.train` that the benchmark of the same name measured::

    from apps.image_recognition.presets import preset_config
    from apps.image_recognition.train import train

    model, class_names, metrics = train("mnist", **preset_config("mnist_convnet"), out_dir="runs/mnist")

:func:`score`, :func:`pick_examples` and :func:`predict_example` are the hooks ``benchmarks.presets``
packs a trained model with and ``cnnkit presets --check`` checks it with.
"""

from __future__ import annotations

import copy
import functools

ARCHITECTURE_NAMES = (
    "convnet", "resnet_small", "airbench", "airbench94", "lenet5", "alexnet", "vgg", "vgg11", "vgg16",
    "googlenet", "resnet", "resnet18", "resnet50", "all_conv",
)
AUGMENTATIONS = ("flip", "crop", "translate", "rotate", "zoom")
NAMED_DATASETS = ("mnist", "cifar10", "digits")
TTA_MODES = ("none", "flip", "flip_translate", "translate")
# how `train` trains: Adam(W) + cosine, or airbench94's / airbench95's / airbench96's own procedure
TRAINING_RECIPES = ("default", "airbench", "airbench95", "airbench96")
EXPORT_FORMATS = ("keras", "onnx", "savedmodel", "tflite")

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
    "mnist_airbench94": {
        "description": "MNIST: airbench94's own network at width 32 (32/128/128 maps) and training recipe, "
                       "without flips, with 2-pixel shifts and random turns of up to 10 degrees, 30 epochs "
                       "of batches of 1,024.",
        "data": "mnist",
        "config": {"arch": "airbench94", "recipe": "airbench", "epochs": 30, "augment": "rotate",
                   "backbone_kwargs": {"width": 32}},
        "benchmark": "image_mnist_airbench_rotate",
        "command": "python -m benchmarks.image_mnist --recipe airbench --augment rotate --precision auto --epochs 30 "
                   "--width 32 --budget-s 4800 --name image_mnist_airbench_rotate",
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
    "cifar10_airbench94_recipe": {
        "description": "CIFAR-10: airbench94's own network (patch whitening, 64/256/256 maps, 2.0M parameters) "
                       "and training recipe (SGD-Nesterov, triangular schedule, lookahead, label smoothing 0.2, "
                       "alternating flip, 2-pixel shifts), 9.9 epochs of batches of 1,024.",
        "data": "cifar10",
        "config": {"arch": "airbench94", "recipe": "airbench", "backbone_kwargs": {"width": 64}},
        "benchmark": "image_cifar10_airbench94_recipe_seed0",
        "command": "python -m benchmarks.image_cifar10 --recipe airbench --precision auto --seed 0 --budget-s 7200 "
                   "--name image_cifar10_airbench94_recipe_seed0",
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

# The shipped presets (NAME.keras + NAME.json in this folder): how `python -m benchmarks.presets
# build NAME` trains each one, and what its metadata says about it.
_IMAGE_PRESET = {"module": "apps.image_recognition.model", "task": "Classifier"}
_MNIST_PRESET = {  # what every MNIST preset takes, gives and was trained on
    "input": "28x28 grey images, pixel values 0-255",
    "output": "one of the digits 0-9",
    "dataset": {"name": "mnist", "description": "MNIST handwritten digits, 60,000 training / 10,000 test images",
                "license": "CC BY-SA 3.0 (Yann LeCun and Corinna Cortes)", "citation": "LeCun et al. 1998"},
}
_CIFAR10_PRESET = {  # what every CIFAR-10 preset takes, gives and was trained on
    "input": "32x32 RGB images, pixel values 0-255",
    "output": "airplane, automobile, bird, cat, deer, dog, frog, horse, ship or truck",
    "dataset": {"name": "cifar10", "description": "CIFAR-10, 50,000 training / 10,000 test 32x32 images "
                                                  "(JPEG re-encodings)",
                "license": "no formal license; free for research with citation",
                "citation": "Krizhevsky 2009, Learning Multiple Layers of Features from Tiny Images"},
}
RECIPES = {
    "mnist_convnet": dict(
        _IMAGE_PRESET,
        description="cnnkit's default convnet (16/32 maps) trained on MNIST with sub-pixel translation",
        **_MNIST_PRESET,
        steps=["python -m benchmarks.image_mnist --epochs 20 --width 16 --augment translate --dropout 0.1 "
               "--dense-dropout 0.3 --budget-s 3000 --name preset_mnist_convnet"],
        trained="image_recognition/bench/preset_mnist_convnet/model.keras",
        result="preset_mnist_convnet", benchmark_metrics={"test_accuracy": "metrics.test_accuracy"},
        references={"test_accuracy": "issue target >= 0.995; published small convnets 0.992-0.997"}),
    "mnist_airbench94": dict(
        _IMAGE_PRESET,
        module="apps.image_recognition.airbench",
        description="airbench94's own network at width 32 (32/128/128 maps, 0.49M parameters) trained on MNIST by "
                    "airbench's recipe without flips, with its 2-pixel shifts and random turns of up to 10 "
                    "degrees (--augment rotate), 30 epochs of batches of 1,024",
        **_MNIST_PRESET,
        steps=["python -m benchmarks.image_mnist --recipe airbench --augment rotate --precision auto --epochs 30 "
               "--width 32 --budget-s 4800 --name image_mnist_airbench_rotate"],
        trained="image_recognition/bench/image_mnist_airbench_rotate/model.keras",
        result="image_mnist_airbench_rotate",
        benchmark_metrics={"test_accuracy": "metrics.test_accuracy",
                           "test_accuracy_translate_tta": "metrics.test_accuracy_translate_tta"},
        references={"test_accuracy": "issue target >= 0.997 (one model); Ciresan et al. 2012, a committee of "
                                     "35 nets: 0.9977"}),
    "cifar10_airbench94": dict(
        _IMAGE_PRESET,
        description="airbench94's layout at width 64 (2.0M parameters) trained on CIFAR-10 with flips and "
                    "whole-pixel crops, label smoothing 0.2, AdamW with cosine decay over 8 epochs (a 40-minute "
                    "CPU schedule)",
        **_CIFAR10_PRESET,
        steps=["python -m benchmarks.image_cifar10 --arch airbench94 --width 64 --epochs 8 --budget-s 2700 "
               "--label-smoothing 0.2 --precision auto --batch-size 128 --name preset_cifar10_airbench94"],
        trained="image_recognition/bench/preset_cifar10_airbench94/model.keras",
        result="preset_cifar10_airbench94", benchmark_metrics={"test_accuracy": "metrics.test_accuracy"},
        references={"test_accuracy": "issue target >= 0.90 without test-time augmentation; airbench94 (GPU "
                                     "recipe with its own tricks, flip TTA): 0.94"}),
    "cifar10_airbench94_recipe": dict(
        _IMAGE_PRESET,
        module="apps.image_recognition.airbench",
        description="airbench94's own network (patch whitening, 64/256/256 maps, 2.0M parameters) trained on "
                    "CIFAR-10 by airbench's own recipe (SGD-Nesterov, triangular schedule, lookahead, label "
                    "smoothing 0.2, alternating flip, 2-pixel shifts, 9.9 epochs of batches of 1,024)",
        **_CIFAR10_PRESET,
        steps=["python -m benchmarks.image_cifar10 --recipe airbench --precision auto --seed 0 --budget-s 7200 "
               "--name image_cifar10_airbench94_recipe_seed0"],
        trained="image_recognition/bench/image_cifar10_airbench94_recipe_seed0/model.keras",
        result="image_cifar10_airbench94_recipe_seed0",
        benchmark_metrics={"test_accuracy": "metrics.test_accuracy",
                           "test_accuracy_flip_translate_tta": "metrics.test_accuracy_flip_translate_tta"},
        references={"test_accuracy": "issue target >= 0.93 without test-time augmentation; airbench94 (Jordan "
                                     "2024, one A100, with flip + translate TTA): 0.9401"}),
}


# --------------------------------------------------------------------------- preset hooks

EXAMPLE_COUNT = 5


@functools.lru_cache(maxsize=2)
def _test_split(dataset: str):
    """``(x_test, y_test, class_names)``: the whole test split of named dataset ``dataset`` (the
    training split is read as a small slice only)."""
    from apps.image_recognition import data

    if dataset not in NAMED_DATASETS:
        raise ValueError(f"The 'dataset' parameter of the image preset hooks must be one of "
                         f"{', '.join(NAMED_DATASETS)}; got {dataset!r}.")
    loaded = data.load_named(dataset, limit=100)
    return loaded.x_test, loaded.y_test, list(loaded.class_names)


def _model_indices(model, class_names) -> list:
    """For each class of the dataset, the output of ``model`` that names it."""
    if not getattr(model, "class_names_known", False):
        raise ValueError(f"model {model.name!r} carries no class names; set model.class_names (or save it with "
                         "apps.image_recognition.model.save_classifier) before packing it as a preset.")
    outputs = list(model.class_names)
    missing = [name for name in class_names if name not in outputs]
    if missing:
        raise ValueError(f"model {model.name!r} has no output for class(es) {', '.join(missing)} of the dataset; "
                         f"its classes are {', '.join(outputs)}.")
    return [outputs.index(name) for name in class_names]


def example_indices(size: int, count: int = EXAMPLE_COUNT) -> list:
    """``count`` fixed positions spread evenly over a split of ``size`` items (first and last included)."""
    import numpy as np

    return sorted({int(i) for i in np.linspace(0, size - 1, min(count, size)).round()})


def score(model, dataset: str) -> dict:
    """``{"test_accuracy": ...}`` of image classifier ``model`` on the test split of ``dataset``
    (``mnist`` or ``cifar10``); the model's outputs are matched to the dataset's classes by name."""
    import numpy as np

    x_test, y_test, class_names = _test_split(dataset)
    outputs = np.asarray(_model_indices(model, class_names))
    probabilities = model.predict(x_test, batch_size=256, verbose=0)
    accuracy = float(np.mean(probabilities.argmax(axis=-1) == outputs[y_test]))
    return {"test_accuracy": round(accuracy, 5)}


def pick_examples(model, dataset: str, count: int = EXAMPLE_COUNT) -> list:
    """``count`` test images at fixed indices: ``{"input": {"dataset", "split", "index"}, "label":
    the true class name, "prediction": the model's class name}``."""
    x_test, y_test, class_names = _test_split(dataset)
    indices = example_indices(len(y_test), count)
    probabilities = model.predict(x_test[indices], verbose=0)
    return [{"input": {"dataset": dataset, "split": "test", "index": index},
             "label": class_names[int(y_test[index])],
             "prediction": str(model.class_names[int(row.argmax())])}
            for index, row in zip(indices, probabilities)]


def predict_example(model, example: dict) -> str:
    """The class name ``model`` predicts for the test image an example of :func:`pick_examples` names."""
    source = example["input"]
    if source.get("split") != "test":
        raise ValueError(f"image preset examples come from the test split; got split {source.get('split')!r}.")
    x_test, _, _ = _test_split(source["dataset"])
    index = int(source["index"])
    if not 0 <= index < len(x_test):
        raise ValueError(f"example index {index} is outside the {source['dataset']} test split "
                         f"(0..{len(x_test) - 1}).")
    probabilities = model.predict(x_test[index:index + 1], verbose=0)
    return str(model.class_names[int(probabilities[0].argmax())])
