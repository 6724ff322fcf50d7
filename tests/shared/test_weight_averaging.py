"""Weight averaging (model soups): the mean, the coefficients, and refusals of mismatched networks."""

import keras
import numpy as np
import pytest

from shared.weight_averaging import average_weights


def dense_model(units=3, seed=0):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(units, name="dense")])
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(size=w.shape).astype("float32") for w in model.get_weights()])
    return model


def test_uniform_and_weighted_means_of_the_weights():
    first, second = dense_model(seed=1), dense_model(seed=2)
    averaged = average_weights([first, second])
    for mine, theirs, mean in zip(first.get_weights(), second.get_weights(), averaged):
        np.testing.assert_allclose(mean, (mine + theirs) / 2, rtol=1e-6)
        assert mean.dtype == np.float32
    weighted = average_weights([first, second], coefficients=[3, 1])  # normalised to 0.75 / 0.25
    np.testing.assert_allclose(weighted[0], 0.75 * first.get_weights()[0] + 0.25 * second.get_weights()[0], rtol=1e-6)
    # a model averaged with itself is itself
    same = average_weights([first, first, first])
    for mine, mean in zip(first.get_weights(), same):
        np.testing.assert_allclose(mean, mine, rtol=1e-6)


def test_mismatched_networks_and_bad_coefficients_are_refused():
    with pytest.raises(ValueError, match="two or more models, got 1"):
        average_weights([dense_model()])
    with pytest.raises(ValueError, match=r"weight 'sequential.*dense/kernel' has shape \(4, 5\) in model 1"):
        average_weights([dense_model(3), dense_model(5)])
    with pytest.raises(ValueError, match="non-negative numbers with a positive sum"):
        average_weights([dense_model(), dense_model()], coefficients=[1, -1])
    with pytest.raises(ValueError, match="must be 2 non-negative"):
        average_weights([dense_model(), dense_model()], coefficients=[1, 1, 1])
