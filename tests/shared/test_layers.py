import keras
import numpy as np
import pytest

from shared.layers import (
    FractionalMaxPooling2D,
    GlobalAttentionPooling,
    KMaxPooling1D,
    L2Pooling1D,
    L2Pooling2D,
    PaddingMask,
    abs_tanh,
)
from tests.testing import run_model_saving_test


def test_l2_pooling_2d_is_window_norm():
    x = np.zeros((1, 2, 4, 1), "float32")
    x[0, :, :2, 0] = [[3, 0], [0, 4]]
    x[0, :, 2:, 0] = [[1, 1], [1, 1]]
    out = keras.ops.convert_to_numpy(L2Pooling2D(2)(x))
    np.testing.assert_allclose(out[0, 0, :, 0], [5.0, 2.0], rtol=1e-4)


def test_l2_pooling_1d_is_window_norm():
    x = np.array([[[3.0], [4.0], [6.0], [8.0]]], "float32")
    out = keras.ops.convert_to_numpy(L2Pooling1D(2)(x))
    np.testing.assert_allclose(out[0, :, 0], [5.0, 10.0], rtol=1e-4)


def test_k_max_pooling_keeps_original_order():
    x = np.array([[1, 3, 2, 5, 4]], "float32")[..., None]
    out = keras.ops.convert_to_numpy(KMaxPooling1D(3)(x))
    np.testing.assert_array_equal(out[0, :, 0], [3, 5, 4])


def test_k_max_pooling_per_channel():
    x = np.stack([[1, 3, 2, 5, 4], [9, 8, 7, 6, 5]], axis=-1)[None].astype("float32")
    out = keras.ops.convert_to_numpy(KMaxPooling1D(2)(x))
    np.testing.assert_array_equal(out[0], [[5, 9], [4, 8]])


def test_k_max_pooling_rejects_bad_k_and_short_input():
    with pytest.raises(ValueError, match="k must be a positive int"):
        KMaxPooling1D(0)
    with pytest.raises(ValueError, match="at least 4 steps"):
        KMaxPooling1D(4)(keras.Input((3, 2)))


def test_fractional_pooling_ratio_two_equals_max_pooling():
    x = np.random.default_rng(0).random((2, 8, 8, 3)).astype("float32")
    out = keras.ops.convert_to_numpy(FractionalMaxPooling2D(2.0)(x))
    reference = keras.ops.convert_to_numpy(keras.layers.MaxPooling2D(2)(x))
    np.testing.assert_allclose(out, reference)


def test_fractional_pooling_shape_and_determinism():
    layer = FractionalMaxPooling2D(np.sqrt(2), seed=1)
    x = np.random.default_rng(1).random((2, 20, 20, 2)).astype("float32")
    a = keras.ops.convert_to_numpy(layer(x, training=False))
    b = keras.ops.convert_to_numpy(layer(x, training=False))
    assert a.shape == (2, 14, 14, 2)
    np.testing.assert_array_equal(a, b)
    # Every pooled value is an input value of the same image and channel.
    assert np.isin(a[0, :, :, 0], x[0, :, :, 0]).all()


def test_fractional_pooling_is_random_in_training():
    layer = FractionalMaxPooling2D(1.5, seed=3)
    x = np.random.default_rng(2).random((1, 30, 30, 1)).astype("float32")
    outs = [keras.ops.convert_to_numpy(layer(x, training=True)) for _ in range(6)]
    assert any(not np.array_equal(outs[0], o) for o in outs[1:])


def test_fractional_pooling_rejects_bad_ratio():
    with pytest.raises(ValueError, match="pooling_ratio"):
        FractionalMaxPooling2D(2.5)


def test_abs_tanh_values():
    x = np.array([-2.0, 0.0, 1.0], "float32")
    np.testing.assert_allclose(keras.ops.convert_to_numpy(abs_tanh(x)), np.abs(np.tanh(x)), rtol=1e-6)


def _attention_pool(layer, x, kernel, bias=0.0):
    layer.build(x.shape)
    layer.score_kernel.assign(np.asarray(kernel, "float32").reshape(-1, 1))
    layer.score_bias.assign(np.array([bias], "float32"))
    pooled, weights = layer(x, return_weights=True)
    return keras.ops.convert_to_numpy(pooled), keras.ops.convert_to_numpy(weights)


