import importlib
import inspect
import json
import zipfile
from pathlib import Path

import keras
import numpy as np
import pytest

from shared import Backbone
from shared.backbone import apply_conv_block, apply_stage, resolve_activation
from tests.testing import run_model_saving_test

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("pooling", ["max", "avg", "l2", "fractional"])
def test_pooling_options_shrink_the_map(pooling):
    backbone = Backbone((16, 16, 1), filters=(4, 8), pooling=pooling)
    expected = (4, 4) if pooling != "fractional" else (7, 7)
    assert backbone.output_shape == (None,) + expected + (8,)
    assert backbone.output_spatial_shape == expected


@pytest.mark.parametrize("global_pooling", ["max", "avg", "attention"])
def test_global_poolings_give_one_vector_per_sample(global_pooling):
    backbone = Backbone((12,), filters=(4, 6), conv_dims=1, vocab_size=9, embed_dim=3, pooling=None,
                        global_pooling=global_pooling)
    tokens = np.random.default_rng(0).integers(0, 9, size=(2, 12))
    assert backbone.predict(tokens, verbose=0).shape == (2, 6)
    assert any(layer.name == f"global_{global_pooling}_pool" for layer in backbone.layers)


@pytest.mark.parametrize("stage, kept", [
    (dict(padding="valid", pooling=None), lambda positions, real: positions < real),
    (dict(padding="same", pooling="max"), lambda positions, real: 2 * positions < real),
])
def test_token_attention_pools_only_positions_that_start_on_real_tokens(tmp_path, stage, kept):
    backbone = Backbone((16,), filters=(4,), kernel_size=3, conv_dims=1, vocab_size=9, embed_dim=3,
                        global_pooling="attention", mask_padding=True, **stage)
    tokens = np.zeros((3, 16), "int32")
    for row, real in enumerate((5, 1, 16)):
        tokens[row, :real] = np.random.default_rng(row).integers(1, 9, size=real)
    maps = keras.ops.convert_to_numpy(backbone.pyramid_model()(tokens)["stage_1"])
    pool = backbone.get_layer("global_attention_pool")
    pooled = keras.ops.convert_to_numpy(backbone(tokens))
    for row, real in enumerate((5, 1, 16)):
        valid = kept(np.arange(maps.shape[1]), real)
        expected = keras.ops.convert_to_numpy(pool(maps[row:row + 1, valid]))
        np.testing.assert_allclose(pooled[row], expected[0], rtol=1e-5, atol=1e-6)
    assert not np.allclose(pooled[0], keras.ops.convert_to_numpy(pool(maps[:1]))[0])  # unmasked pooling differs
    run_model_saving_test(backbone, tokens, tmp_path)
    unmasked = Backbone((16,), filters=(4,), kernel_size=3, conv_dims=1, vocab_size=9, embed_dim=3,
                        global_pooling="attention", **stage)
    assert not any(layer.name == "padding_mask" for layer in unmasked.layers)


@pytest.mark.parametrize("settings", [dict(global_pooling="max"), dict(global_pooling="attention", image=True)])
def test_mask_padding_needs_tokens_pooled_by_attention(settings):
    inputs = (dict(input_shape=(8, 8, 1)) if settings.pop("image", False) else
              dict(input_shape=(12,), conv_dims=1, vocab_size=9, embed_dim=3))
    with pytest.raises(ValueError, match="The 'mask_padding' parameter of Backbone must be False unless the input "
                                         r"is tokens \(vocab_size, embed_dim\) pooled by global_pooling='attention'"):
        Backbone(filters=(4,), mask_padding=True, **inputs, **settings)


def test_token_stride_multiplies_stem_strides_and_pooling_windows():
    from shared.backbone import token_stride

    assert token_stride([1, 1, 1], [None] * 3, 2) == 1
    assert token_stride([2, 1], ["max", None], 3) == 6
    assert token_stride([1], ["avg"], (2,), stem_strides=2, stem_pooling="max") == 8


def test_all_convolutional_net_downsamples_by_stride():
    backbone = Backbone((16, 16, 3), filters=(4, 8), strides=2, pooling=None)
    assert backbone.output_shape == (None, 4, 4, 8)
    assert not any("pool" in layer.name for layer in backbone.layers)


def test_full_resolution_board():
    backbone = Backbone((19, 19, 5), filters=(8,) * 3, kernel_size=[5, 3, 3], pooling=None)
    assert backbone.output_shape == (None, 19, 19, 8)
    assert backbone.last_conv_layer_name == "stage3_block1_act"


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
    assert backbone.last_conv_layer_name == "stage1_block1_concat"


