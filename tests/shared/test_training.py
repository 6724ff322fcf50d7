import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from shared import Backbone, Classifier, training
from tests.testing import StopDuring

HERE = Path(__file__).resolve().parent


def _data():
    rng = np.random.default_rng(0)
    return rng.random((96, 10, 10, 1)).astype("float32"), rng.integers(0, 3, 96)


def _build():
    keras.utils.set_random_seed(1)
    return Classifier(Backbone((10, 10, 1), filters=(4,), pooling="fractional", dropout=0.2), 3, dropout=0.3)


def _same_weights(a, b):
    for left, right in zip(a.get_weights(), b.get_weights(), strict=True):
        np.testing.assert_array_equal(left, right)


@pytest.mark.parametrize("error", [KeyboardInterrupt, RuntimeError], ids=["ctrl-c", "crash"])
def test_a_run_stopped_mid_epoch_resumes_to_identical_weights(tmp_path, capfd, error):
    x, y = _data()
    uninterrupted = _build()
    full = training.fit(uninterrupted, (x, y), validation=(x[:32], y[:32]), epochs=4, batch_size=16, seed=3,
                        verbose=0, log_dir=tmp_path / "full")
    with pytest.raises(error):
        training.fit(_build(), (x, y), validation=(x[:32], y[:32]), epochs=4, batch_size=16, seed=3, verbose=0,
                     checkpoint_dir=tmp_path / "run", log_dir=tmp_path / "run", callbacks=[StopDuring(2, error)])
    assert json.loads((tmp_path / "run" / training.CHECKPOINT_STATE).read_text())["epoch"] == 2
    capfd.readouterr()
    resumed_model = _build()
    resumed = training.fit(resumed_model, (x, y), validation=(x[:32], y[:32]), epochs=4, batch_size=16, seed=3,
                           verbose=0, checkpoint_dir=tmp_path / "run", log_dir=tmp_path / "run")
    assert "resuming from epoch 3 of 4" in capfd.readouterr().err
    assert resumed.history == full.history
    _same_weights(uninterrupted, resumed_model)
    loaded = keras.models.load_model(tmp_path / "run" / training.CHECKPOINT_MODEL)
    np.testing.assert_allclose(loaded.predict(x[:4], verbose=0), resumed_model.predict(x[:4], verbose=0), rtol=1e-5)
    log = (tmp_path / "run" / "training_log.csv").read_text().splitlines()
    assert len(log) == 5 and [line.split(",")[0] for line in log[1:]] == ["0", "1", "2", "3"]


def test_a_stop_while_the_checkpoint_is_written_keeps_the_previous_one(tmp_path, monkeypatch):
    x, y = _data()
    uninterrupted = _build()
    training.fit(uninterrupted, (x, y), epochs=3, batch_size=16, seed=3, verbose=0)
    written = []
    real_fsync = training._fsync

    def interrupted_fsync(path):
        # The second epoch's folder is half written (weights and optimizer state, no state.json).
        if Path(path).name.startswith("epoch-0002") or Path(path).parent.name.startswith("epoch-0002"):
            written.append(path)
            raise KeyboardInterrupt
        real_fsync(path)

    monkeypatch.setattr(training, "_fsync", interrupted_fsync)
    with pytest.raises(KeyboardInterrupt):
        training.fit(_build(), (x, y), epochs=3, batch_size=16, seed=3, verbose=0, checkpoint_dir=tmp_path,
                     log_dir=tmp_path)
    monkeypatch.setattr(training, "_fsync", real_fsync)
    assert written and json.loads((tmp_path / training.CHECKPOINT_STATE).read_text())["epoch"] == 1
    assert len((tmp_path / "training_log.csv").read_text().splitlines()) == 3  # a row of the unsaved epoch
    resumed_model = _build()
    training.fit(resumed_model, (x, y), epochs=3, batch_size=16, seed=3, verbose=0, checkpoint_dir=tmp_path,
                 log_dir=tmp_path)
    _same_weights(uninterrupted, resumed_model)
    assert len((tmp_path / "training_log.csv").read_text().splitlines()) == 4
    assert [p.name for p in tmp_path.iterdir() if p.is_dir()] == [
        json.loads((tmp_path / training.CHECKPOINT_STATE).read_text())["folder"]]


