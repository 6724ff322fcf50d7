import keras
import numpy as np
import pytest

from shared import Backbone, Classifier, MultiLabelClassifier, Regressor
from tests.testing import run_model_saving_test


def _data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((n, 8, 8, 1)).astype("float32")
    label = (x[:, :4].mean(axis=(1, 2, 3)) > x[:, 4:].mean(axis=(1, 2, 3))).astype("int64")
    return x, label


def _backbone():
    return Backbone((8, 8, 1), filters=(4,), pooling="max")


@pytest.mark.parametrize(
    "make, loss",
    [(lambda b: Classifier(b, 3), keras.losses.SparseCategoricalCrossentropy),
     (lambda b: MultiLabelClassifier(b, 4), keras.losses.BinaryCrossentropy),
     (lambda b: Regressor(b, outputs=2), keras.losses.MeanSquaredError)],
)
def test_tasks_use_the_classic_loss_layers(make, loss):
    task = make(_backbone())
    assert isinstance(task.loss, loss)


def test_classifier_outputs_probabilities_and_logits():
    task = Classifier(_backbone(), 3)
    x, _ = _data(4)
    probabilities = task.predict(x, verbose=0)
    logits = task.logits_model().predict(x, verbose=0)
    np.testing.assert_allclose(probabilities, keras.ops.convert_to_numpy(keras.ops.softmax(logits)), rtol=1e-5)


@pytest.mark.parametrize(
    "make",
    [lambda b: Classifier(b, 3, hidden_units=(5,), dropout=0.2, head_kernel_constraint=keras.constraints.MaxNorm(3)),
     lambda b: MultiLabelClassifier(b, 2), lambda b: Regressor(b)],
)
def test_save_and_load_give_identical_predictions(tmp_path, make):
    task = make(_backbone())
    x, _ = _data(6)
    run_model_saving_test(task, x, tmp_path)


def test_classifier_learns_a_separable_problem():
    keras.utils.set_random_seed(0)
    x, y = _data(256)
    task = Classifier(Backbone((8, 8, 1), filters=(8,), pooling=None, global_pooling="flatten"), 2)
    task.compile(optimizer=keras.optimizers.Adam(1e-2))
    task.fit(x, y, epochs=15, batch_size=32, verbose=0)
    assert task.evaluate(x, y, verbose=0, return_dict=True)["accuracy"] > 0.85


def test_regressor_reduces_euclidean_loss():
    keras.utils.set_random_seed(0)
    x, y = _data(128)
    target = x.mean(axis=(1, 2, 3))[:, None] * 4
    task = Regressor(Backbone((8, 8, 1), filters=(4,), pooling="avg"))
    task.compile(optimizer=keras.optimizers.Adam(1e-2))
    before = task.evaluate(x, target, verbose=0, return_dict=True)["loss"]
    task.fit(x, target, epochs=10, verbose=0)
    after = task.evaluate(x, target, verbose=0, return_dict=True)["loss"]
    assert after < before / 4


def test_task_on_a_two_input_backbone(tmp_path):
    left = Backbone((10,), filters=(4,), conv_dims=1, vocab_size=8, embed_dim=3, global_pooling="max",
                    pooling=None, name="left")
    right = Backbone((12,), filters=(4,), conv_dims=1, vocab_size=5, embed_dim=3, global_pooling="max",
                     pooling=None, name="right")
    joined = keras.layers.Concatenate()([left(left.input), right(right.input)])
    pair = keras.Model([left.input, right.input], joined, name="pair")
    task = Regressor(pair, hidden_units=(8,))
    inputs = [np.random.default_rng(0).integers(0, 8, (3, 10)), np.random.default_rng(1).integers(0, 5, (3, 12))]
    assert task.predict(inputs, verbose=0).shape == (3, 1)
    run_model_saving_test(task, inputs, tmp_path)


def test_bad_task_arguments():
    with pytest.raises(ValueError, match="num_classes must be an int >= 2"):
        Classifier(_backbone(), 1)
    with pytest.raises(ValueError, match="backbone must be a keras.Model"):
        Classifier("resnet", 3)
    with pytest.raises(ValueError, match=r"The 'pooling' parameter of Regressor must be one of .*; got 'median'"):
        Regressor(_backbone(), pooling="median")
    with pytest.raises(ValueError, match="'learning_rate' parameter of Classifier was removed"):
        Classifier(_backbone(), 3, learning_rate=1e-2)


def test_compile_auto_uses_the_task_defaults_and_config_has_no_training_settings():
    task = Classifier(_backbone(), 3)
    assert isinstance(task.optimizer, keras.optimizers.Adam)
    assert float(task.optimizer.learning_rate) == pytest.approx(1e-3)
    assert isinstance(task.loss, keras.losses.SparseCategoricalCrossentropy)
    task.compile(optimizer="sgd", loss="auto")
    assert isinstance(task.optimizer, keras.optimizers.SGD)
    assert isinstance(task.loss, keras.losses.SparseCategoricalCrossentropy)
    assert "learning_rate" not in task.get_config()


def test_loads_a_config_saved_with_a_learning_rate():
    task = Classifier(_backbone(), 3)
    config = task.get_config() | {"learning_rate": 0.5}
    restored = Classifier.from_config(config)
    assert restored.num_classes == 3 and "learning_rate" not in restored.get_config()


@pytest.mark.parametrize("trained", [True, False], ids=["trained", "untrained"])
def test_load_weights_restores_the_optimizer_without_a_warning(tmp_path, trained):
    import warnings

    x, y = _data(32)
    keras.utils.set_random_seed(0)
    task = Classifier(_backbone(), 2)
    if trained:
        task.fit(x, y, epochs=1, batch_size=16, verbose=0)
    task.save_weights(tmp_path / "task.weights.h5")
    again = Classifier(_backbone(), 2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        again.load_weights(tmp_path / "task.weights.h5")
    assert not [w for w in caught if "Skipping variable loading" in str(w.message)]
    assert int(keras.ops.convert_to_numpy(again.optimizer.iterations)) == (2 if trained else 0)
    np.testing.assert_allclose(again.predict(x, verbose=0), task.predict(x, verbose=0), rtol=1e-6)


def test_predict_in_batches_returns_what_predict_returns():
    from shared.tasks import predict_in_batches

    x, _ = _data(37)
    model = Classifier(_backbone(), 3)
    expected = model.predict(x, batch_size=8, verbose=0)
    got = predict_in_batches(model, x, batch_size=8)  # four full slices and one of 5 rows
    assert got.shape == (37, 3)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)

    inputs = [keras.Input((8, 8, 1)), keras.Input((2,))]
    pair = keras.Model(inputs, [model(inputs[0]), keras.layers.Dense(1)(inputs[1])])
    extra = np.random.default_rng(1).random((37, 2)).astype("float32")
    probabilities, values = predict_in_batches(pair, [x, extra], batch_size=16)
    np.testing.assert_allclose(probabilities, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(values, pair.predict([x, extra], verbose=0)[1], rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="The 'batch_size' parameter of predict_in_batches must be a positive int"):
        predict_in_batches(model, x, batch_size=0)
    with pytest.raises(ValueError, match="must hold at least one row; got 0 rows"):
        predict_in_batches(model, x[:0])