def test_residual_and_bottleneck_blocks():
    residual = Backbone((16, 16, 3), filters=(4, 8), block="residual", strides=[1, 2], pooling=None,
                        batch_norm=True, convs_per_stage=2)
    assert residual.output_shape == (None, 8, 8, 8)
    assert residual.last_conv_layer_name == "stage2_block2_out"
    bottleneck = Backbone((16, 16, 3), filters=(4,), block="bottleneck", pooling=None)
    assert bottleneck.output_shape == (None, 16, 16, 16)
    assert [layer.name for layer in bottleneck.layers if "conv" in layer.name] == [
        "stage1_block1_a_conv", "stage1_block1_b_conv", "stage1_block1_shortcut_conv", "stage1_block1_c_conv"]


def test_stem_and_head():
    backbone = Backbone((32, 32, 3), filters=(4,), stem_filters=6, stem_pooling="max", pooling=None,
                        global_pooling="flatten", dense_units=(5,), dense_dropout=0.5)
    names = [layer.name for layer in backbone.layers][1:]
    assert names == ["stem_conv", "stem_act", "stem_pool", "stage1_block1_conv", "stage1_block1_act",
                     "flatten", "dense1", "dense1_dropout"]
    assert backbone.output_spatial_shape == (8, 8)


def test_block_functions_compose_outside_a_backbone():
    inputs = keras.Input((8, 8, 1))
    x = apply_conv_block(inputs, 3, 3, name="first", activation="relu")
    x = apply_stage(x, 4, blocks=2, block="residual", pooling="avg", name="stage", conv_dims=2, padding="same",
                    batch_norm=False, activation="relu")
    assert tuple(x.shape) == (None, 4, 4, 4)


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
    config = backbone.get_config()
    assert config["kernel_size"] == [[1, 3], 3] and config["strides"] == [1, 1]
    assert Backbone.from_config(config).get_config() == config
    x = np.random.default_rng(0).random((2, 12, 12, 2)).astype("float32")
    restored = run_model_saving_test(backbone, x, tmp_path)
    assert isinstance(restored, Backbone)


def test_numpy_integers_are_stored_as_python_ints():
    backbone = Backbone((8, 8, 1), filters=np.array([2, 3]), strides=np.int64(1), pooling=None)
    json.dumps(backbone.get_config())
    assert backbone.get_config()["filters"] == [2, 3]


# Every invalid parameter fails with one wording: "The 'name' parameter of Backbone must be ...; got ...".
BAD_PARAMETERS = [
    (dict(pooling="median"),
     "The 'pooling' parameter of Backbone must be one of ['avg', 'fractional', 'l2', 'max', None]; got 'median'."),
    (dict(pooling=["max", "median"]),
     "The 'pooling' parameter of Backbone must be a list with one entry per stage, each one of "
     "['avg', 'fractional', 'l2', 'max', None]; got ['max', 'median']."),
    (dict(filters=-3), "The 'filters' parameter of Backbone must be a non-empty list of positive ints; got -3."),
    (dict(filters=()), "The 'filters' parameter of Backbone must be a non-empty list of positive ints; got ()."),
    (dict(filters=(4, 0)),
     "The 'filters' parameter of Backbone must be a non-empty list of positive ints; got (4, 0)."),
    (dict(activation="wiggle"),
     "The 'activation' parameter of Backbone must be one of ['abs_tanh', 'relu', 'sigmoid', 'tanh'] or another "
     "keras.activations name (e.g. 'gelu', 'elu', 'swish'); got 'wiggle'."),
    (dict(strides=0), "The 'strides' parameter of Backbone must be a positive int; got 0."),
    (dict(filters=(4, 4), strides=[1]),
     "The 'strides' parameter of Backbone must be a list with one entry per stage (2), each a positive int; "
     "got [1]."),
    (dict(kernel_size=(3, -1)),
     "The 'kernel_size' parameter of Backbone must be a positive int or a tuple of positive ints (branches); "
     "got (3, -1)."),
    (dict(conv_dims=4), "The 'conv_dims' parameter of Backbone must be one of [1, 2, 3]; got 4."),
    (dict(block="dense"),
     "The 'block' parameter of Backbone must be one of ['bottleneck', 'plain', 'residual']; got 'dense'."),
    (dict(padding="full"), "The 'padding' parameter of Backbone must be one of ['same', 'valid']; got 'full'."),
    (dict(dropout=1.0), "The 'dropout' parameter of Backbone must be a float in [0, 1); got 1.0."),
    (dict(pooling_ratio=2.5), "The 'pooling_ratio' parameter of Backbone must be a float in (1, 2]; got 2.5."),
    (dict(batch_norm="yes"), "The 'batch_norm' parameter of Backbone must be a bool; got 'yes'."),
    (dict(stem_filters=8, stem_pooling="l2"),
     "The 'stem_pooling' parameter of Backbone must be one of ['avg', 'max', None]; got 'l2'."),
    (dict(global_pooling="sum"),
     "The 'global_pooling' parameter of Backbone must be one of ['attention', 'avg', 'flatten', 'max', None]; "
     "got 'sum'."),
    (dict(vocab_size=0, embed_dim=4),
     "The 'vocab_size' parameter of Backbone must be a positive int or None; got 0."),
    (dict(dense_units=(5,)),
     "The 'global_pooling' parameter of Backbone must be one of ['attention', 'avg', 'flatten', 'max'] when "
     "dense_units are given; got None."),
    (dict(block="residual", kernel_size=(1, 3)),
     "The 'kernel_size' parameter of Backbone must be a positive int per stage for block='residual' "
     "(parallel branches need block='plain'); got (1, 3)."),
    (dict(block="bottleneck", padding="valid"),
     "The 'padding' parameter of Backbone must be 'same' for block='bottleneck' with kernels wider than 1 "
     "(the shortcut must line up with the convolutions); got 'valid'."),
    (dict(input_shape=(28, 28)),
     "The 'input_shape' parameter of Backbone must be of rank 3 (spatial dims + channels) for conv_dims=2; "
     "got (28, 28)."),
    (dict(input_shape=(8, 1), conv_dims=1, pooling="fractional"),
     "The 'pooling' parameter of Backbone must be one of ['avg', 'l2', 'max', None] for conv_dims=1; "
     "got 'fractional'."),
    (dict(input_shape=(10,), conv_dims=1, vocab_size=10),
     "The 'embed_dim' parameter of Backbone must be a positive int when vocab_size is given (token input); "
     "got None."),
    (dict(input_shape=(10,), vocab_size=10, embed_dim=4),
     "The 'conv_dims' parameter of Backbone must be 1 for token input (vocab_size, embed_dim); got 2."),
    (dict(filters=(4,) * 6),
     "The 'input_shape' parameter of Backbone must be large enough for every layer (stage5_pool would shrink a "
     "spatial size of 1 below 1; use fewer pooling or strided stages, 'same' padding or a larger input); "
     "got (28, 28, 1)."),
]