class _ShuffledEveryEpoch(keras.utils.PyDataset):
    """A PyDataset that reshuffles with its own seeded generator in on_epoch_end (no set_epoch)."""

    def __init__(self, x, y, batch_size, seed):
        super().__init__()
        self.x, self.y, self.batch_size = x, y, batch_size
        self.rng = np.random.default_rng(seed)
        self.order = self.rng.permutation(len(x))

    def __len__(self):
        return -(-len(self.x) // self.batch_size)

    def __getitem__(self, index):
        rows = self.order[index * self.batch_size:(index + 1) * self.batch_size]
        return self.x[rows], self.y[rows]

    def on_epoch_end(self):
        self.order = self.rng.permutation(len(self.x))


class _EpochSet(_ShuffledEveryEpoch):
    """The same batches, ordered by set_epoch(epoch) from (seed, epoch); records the epochs set."""

    def __init__(self, x, y, batch_size, seed):
        super().__init__(x, y, batch_size, seed)
        self.seed, self.epochs_set = seed, []

    def set_epoch(self, epoch):
        self.epochs_set.append(epoch)
        self.order = np.random.default_rng([self.seed, epoch]).permutation(len(self.x))

    def on_epoch_end(self):
        pass


@pytest.mark.parametrize("kind", [_ShuffledEveryEpoch, _EpochSet], ids=["epoch-hooks", "set_epoch"])
def test_py_datasets_resume_to_the_same_data_order(tmp_path, kind):
    x, y = _data()
    uninterrupted = _build()
    full = training.fit(uninterrupted, kind(x, y, 16, seed=5), epochs=4, seed=3, verbose=0)
    with pytest.raises(KeyboardInterrupt):
        training.fit(_build(), kind(x, y, 16, seed=5), epochs=4, seed=3, verbose=0, checkpoint_dir=tmp_path,
                     callbacks=[StopDuring(2)])
    resumed_model, dataset = _build(), kind(x, y, 16, seed=5)
    resumed = training.fit(resumed_model, dataset, epochs=4, seed=3, verbose=0, checkpoint_dir=tmp_path)
    assert resumed.history == full.history
    _same_weights(uninterrupted, resumed_model)
    if kind is _EpochSet:
        assert dataset.epochs_set[-2:] == [2, 3]


def test_early_stopping_with_best_weights_resumes_and_a_finished_run_ends_the_same(tmp_path, capfd):
    from shared.callbacks import ResumableEarlyStopping

    x, y = _data()

    def run(model, **kwargs):
        stopper = ResumableEarlyStopping(monitor="val_loss", patience=1, restore_best_weights=True)
        return training.fit(model, (x, y), validation=(x[:32], y[:32]), epochs=12, batch_size=16, seed=3,
                            verbose=0, callbacks=[stopper, *kwargs.pop("callbacks", [])], **kwargs)

    def compiled():
        model = _build()
        model.compile(optimizer=keras.optimizers.Adam(0.05), loss="sparse_categorical_crossentropy")
        return model

    uninterrupted = compiled()
    full = run(uninterrupted)
    epochs = len(full.history["loss"])
    best = int(np.argmin(full.history["val_loss"]))
    assert epochs < 12 and best < epochs - 1  # it stopped early, and the best epoch was not the last
    with pytest.raises(KeyboardInterrupt):
        run(compiled(), checkpoint_dir=tmp_path, callbacks=[StopDuring(epochs - 1)])
    resumed_model = compiled()
    assert run(resumed_model, checkpoint_dir=tmp_path).history == full.history
    _same_weights(uninterrupted, resumed_model)
    assert json.loads((tmp_path / training.CHECKPOINT_STATE).read_text())["finished"] is True
    capfd.readouterr()
    again = compiled()
    assert run(again, checkpoint_dir=tmp_path).history == full.history
    assert "holds a finished run" in capfd.readouterr().err
    _same_weights(uninterrupted, again)


class _ScriptedValidationLoss(keras.callbacks.Callback):
    """Reports a chosen val_loss per epoch to the callbacks after it (they share the logs)."""

    def __init__(self, values):
        super().__init__()
        self.values = values

    def on_epoch_end(self, epoch, logs=None):
        logs["val_loss"] = self.values[epoch]


def test_best_model_checkpoint_keeps_its_best_value_across_a_resume(tmp_path):
    from shared.callbacks import ResumableModelCheckpoint

    x, y = _data()
    scripted = [1.0, 2.0, 3.0, 4.0]  # the first epoch stays the best

    def run(out, checkpoint_dir=None, stop=()):
        best = ResumableModelCheckpoint(out, monitor="val_loss", save_best_only=True)
        return training.fit(_build(), (x, y), epochs=4, batch_size=16, seed=3, verbose=0, checkpoint_dir=checkpoint_dir,
                            callbacks=[_ScriptedValidationLoss(scripted), best, *stop])

    run(tmp_path / "reference.keras")
    with pytest.raises(KeyboardInterrupt):
        run(tmp_path / "best.keras", tmp_path / "run", stop=[StopDuring(2)])
    run(tmp_path / "best.keras", tmp_path / "run")
    saved, reference = (keras.models.load_model(tmp_path / name) for name in ("best.keras", "reference.keras"))
    _same_weights(reference, saved)


def test_resuming_does_not_warn_about_optimizer_variables(tmp_path):
    import warnings

    x, y = _data()
    training.fit(_build(), (x, y), epochs=1, batch_size=32, verbose=0, checkpoint_dir=tmp_path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        training.fit(_build(), (x, y), epochs=2, batch_size=32, verbose=0, checkpoint_dir=tmp_path)
    assert not [w for w in caught if "optimizer" in str(w.message)], [str(w.message) for w in caught]


@pytest.fixture(scope="module")
def one_epoch_checkpoint(tmp_path_factory):
    folder = tmp_path_factory.mktemp("checkpoint")
    x, y = _data()
    training.fit(_build(), (x, y), epochs=1, batch_size=32, verbose=0, checkpoint_dir=folder, save_model=False)
    return folder


@pytest.mark.parametrize("damage", ["state-json", "state-epoch", "weights", "optimizer", "folder"])
def test_a_damaged_checkpoint_names_the_file_and_how_to_start_over(tmp_path, one_epoch_checkpoint, damage):
    import shutil

    checkpoint = tmp_path / "checkpoint"
    shutil.copytree(one_epoch_checkpoint, checkpoint)
    state_path = checkpoint / training.CHECKPOINT_STATE
    folder = checkpoint / json.loads(state_path.read_text())["folder"]
    if damage == "state-json":
        broken = state_path
        broken.write_text('{"epoch": 1, "hist')
    elif damage == "state-epoch":
        broken = state_path
        broken.write_text('{"epoch": "one"}')
    elif damage == "weights":
        broken = folder / training.CHECKPOINT_WEIGHTS
        broken.write_bytes(broken.read_bytes()[:300])
    elif damage == "optimizer":
        broken = folder / "optimizer.npz"
        broken.write_bytes(b"not a zip file")
    else:
        broken = folder
        shutil.rmtree(folder)
    x, y = _data()
    with pytest.raises(ValueError) as raised:
        training.fit(_build(), (x, y), epochs=2, batch_size=32, verbose=0, checkpoint_dir=checkpoint)
    message = str(raised.value)
    assert message.startswith(f"{broken}: cannot resume from this training checkpoint")
    assert f"delete the folder {checkpoint}" in message and "--fresh" in message
    if damage == "state-json":
        history = training.fit(_build(), (x, y), epochs=1, batch_size=32, verbose=0, checkpoint_dir=checkpoint,
                               resume=False)
        assert len(history.history["loss"]) == 1


def test_starting_over_forgets_the_old_checkpoint(tmp_path):
    x, y = _data()
    training.fit(_build(), (x, y), epochs=2, batch_size=32, verbose=0, checkpoint_dir=tmp_path)
    with pytest.raises(KeyboardInterrupt):
        training.fit(_build(), (x, y), epochs=2, batch_size=16, verbose=0, checkpoint_dir=tmp_path, resume=False,
                     callbacks=[StopDuring(0)])
    assert not (tmp_path / training.CHECKPOINT_STATE).exists()
    assert not [p for p in tmp_path.iterdir() if p.is_dir()]


def test_finished_run_is_not_trained_again(tmp_path):
    x, y = _data()
    model = _build()
    training.fit(model, (x, y), epochs=2, batch_size=32, verbose=0, checkpoint_dir=tmp_path)
    weights = model.get_weights()
    again = _build()
    history = training.fit(again, (x, y), epochs=2, batch_size=32, verbose=0, checkpoint_dir=tmp_path)
    assert len(history.history["loss"]) == 2
    for a, b in zip(weights, again.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_early_stopping_and_csv_log(tmp_path):
    x, y = _data()
    model = _build()
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss="sparse_categorical_crossentropy")
    history = training.fit(model, (x, y), validation=(x[:32], y[:32]), epochs=20, batch_size=32,
                           early_stopping_patience=2, log_dir=tmp_path, verbose=0)
    assert len(history.history["loss"]) < 20
    lines = (tmp_path / "training_log.csv").read_text().strip().splitlines()
    assert lines[0].startswith("epoch") and len(lines) == len(history.history["loss"]) + 1


def test_multi_input_arrays_and_validation():
    rng = np.random.default_rng(0)
    a = Backbone((6,), filters=(2,), conv_dims=1, vocab_size=5, embed_dim=2, pooling=None, global_pooling="max")
    b = Backbone((4,), filters=(2,), conv_dims=1, vocab_size=5, embed_dim=2, pooling=None, global_pooling="max",
                 name="b")
    pair = keras.Model([a.input, b.input], keras.layers.Concatenate()([a(a.input), b(b.input)]))
    model = Classifier(pair, 2)
    x = [rng.integers(0, 5, (40, 6)), rng.integers(0, 5, (40, 4))]
    y = rng.integers(0, 2, 40)
    history = training.fit(model, (x, y), validation=(x, y), epochs=2, batch_size=8, verbose=0)
    assert set(history.history) >= {"loss", "val_loss", "accuracy"}


tensorflow_only = pytest.mark.skipif(keras.backend.backend() != "tensorflow",
                                     reason="the tf.data feed of in-memory arrays is TensorFlow's")


@tensorflow_only
def test_the_tf_data_feed_gives_the_array_datasets_batches_in_every_epoch():
    rng = np.random.default_rng(0)
    x = {"a": rng.random((37, 3)).astype("float32"), "b": rng.integers(0, 9, (37, 2))}
    y, weights = rng.integers(0, 3, 37), rng.random(37)
    arrays = training.ArrayDataset(x, y, weights, batch_size=8, seed=4)
    feed = training._TFArrayFeed(training.ArrayDataset(x, y, weights, batch_size=8, seed=4))
    for epoch in (0, 1, 5):
        arrays.set_epoch(epoch)
        feed.set_epoch(epoch)
        batches = list(feed.dataset.as_numpy_iterator())
        assert len(batches) == len(arrays) == 5 and len(batches[-1][1]) == 37 - 4 * 8
        for index, (inputs, labels, sample_weight) in enumerate(batches):
            expected = arrays[index]
            for key in x:
                np.testing.assert_array_equal(inputs[key], expected[0][key])
            np.testing.assert_array_equal(labels, expected[1])
            np.testing.assert_array_equal(sample_weight, expected[2])
    assert feed.epoch == 5


@tensorflow_only
def test_fit_on_arrays_through_tf_data_trains_as_through_the_py_dataset(monkeypatch):
    x, y = _data()
    fed = _build()
    fed_history = training.fit(fed, (x, y), epochs=2, batch_size=16, seed=3, verbose=0)
    monkeypatch.setattr(training, "TF_FEED_MAX_BYTES", 0)  # arrays over the limit stay a PyDataset
    assert not training._TFArrayFeed.suits(training.ArrayDataset(x, y), None)
    generated = _build()
    generated_history = training.fit(generated, (x, y), epochs=2, batch_size=16, seed=3, verbose=0)
    np.testing.assert_allclose(fed_history.history["loss"], generated_history.history["loss"], rtol=1e-5)
    for left, right in zip(fed.get_weights(), generated.get_weights(), strict=True):
        np.testing.assert_allclose(left, right, rtol=1e-4, atol=1e-6)


def test_bad_arguments():
    x, y = _data()
    model = _build()
    with pytest.raises(ValueError, match="same length"):
        training.fit(model, (x, y[:10]), verbose=0)
    with pytest.raises(ValueError, match="Unknown distribute"):
        training.fit(model, (x, y), distribute="ring", verbose=0)
    with pytest.raises(ValueError, match="mixed_precision=True"):
        training.fit(model, (x, y), mixed_precision=True, verbose=0)
    with pytest.raises(ValueError, match="compiled model"):
        training.fit(keras.Sequential([keras.layers.Dense(1)]), (x, y), verbose=0)
    wrong = "data_parallel" if keras.backend.backend() == "tensorflow" else "mirrored"
    with pytest.raises(ValueError, match="needs KERAS_BACKEND"):
        training.fit(model, (x, y), distribute=wrong, verbose=0)


@pytest.mark.parametrize("mode, tolerance", [("mirrored", 0.02), ("data_parallel", 1e-4)])
def test_two_devices_give_the_same_loss_curve(mode, tolerance):
    env = {**os.environ, "PYTHONPATH": str(HERE.parents[1])}
    env.pop("KERAS_BACKEND", None)
    result = subprocess.run([sys.executable, str(HERE / "distribution_check.py"), mode], env=env,
                            cwd=HERE.parents[1], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    curves = json.loads(result.stdout.strip().splitlines()[-1])
    assert curves["devices"] == 2
    np.testing.assert_allclose(curves["multi"], curves["single"], atol=tolerance)


def test_mixed_precision_policy_trains(tmp_path):
    policy = training.use_mixed_precision()
    try:
        model = _build()
        assert model.dtype_policy.name == policy
        x, y = _data()
        history = training.fit(model, (x, y), epochs=1, batch_size=32, verbose=0, mixed_precision=True)
        assert np.isfinite(history.history["loss"][0])
        assert model.output.dtype == "float32"
    finally:
        training.use_mixed_precision(False)


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="TensorBoard writer needs TensorFlow")
def test_tensorboard_logs(tmp_path):
    x, y = _data()
    training.fit(_build(), (x, y), epochs=1, batch_size=32, verbose=0, log_dir=tmp_path, tensorboard=True)
    assert list((tmp_path / "tensorboard").rglob("events.out.tfevents.*"))


def test_checkpoint_of_a_different_model_is_refused(tmp_path):
    x, y = _data()
    training.fit(_build(), (x, y), epochs=1, batch_size=32, verbose=0, checkpoint_dir=tmp_path)
    other = Classifier(Backbone((10, 10, 1), filters=(4,), pooling="fractional", dropout=0.5), 3, dropout=0.3)
    with pytest.raises(ValueError, match=r"different configuration \(backbone\.config\.dropout: 0\.2 -> 0\.5\)"):
        training.fit(other, (x, y), epochs=2, batch_size=32, verbose=0, checkpoint_dir=tmp_path)
    history = training.fit(other, (x, y), epochs=1, batch_size=32, verbose=0, checkpoint_dir=tmp_path,
                           resume=False)
    assert len(history.history["loss"]) == 1


def test_a_checkpoint_from_before_a_setting_existed_resumes_at_its_default(tmp_path):
    """A checkpoint written by an older cnnkit, whose Backbone had no 'mask_padding' yet, resumes."""
    x, y = _data()
    model = _build()
    training.fit(model, (x, y), epochs=1, batch_size=32, verbose=0, checkpoint_dir=tmp_path)
    state_path = tmp_path / "state.json"
    state = json.loads(state_path.read_text())
    assert state["model_config"]["backbone"]["config"]["mask_padding"] is False
    del state["model_config"]["backbone"]["config"]["mask_padding"]  # as the older code wrote it
    state["model_fingerprint"] = training._config_fingerprint(_build(), state["model_config"])
    state_path.write_text(json.dumps(state))
    again = _build()
    history = training.fit(again, (x, y), epochs=1, batch_size=32, verbose=0, checkpoint_dir=tmp_path)
    assert len(history.history["loss"]) == 1
    _same_weights(model, again)  # the finished run was loaded, not trained again
    # the same setting at another value is a different model, and the message says which setting
    state["model_config"]["backbone"]["config"]["dropout"] = 0.4
    state["model_fingerprint"] = training._config_fingerprint(_build(), state["model_config"])
    state_path.write_text(json.dumps(state))
    with pytest.raises(ValueError, match=r"backbone\.config\.dropout: 0\.4 -> 0\.2"):
        training.fit(_build(), (x, y), epochs=2, batch_size=32, verbose=0, checkpoint_dir=tmp_path)