def test_attention_pooling_is_softmax_weighted_mean():
    x = np.array([[[1.0, 0.0], [0.0, 2.0], [3.0, 1.0]]], "float32")  # 3 positions, 2 channels
    pooled, weights = _attention_pool(GlobalAttentionPooling(), x, kernel=[1.0, 0.0])
    expected = np.exp([1.0, 0.0, 3.0]) / np.exp([1.0, 0.0, 3.0]).sum()
    np.testing.assert_allclose(weights[0], expected, rtol=1e-5)
    np.testing.assert_allclose(pooled[0], expected @ x[0], rtol=1e-5)


def test_attention_pooling_with_equal_scores_is_the_mean_and_keeps_2d_weights():
    x = np.random.default_rng(0).random((2, 3, 4, 5)).astype("float32")
    pooled, weights = _attention_pool(GlobalAttentionPooling(), x, kernel=np.zeros(5))
    np.testing.assert_allclose(pooled, x.mean(axis=(1, 2)), rtol=1e-5)
    assert weights.shape == (2, 3, 4)
    np.testing.assert_allclose(weights.sum(axis=(1, 2)), 1.0, rtol=1e-5)


def test_attention_pooling_gives_masked_positions_no_weight():
    x = np.array([[[1.0, 0.0], [0.0, 2.0], [3.0, 1.0]]] * 2, "float32")
    layer = GlobalAttentionPooling()
    _attention_pool(layer, x, kernel=[1.0, 0.0])
    pooled, weights = layer(x, padding_mask=np.array([[True, True, False], [True, False, False]]), return_weights=True)
    pooled, weights = keras.ops.convert_to_numpy(pooled), keras.ops.convert_to_numpy(weights)
    expected = np.exp([1.0, 0.0]) / np.exp([1.0, 0.0]).sum()
    np.testing.assert_allclose(weights[0], [*expected, 0.0], rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(pooled[0], expected @ x[0, :2], rtol=1e-5)
    np.testing.assert_allclose(weights[1], [1.0, 0.0, 0.0], atol=1e-7)
    np.testing.assert_allclose(pooled[1], x[1, 0], rtol=1e-6)


@pytest.mark.parametrize("stride, expected", [
    (1, [[1, 1, 1, 0, 0, 0], [1, 0, 0, 0, 0, 0], [1, 0, 0, 0, 0, 0], [1, 1, 1, 1, 1, 1]]),
    (2, [[1, 1, 0, 0, 0, 0], [1, 0, 0, 0, 0, 0], [1, 0, 0, 0, 0, 0], [1, 1, 1, 1, 1, 1]]),
])
def test_padding_mask_marks_positions_whose_window_starts_on_a_real_token(stride, expected):
    tokens = np.zeros((4, 12), "int32")
    tokens[0, :3], tokens[1, :1], tokens[3, :] = 5, 7, 9  # 3 real tokens, 1, none (row 2), all 12
    features = np.zeros((4, 6, 2), "float32")
    mask = keras.ops.convert_to_numpy(PaddingMask(stride)(tokens, features))
    np.testing.assert_array_equal(mask, np.array(expected, bool))
    with pytest.raises(ValueError, match="The 'stride' parameter of PaddingMask must be a positive int; got 0"):
        PaddingMask(0)


def test_attention_pooling_rejects_bad_units_and_inputs_without_positions():
    with pytest.raises(ValueError, match="The 'units' parameter of GlobalAttentionPooling must be a positive int"):
        GlobalAttentionPooling(units=0)
    with pytest.raises(ValueError, match="at least one position axis; got input shape"):
        GlobalAttentionPooling()(np.zeros((2, 3), "float32"))


@pytest.mark.parametrize(
    "layer, shape",
    [(L2Pooling2D(2), (8, 8, 2)), (L2Pooling1D(2), (8, 2)), (KMaxPooling1D(3), (8, 2)),
     (FractionalMaxPooling2D(1.5), (9, 9, 2)), (GlobalAttentionPooling(), (7, 3)),
     (GlobalAttentionPooling(units=4), (5, 6, 3))],
)
def test_layers_round_trip_through_keras_file(tmp_path, layer, shape):
    inputs = keras.Input(shape)
    model = keras.Model(inputs, layer(inputs))
    x = np.random.default_rng(0).random((2,) + shape).astype("float32")
    run_model_saving_test(model, x, tmp_path)