@pytest.mark.parametrize("kwargs, message", BAD_PARAMETERS, ids=[str(sorted(k)) for k, _ in BAD_PARAMETERS])
def test_bad_parameter_raises_one_worded_value_error(kwargs, message):
    with pytest.raises(ValueError) as error:
        Backbone(**{"input_shape": (28, 28, 1), "filters": (4,), **kwargs})
    assert str(error.value) == message


def test_resolve_activation_names_the_caller_in_its_error():
    absolute = keras.ops.convert_to_numpy(resolve_activation("abs_tanh")(np.array([-2.0], "float32")))
    np.testing.assert_allclose(absolute, [np.tanh(2.0)], rtol=1e-6)
    with pytest.raises(ValueError) as error:
        resolve_activation(None, owner="Classifier", parameter="hidden_activation")
    assert str(error.value).startswith("The 'hidden_activation' parameter of Classifier must be one of "
                                       "['abs_tanh', 'relu', 'sigmoid', 'tanh']")


def test_wrong_input_shape_at_call_raises_value_error():
    backbone = Backbone((8, 8, 1), filters=(2,))
    with pytest.raises(ValueError):
        backbone(np.zeros((1, 8, 8, 3), "float32"))


# The shipped presets: which module registers their classes, and their backbones' layer names in order.
def _plain_stack(name, stages):
    return [f"{name}_input"] + [f"stage{i}_block1_{part}" for i in range(1, stages + 1) for part in ("conv", "act")]


def _pooled_batch_norm_stack(name, stages):
    layers = [f"stage{i}_{part}" for i in range(1, stages + 1)
              for part in ("block1_conv", "block1_bn", "block1_act", "pool")]
    return [f"{name}_input", *layers, "global_avg_pool", "dense1"]


def _dropout_stack(name, stages, blocks):
    layers = [f"stage{i}_{part}" for i in range(1, stages + 1)
              for part in [f"block{j}_{kind}" for j in range(1, blocks + 1) for kind in ("conv", "bn", "act")]
              + ["pool", "dropout"]]
    return [f"{name}_input", *layers, "flatten", "dense1", "dense1_dropout"]


def _token_stack(name, stages):
    layers = [f"stage{i}_block1_{part}" for i in range(1, stages + 1) for part in ("conv", "act")]
    return [f"{name}_input", "embedding", *layers, "global_max_pool"]


def _airbench94():
    """airbench94: a stem, then three pairs of convolutions, max pooling after the first of each pair."""
    layers = ["airbench94_input", "stem_conv", "stem_bn", "stem_act"]
    for stage in range(1, 7):
        layers += [f"stage{stage}_block1_{part}" for part in ("conv", "bn", "act")]
        layers += [f"stage{stage}_pool"] if stage % 2 else []
    return layers + ["global_max_pool"]


