"""The named model configurations of ``cnnkit text``: architecture and training settings as data.

``PRESETS`` has one entry per architecture name a trained model reports (``kim-rand``,
``kim-static``, ``kim-nonstatic``, ``kim-multichannel``, ``char``, ``dcnn``):

- ``config``: the network's settings (the paper's, where the CPU allows);
- ``training``: what ``cnnkit text train`` uses unless told otherwise (optimizer, learning
  rate, batch size);
- ``paper_training``: the published training recipe, for reproductions.

``RECIPES`` are the shipped trained models (``NAME.keras`` + ``NAME.json`` in this folder,
loaded by name with ``shared.presets.load_preset`` or ``TextClassifier.from_preset``, and by
every command's ``--model``): how ``python -m benchmarks.presets build NAME`` trains each one.
The hooks ``score``, ``pick_examples`` and ``predict_example`` measure a packed preset on its
dataset's test split and record and re-check its predictions on a few real test sentences.

This module imports nothing heavy, so the command line can read it for ``--help``.
"""

from __future__ import annotations

import copy
from functools import lru_cache

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


# The shipped presets (NAME.keras + NAME.json in this folder): how `python -m benchmarks.presets
# build NAME` trains each one, and what its metadata says about it. Each is trained by `cnnkit text
# train` with Kim's Adadelta. `--min-count` keeps the frequent training words: the embedding is most
# of the model, and this keeps each file under 5 MB. SST-2's phrases repeat the words of their
# sentence, so its count of 10 keeps about the words of two or more training sentences.
_TEXT_PRESET = {"module": "apps.text_classification.models", "task": "TextClassifier",
                "input": "raw English text, one sentence per item (tokenised and lower-cased inside the model)"}
_FOR_RESEARCH = "no explicit license; released by the authors for research"


def _text_recipe(name, data, training, **fields):
    """A recipe trained by ``cnnkit text train --data DATA TRAINING``, scored from its metrics.json."""
    return dict(
        _TEXT_PRESET,
        steps=[f"python -m apps.text_classification train --data {data} --optimizer adadelta {training} "
               f"--precision float32 --out {{build}}/{name} --json"],
        trained=f"{{build}}/{name}/model.keras",
        result=f"preset_{name}", result_from=f"{{build}}/{name}/metrics.json",
        benchmark_metrics={"test_accuracy": "metrics.accuracy"}, **fields)


RECIPES = {
    "kim_rand_sst2": _text_recipe(
        "kim_rand_sst2", "sst2_phrases", "--epochs 8 --patience 3 --min-count 10", output="negative or positive",
        description="Kim (2014) CNN-rand trained on SST-2 sentences and phrases, Kim's protocol",
        dataset={"name": "sst2_phrases", "description": "SST-2: the training sentences plus the labelled phrases "
                                                        "of the training split; 1,821 test sentences",
                 "license": "no explicit license (Stanford Sentiment Treebank)", "citation": "Socher et al. 2013"},
        references={"test_accuracy": "Kim 2014 CNN-rand: 0.827"}),
    "kim_rand_mr": _text_recipe(
        "kim_rand_mr", "mr", "--epochs 10 --patience 3 --min-count 3", output="negative or positive",
        description="Kim (2014) CNN-rand trained on 90% of MR with Kim's Adadelta",
        dataset={"name": "mr", "description": "movie-review polarity, 10,662 sentences (a stratified 10% held "
                                              "out as the test set)",
                 "license": _FOR_RESEARCH, "citation": "Pang and Lee 2005"},
        references={"test_accuracy": "Kim 2014 CNN-rand, 10-fold CV: 0.761"}),
    "kim_rand_trec": _text_recipe(
        "kim_rand_trec", "trec", "--epochs 25 --patience 25 --min-count 2",
        output="ABBR, DESC, ENTY, HUM, LOC or NUM (question type)",
        description="Kim (2014) CNN-rand trained on TREC's 6 coarse question types",
        dataset={"name": "trec", "description": "TREC question type, 6 classes, 5,452 training / 500 test questions",
                 "license": _FOR_RESEARCH, "citation": "Li and Roth 2002"},
        references={"test_accuracy": "Kim 2014 CNN-rand: 0.912"}),
}


# --------------------------------------------------------------------------- preset hooks

@lru_cache(maxsize=4)
def _test_split(dataset: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The test sentences of a named dataset and their class names: the given test set (TREC, SST;
    ``sst2_phrases`` shares SST-2's), else the stratified 10% hold-out ``cnnkit text train`` uses
    with seed 0 (MR, SUBJ)."""
    from apps.text_classification.data import NAMED, load_dataset, train_dev_test

    if dataset not in NAMED:
        raise ValueError(f"Unknown text dataset {dataset!r} for a preset; expected one of {', '.join(NAMED)}.")
    data = load_dataset(dataset)
    texts, labels = train_dev_test(data, seed=0)[2]
    return tuple(texts), tuple(data.label_names[int(i)] for i in labels)


def _example_indices(size: int, count: int) -> list[int]:
    """``count`` fixed positions spread evenly over a split of ``size`` items (first and last included)."""
    count = min(count, size)
    if count <= 1:
        return list(range(count))
    return [round(i * (size - 1) / (count - 1)) for i in range(count)]


def score(model, dataset: str) -> dict:
    """``{"test_accuracy": ...}`` of a ``TextClassifier`` on the test split of ``dataset``
    (labels matched to the model's classes by name)."""
    from apps.text_classification.train import evaluate

    texts, names = _test_split(dataset)
    index = {name: i for i, name in enumerate(model.label_names)}
    unknown = sorted(set(names) - set(index))
    if unknown:
        raise ValueError(f"The test labels {unknown} of {dataset!r} are not classes of the model "
                         f"({list(model.label_names)}).")
    result = evaluate(model, list(texts), [index[name] for name in names])
    return {"test_accuracy": round(result["accuracy"], 4)}


def pick_examples(model, dataset: str, count: int = 5) -> list[dict]:
    """``count`` test sentences at fixed positions, with their true and predicted class names."""
    texts, names = _test_split(dataset)
    indices = _example_indices(len(texts), count)
    predicted = model.predict_labels([texts[i] for i in indices])
    return [{"input": {"dataset": dataset, "split": "test", "index": i, "text": texts[i]},
             "label": names[i], "prediction": label} for i, label in zip(indices, predicted)]


def predict_example(model, example: dict) -> str:
    """The predicted class name of a recorded example's sentence, read again from its dataset."""
    where = example["input"]
    texts, _ = _test_split(where["dataset"])
    index = int(where["index"])
    if not 0 <= index < len(texts) or texts[index] != where["text"]:
        raise ValueError(f"Test sentence {index} of {where['dataset']!r} is no longer the recorded one "
                         f"({where['text']!r}): the dataset or its split changed.")
    return model.predict_labels([texts[index]])[0]
