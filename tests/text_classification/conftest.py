"""Fixtures for the text classification tests: tiny models trained once per session."""

import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def synthetic_texts(n=240, seed=0):
    """Two separable classes: 'good' words vs 'bad' words mixed with shared filler."""
    rng = np.random.default_rng(seed)
    good, bad = ["great", "superb", "moving", "fine"], ["dull", "awful", "boring", "weak"]
    filler = ["the", "film", "a", "plot", "is", "and", "story", "actors"]
    texts, labels = [], []
    for i in range(n):
        label = i % 2
        words = list(rng.choice(filler, size=rng.integers(3, 9)))
        words.insert(int(rng.integers(0, len(words))), str(rng.choice(bad if label else good)))
        texts.append(" ".join(words))
        labels.append(label)
    return texts, np.asarray(labels, dtype="int32")


@pytest.fixture(scope="session")
def make_texts():
    """The ``synthetic_texts(n, seed)`` generator, for tests that need their own slice."""
    return synthetic_texts


@pytest.fixture(scope="session")
def tiny_kim(tmp_path_factory):
    """A small Kim CNN trained on synthetic data, and its saved .keras path."""
    from apps.text_classification.train import train_model

    texts, labels = synthetic_texts()
    classifier, _, info = train_model(texts, labels, ["positive", "negative"], model="kim", epochs=6, patience=None,
                                      verbose=0, embed_dim=16, filters=8, learning_rate=1e-2, dev_fraction=0.1)
    path = tmp_path_factory.mktemp("kim") / "model.keras"
    classifier.save(path)
    return classifier, path, texts, labels


@pytest.fixture(scope="session")
def mr_model(tmp_path_factory, data_available):
    """`cnnkit text train` on 300 MR sentences, one epoch: the saved model directory."""
    from apps.text_classification.cli import main

    out = tmp_path_factory.mktemp("mr_run")
    assert main(["train", "--data", "mr", "--limit", "300", "--epochs", "1", "--out", str(out), "--json"]) == 0
    return out
