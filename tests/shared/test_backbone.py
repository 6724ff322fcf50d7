import keras
import numpy as np
import pytest

from shared import Backbone


@pytest.mark.parametrize("pooling", ["max", "avg", "l2", "fractional"])
def test_pooling_options_shrink_the_map(pooling):
    backbone = Backbone((16, 16, 1), filters=(4, 8), pooling=pooling)
    expected = (4, 4) if pooling != "fractional" else (7, 7)
    assert backbone.output_shape == (None,) + expected + (8,)


def test_all_convolutional_net_downsamples_by_stride():
    backbone = Backbone((16, 16, 3), filters=(4, 8), strides=2, pooling=None)
    assert backbone.output_shape == (None, 4, 4, 8)
    assert not any("pool" in layer.name for layer in backbone.layers)


def test_full_resolution_board():
    backbone = Backbone((19, 19, 5), filters=(8,) * 3, kernel_size=[5, 3, 3], pooling=None)
    assert backbone.output_shape == (None, 19, 19, 8)


@pytest.mark.parametrize("activation", ["relu", "tanh", "abs_tanh", "sigmoid", "gelu"])
def test_activations(activation):
    backbone = Backbone((8, 8, 1), filters=(2,), activation=activation, pooling=None)
    out = backbone.predict(np.random.default_rng(0).normal(size=(2, 8, 8, 1)), verbose=0)
    if activation in ("abs_tanh", "sigmoid", "relu"):
        assert (out >= 0).all()
    if activation in ("abs_tanh", "sigmoid", "tanh"):
        assert (np.abs(out) <= 1).all()


def test_parallel_branches_are_concatenated():
    backbone = Backbone((20,), filters=(5,), kernel_size=(3, 4, 5), conv_dims=1, vocab_size=30,
                        embed_dim=6, pooling=None, global_pooling="max")
    assert backbone.output_shape == (None, 15)
    assert backbone.get_layer("embedding").output_dim == 6


def test_residual_and_bottleneck_blocks():
    residual = Backbone((16, 16, 3), filters=(4, 8), block="residual", strides=[1, 2], pooling=None,
                        batch_norm=True, convs_per_stage=2)
    assert residual.output_shape == (None, 8, 8, 8)
    bottleneck = Backbone((16, 16, 3), filters=(4,), block="bottleneck", pooling=None)
    assert bottleneck.output_shape == (None, 16, 16, 16)


def test_pyramid_outputs_give_every_stage():
    backbone = Backbone((16, 16, 1), filters=(2, 3, 4))
    outputs = backbone.pyramid_model().predict(np.zeros((1, 16, 16, 1)), verbose=0)
    assert {k: v.shape for k, v in outputs.items()} == {
        "stage_1": (1, 8, 8, 2), "stage_2": (1, 4, 4, 3), "stage_3": (1, 2, 2, 4)}


def test_conv3d_clip_backbone():
    backbone = Backbone((4, 8, 8, 3), filters=(2,), conv_dims=3, global_pooling="avg")
    assert backbone.output_shape == (None, 2)


def test_config_round_trip_and_keras_file(tmp_path):
    backbone = Backbone((12, 12, 2), filters=(3, 4), kernel_size=[(1, 3), 3], pooling=["l2", "max"],
                        activation="abs_tanh", global_pooling="flatten", dense_units=(5,))
    clone = Backbone.from_config(backbone.get_config())
    assert clone.get_config() == backbone.get_config()
    x = np.random.default_rng(0).random((2, 12, 12, 2)).astype("float32")
    backbone.save(tmp_path / "b.keras")
    loaded = keras.models.load_model(tmp_path / "b.keras")
    assert isinstance(loaded, Backbone)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), backbone.predict(x, verbose=0), rtol=1e-6)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(input_shape=(28, 28, 1), filters=(4,), pooling="median"), "Unknown pooling 'median'"),
        (dict(input_shape=(28, 28, 1), filters=(4,), activation="wiggle"), "Unknown activation 'wiggle'"),
        (dict(input_shape=(28, 28), filters=(4,)), "expects input_shape of rank 3"),
        (dict(input_shape=(28, 28, 1), filters=(4,) * 6), "Impossible configuration"),
        (dict(input_shape=(28, 28, 1), filters=()), "filters must be a non-empty"),
        (dict(input_shape=(28, 28, 1), filters=(4, 4), strides=[1]), "one entry per stage"),
        (dict(input_shape=(10,), filters=(4,), conv_dims=1, vocab_size=10), "must be given together"),
        (dict(input_shape=(8, 1), filters=(4,), conv_dims=1, pooling="fractional"), "needs conv_dims=2"),
    ],
)
def test_bad_configuration_raises_helpful_value_error(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Backbone(**kwargs)


def test_wrong_input_shape_at_call_raises_value_error():
    backbone = Backbone((8, 8, 1), filters=(2,))
    with pytest.raises(ValueError):
        backbone(np.zeros((1, 8, 8, 3), "float32"))
