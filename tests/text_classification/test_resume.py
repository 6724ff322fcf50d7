"""Exact resume of text training: Ctrl-C or a crash mid-epoch, then the same call again."""

import json

import numpy as np
import pytest

from apps.text_classification import train as text_train
from tests.testing import stop_fit_during


def _stopping_in(monkeypatch, epoch, error):
    stop_fit_during(monkeypatch, text_train, epoch, error, "shared_fit")


def _train(texts, labels, checkpoint_dir=None):
    return text_train.train_model(texts, labels, ["positive", "negative"], model="kim", epochs=4, patience=5,
                                  verbose=0, embed_dim=8, filters=4, learning_rate=1e-2, checkpoint_dir=checkpoint_dir)


def test_kim_training_stopped_by_ctrl_c_then_a_crash_resumes_exactly(tmp_path, make_texts, monkeypatch, capfd):
    texts, labels = make_texts(160, seed=2)
    reference, _, reference_info = _train(texts, labels)
    checkpoint = tmp_path / "checkpoints"
    with monkeypatch.context() as patch:
        _stopping_in(patch, 1, KeyboardInterrupt)
        with pytest.raises(KeyboardInterrupt):
            _train(texts, labels, checkpoint)
    assert json.loads((checkpoint / "state.json").read_text())["epoch"] == 1
    with monkeypatch.context() as patch:
        _stopping_in(patch, 2, RuntimeError)
        with pytest.raises(RuntimeError):
            _train(texts, labels, checkpoint)
    assert json.loads((checkpoint / "state.json").read_text())["epoch"] == 2
    capfd.readouterr()
    resumed, _, resumed_info = _train(texts, labels, checkpoint)
    assert "resuming from epoch 3 of 4" in capfd.readouterr().err
    assert resumed_info["history"] == reference_info["history"]
    for a, b in zip(reference.get_weights(), resumed.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert text_train.evaluate(resumed, texts, labels) == text_train.evaluate(reference, texts, labels)


def test_bucketed_batches_depend_only_on_seed_and_epoch(make_texts):
    from apps.text_classification.batching import LengthBucketedBatches

    ids = np.random.default_rng(0).integers(1, 50, (90, 12)) * (np.arange(12) < np.arange(90)[:, None] % 12 + 1)
    labels = np.arange(90) % 2
    walked = LengthBucketedBatches(ids, labels, batch_size=16, seed=3)
    for _ in range(3):  # three passes of model.fit
        walked.on_epoch_end()
    jumped = LengthBucketedBatches(ids, labels, batch_size=16, seed=3)
    jumped.set_epoch(3)
    assert [b.tolist() for b in walked.batches] == [b.tolist() for b in jumped.batches]
    jumped.set_epoch(0)
    assert [b.tolist() for b in jumped.batches] != [b.tolist() for b in walked.batches]


_CTRL_C_DRIVER = """
import os, signal, sys
import keras
from shared import training

class CtrlC(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch
    def on_train_batch_end(self, batch, logs=None):
        if self.epoch == 1 and batch == 1:
            os.kill(os.getpid(), signal.SIGINT)

if os.environ.get("CTRL_C_IN_EPOCH_2"):
    real = training.fit
    training.fit = lambda *a, callbacks=None, **k: real(*a, callbacks=[*(callbacks or []), CtrlC()], **k)
from apps.cli import main
sys.exit(main())  # as the `cnnkit` program runs it
"""


def test_ctrl_c_in_the_command_resumes_without_a_traceback(tmp_path, make_texts, capsys):
    import csv
    import os
    import subprocess
    import sys

    from apps.cli import main

    texts, labels = make_texts(200, seed=4)
    data = tmp_path / "reviews.csv"
    with open(data, "w", newline="") as handle:
        csv.writer(handle).writerows([("text", "label"), *zip(texts, ["good", "bad"] * 100)])
    argv = ["text", "train", "--data", str(data), "--epochs", "3", "--patience", "5", "--checkpoints", "--json"]
    assert main([*argv, "--out", str(tmp_path / "reference")]) == 0
    reference = json.loads(capsys.readouterr().out.splitlines()[-1])

    def command(**env):
        return subprocess.run([sys.executable, "-c", _CTRL_C_DRIVER, *argv, "--out", str(tmp_path / "run")],
                              capture_output=True, text=True, timeout=300, env={**os.environ, **env})

    interrupted = command(CTRL_C_IN_EPOCH_2="1")
    assert interrupted.returncode == 130, interrupted.stderr[-2000:]
    assert interrupted.stderr.endswith("interrupted; run the same command again to resume from epoch 2\n")
    assert "Traceback" not in interrupted.stderr and "KeyboardInterrupt" not in interrupted.stderr
    resumed = command()
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "resuming from epoch 2 of 3" in resumed.stderr and "Skipping variable loading" not in resumed.stderr
    result = json.loads(resumed.stdout.splitlines()[-1])
    assert result["resumed_from_epoch"] == 2 and reference["resumed_from_epoch"] is None
    for key in ("accuracy", "macro_f1", "epochs_run", "test_count"):
        assert result[key] == reference[key], key
