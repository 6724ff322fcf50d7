"""Label-smoothed softmax cross-entropy on integer labels."""

import keras
import numpy as np
import pytest

from shared.losses import SparseCategoricalCrossentropyWithLabelSmoothing


def _numpy(value):
    return float(keras.ops.convert_to_numpy(value))


def test_zero_smoothing_equals_sparse_categorical_crossentropy():
    y_true = np.array([0, 2, 1])
    y_pred = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.25, 0.5, 0.25]], "float32")
    expected = _numpy(keras.losses.SparseCategoricalCrossentropy()(y_true, y_pred))
    got = _numpy(SparseCategoricalCrossentropyWithLabelSmoothing(0.0)(y_true, y_pred))
    assert got == pytest.approx(expected, rel=1e-5)
    assert got == pytest.approx(-np.mean(np.log([0.7, 0.6, 0.5])), rel=1e-5)


def test_smoothed_target_value_on_a_known_input():
    # target (1 - 0.2) * one_hot + 0.2 / 2 -> [0.9, 0.1]; loss = -(0.9 log 0.8 + 0.1 log 0.2)
    loss = SparseCategoricalCrossentropyWithLabelSmoothing(0.2)
    got = _numpy(loss(np.array([[0]]), np.array([[0.8, 0.2]], "float32")))
    assert got == pytest.approx(-(0.9 * np.log(0.8) + 0.1 * np.log(0.2)), rel=1e-5)
    # a uniform prediction costs log(K) whatever the smoothing
    uniform = _numpy(loss(np.array([3]), np.full((1, 4), 0.25, "float32")))
    assert uniform == pytest.approx(np.log(4), rel=1e-5)


def test_config_round_trip_and_bad_value():
    loss = SparseCategoricalCrossentropyWithLabelSmoothing(0.2)
    clone = keras.losses.deserialize(keras.losses.serialize(loss))
    assert isinstance(clone, SparseCategoricalCrossentropyWithLabelSmoothing)
    assert clone.label_smoothing == 0.2
    with pytest.raises(ValueError, match=r"label_smoothing must be in \[0, 1\)"):
        SparseCategoricalCrossentropyWithLabelSmoothing(1.0)
