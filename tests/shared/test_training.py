import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from shared import Backbone, Classifier, training

HERE = Path(__file__).resolve().parent


def _data():
    rng = np.random.default_rng(0)
    return rng.random((96, 10, 10, 1)).astype("float32"), rng.integers(0, 3, 96)


def _build():
    keras.utils.set_random_seed(1)
    return Classifier(Backbone((10, 10, 1), filters=(4,), pooling="fractional", dropout=0.2), 3, dropout=0.3)


class _Kill(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        if epoch == 1:
            raise KeyboardInterrupt("simulated kill")


def test_killed_run_resumes_to_identical_weights(tmp_path):
    x, y = _data()
    uninterrupted = _build()
    full = training.fit(uninterrupted, (x, y), epochs=4, batch_size=16, seed=3, verbose=0)
    with pytest.raises(KeyboardInterrupt):
        training.fit(_build(), (x, y), epochs=4, batch_size=16, seed=3, verbose=0,
                     checkpoint_dir=tmp_path, callbacks=[_Kill()])
    assert json.loads((tmp_path / "state.json").read_text())["epoch"] == 2
    resumed_model = _build()
    resumed = training.fit(resumed_model, (x, y), epochs=4, batch_size=16, seed=3, verbose=0,
                           checkpoint_dir=tmp_path)
    np.testing.assert_allclose(resumed.history["loss"], full.history["loss"], rtol=1e-6)
    for a, b in zip(uninterrupted.get_weights(), resumed_model.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    assert (tmp_path / training.CHECKPOINT_MODEL).exists()
    loaded = keras.models.load_model(tmp_path / training.CHECKPOINT_MODEL)
    np.testing.assert_allclose(loaded.predict(x[:4], verbose=0), resumed_model.predict(x[:4], verbose=0), rtol=1e-5)


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
    env = dict(os.environ)
    env.pop("KERAS_BACKEND", None)
    result = subprocess.run([sys.executable, str(HERE / "distribution_check.py"), mode], env=env,
                            capture_output=True, text=True, timeout=300)
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
    with pytest.raises(ValueError, match="different configuration"):
        training.fit(other, (x, y), epochs=2, batch_size=32, verbose=0, checkpoint_dir=tmp_path)
    history = training.fit(other, (x, y), epochs=1, batch_size=32, verbose=0, checkpoint_dir=tmp_path,
                           resume=False)
    assert len(history.history["loss"]) == 1