_KIM = {"kim_cnn": ["kim_cnn_input", "embedding", *(f"stage1_block1_k{k}_conv" for k in (3, 4, 5)),
                    *(f"stage1_block1_k{k}_act" for k in (3, 4, 5)), "stage1_block1_concat", "global_max_pool"]}
_DEEPDTA = {"drug_branch": _token_stack("drug_branch", 3), "protein_branch": _token_stack("protein_branch", 3)}
_DEEPDTA_ECFP = {"drug_cnn": _token_stack("drug_cnn", 3), "protein_branch": _token_stack("protein_branch", 3)}

# Shipped preset file -> the module that registers its classes, and each Backbone's layer names in order.
PRESETS = {
    "policy_small.keras": ("apps.go_policy.model.network", {"policy_backbone": _plain_stack("policy_backbone", 6)}),
    "policy_medium.keras": ("apps.go_policy.model.network", {"policy_backbone": _plain_stack("policy_backbone", 8)}),
    "policy_large.keras": ("apps.go_policy.model.network", {"policy_backbone": _plain_stack("policy_backbone", 12)}),
    "shot_detector.keras": ("apps.video_analysis.models",
                            {"frame_backbone": _pooled_batch_norm_stack("frame_backbone", 3)}),
    "mnist_convnet.keras": ("apps.image_recognition.model", {"convnet": _dropout_stack("convnet", 2, 2)}),
    "cifar10_airbench94.keras": ("apps.image_recognition.model", {"airbench94": _airbench94()}),
    # airbench94's own network is built outside shared.Backbone (apps.image_recognition.airbench).
    "cifar10_airbench94_recipe.keras": ("apps.image_recognition.airbench", {}),
    "mnist_airbench94.keras": ("apps.image_recognition.airbench", {}),
    "kim_rand_mr.keras": ("apps.text_classification.models", _KIM),
    "kim_rand_sst2.keras": ("apps.text_classification.models", _KIM),
    "kim_rand_trec.keras": ("apps.text_classification.models", _KIM),
    "deepdta_davis.keras": ("apps.drug_target.model", _DEEPDTA),
    "deepdta_kiba.keras": ("apps.drug_target.model", _DEEPDTA),
    # The three seeds that the ensemble presets deepdta_ecfp_davis_ensemble and _kiba_ensemble name.
    **{f"deepdta_ecfp_{data}{suffix}.keras": ("apps.drug_target.model", _DEEPDTA_ECFP)
       for data in ("davis", "kiba") for suffix in ("", "_seed1", "_seed2")},
    "deepdta_human.keras": ("apps.drug_target.model", _DEEPDTA),
}


def _preset_files():
    return sorted(path for pattern in ("apps/*/presets/*.keras", "apps/*/weights/*.keras")
                  for path in ROOT.glob(pattern))


def _saved_backbone_configs(path):
    """The Backbone configs as written into ``path``'s config.json when it was saved."""
    found = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("class_name") == "Backbone" and isinstance(node.get("config"), dict):
                found.append(node["config"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    with zipfile.ZipFile(path) as archive:
        walk(json.loads(archive.read("config.json")))
    return found


def test_every_shipped_preset_is_covered():
    assert sorted(path.name for path in _preset_files()) == sorted(PRESETS)


@pytest.mark.parametrize("path", _preset_files(), ids=lambda path: path.name)
def test_shipped_preset_backbone_rebuilds_identically(path):
    module, expected = PRESETS[path.name]
    importlib.import_module(module)
    model = keras.saving.load_model(path, compile=False)
    backbones = {layer.name: layer for layer in model._flatten_layers(include_self=True)
                 if isinstance(layer, Backbone)}
    saved = {config["name"]: config for config in _saved_backbone_configs(path)}
    assert sorted(backbones) == sorted(saved) == sorted(expected)
    defaults = {key: parameter.default for key, parameter in inspect.signature(Backbone).parameters.items()}
    for name, backbone in backbones.items():
        config = json.loads(json.dumps(backbone.get_config()))
        # A setting added after the preset was saved loads at its default.
        assert {key: value for key, value in config.items() if key not in saved[name]} == {
            key: defaults[key] for key in config if key not in saved[name]}
        assert {key: value for key, value in config.items() if key in saved[name]} == saved[name]
        assert [layer.name for layer in backbone.layers] == expected[name]
        rebuilt = Backbone.from_config(backbone.get_config())
        assert [layer.name for layer in rebuilt.layers] == expected[name]
        assert [w.shape for w in rebuilt.weights] == [w.shape for w in backbone.weights]
