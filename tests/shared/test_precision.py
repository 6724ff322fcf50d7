"""``--precision`` on every training command: the choice of dtype policy, the parsers, the aliases,
and models trained in mixed precision saved to compute in float32."""

import argparse
import importlib
import json

import keras
import numpy as np
import pytest

from shared import cli
from shared.training import float32_policies, save_float32

TRAIN_COMMANDS = {  # app -> the argv of each of its training commands, without --precision
    "image_recognition": [["train", "--data", "mnist"]],
    "text_classification": [["train", "--data", "mr"], ["cv", "--data", "mr"]],
    "drug_target": [["train", "--data", "davis"]],
    "video_analysis": [["train"], ["train-shots"]],
    "go_policy": [["train", "--sgf", "games.zip"]],
}


@pytest.fixture
def hardware(monkeypatch):
    """Set what ``auto`` sees: ``hardware(gpu=..., bf16=...)``."""

    def set_hardware(gpu=False, bf16=False):
        monkeypatch.setattr("shared.training.has_gpu", lambda: gpu)
        monkeypatch.setattr("shared.benchmarking.cpu_has_bf16", lambda: bf16)

    return set_hardware


@pytest.mark.parametrize("gpu, bf16, expected", [
    (False, False, "float32"), (False, True, "mixed_bfloat16"), (True, False, "mixed_bfloat16"),
    (True, True, "mixed_bfloat16"),
])
def test_auto_picks_bfloat16_on_a_gpu_or_a_cpu_with_bfloat16_units(hardware, gpu, bf16, expected):
    hardware(gpu=gpu, bf16=bf16)
    assert cli.choose_precision("auto") == expected


def test_an_explicit_precision_is_kept_and_a_bad_one_is_named(hardware):
    hardware(gpu=True, bf16=True)
    assert cli.choose_precision("float32") == "float32"
    hardware(gpu=False, bf16=False)
    assert cli.choose_precision("mixed_bfloat16") == "mixed_bfloat16"
    with pytest.raises(ValueError, match="The 'precision' parameter of choose_precision must be one of auto, "
                                         "float32, mixed_bfloat16; got 'float16'"):
        cli.choose_precision("float16")


def _parsers():
    for app, commands in TRAIN_COMMANDS.items():
        parser = importlib.import_module(f"apps.{app}.cli").build_parser()
        for argv in commands:
            yield app, parser, argv


def test_every_training_command_takes_precision_and_defaults_to_auto():
    for app, parser, argv in _parsers():
        assert parser.parse_args(argv).precision == "auto", (app, argv)
        for choice in cli.PRECISIONS:
            assert parser.parse_args([*argv, "--precision", choice]).precision == choice, (app, argv)


def test_a_bad_precision_exits_with_2_naming_the_option(capsys):
    for app, parser, argv in _parsers():
        with pytest.raises(SystemExit) as stop:
            parser.parse_args([*argv, "--precision", "float16"])
        assert stop.value.code == 2, (app, argv)
        err = capsys.readouterr().err
        assert "argument --precision: invalid choice: 'float16'" in err, (app, argv)


def test_mixed_precision_flag_is_a_deprecated_alias(capsys):
    for app in ("text_classification", "go_policy"):
        parser = importlib.import_module(f"apps.{app}.cli").build_parser()
        argv = TRAIN_COMMANDS[app][0]
        assert parser.parse_args([*argv, "--mixed-precision"]).precision == "mixed_bfloat16", app
        with pytest.raises(SystemExit):
            parser.parse_args([argv[0], "--help"])
        assert "deprecated: the same as --precision mixed_bfloat16" in " ".join(capsys.readouterr().out.split())


def _toy_cli():
    parser = argparse.ArgumentParser(prog="toy")
    commands = parser.add_subparsers(dest="command")
    train = commands.add_parser("train")
    cli.add_precision_argument(train)
    cli.add_common_arguments(train)
    seen = {}

    def cmd_train(args):
        seen["policy"] = keras.mixed_precision.global_policy().name
        seen["args"] = args.precision
        return {"loss": 0.5}

    return parser, {"train": cmd_train}, seen


def test_run_applies_the_precision_reports_it_and_restores_the_policy(hardware, capsys):
    hardware(bf16=True)
    parser, commands, seen = _toy_cli()
    assert keras.mixed_precision.global_policy().name == "float32"
    assert cli.run(parser, commands, ["train", "--json"]) == 0
    assert seen == {"policy": "mixed_bfloat16", "args": "mixed_bfloat16"}
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["precision"] == "mixed_bfloat16"
    assert keras.mixed_precision.global_policy().name == "float32"
    hardware(bf16=False)
    assert cli.run(parser, commands, ["train", "--json"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["precision"] == "float32"


def _mixed_model():
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        inputs = keras.Input((6,))
        x = keras.layers.Dense(8, activation="relu")(inputs)
        x = keras.layers.BatchNormalization()(x)
        outputs = keras.layers.Dense(3, activation="softmax", dtype="float32")(keras.layers.Dense(3)(x))
        model = keras.Model(inputs, outputs)
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        x_train = np.random.default_rng(0).normal(size=(32, 6)).astype("float32")
        model.fit(x_train, np.arange(32) % 3, epochs=1, batch_size=16, verbose=0)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    return model, x_train


def test_a_model_trained_in_mixed_precision_is_saved_computing_in_float32(tmp_path):
    model, x = _mixed_model()
    assert model.layers[1].dtype_policy.name == "mixed_bfloat16"
    save_float32(model, tmp_path / "model.keras")
    assert model.layers[1].dtype_policy.name == "mixed_bfloat16"  # the model in memory is left as it was
    restored = keras.saving.load_model(tmp_path / "model.keras")
    policies = {layer.dtype_policy.name for layer in restored._flatten_layers(include_self=True, recursive=True)}
    assert policies == {"float32"}
    outputs = restored.predict(x, verbose=0)
    assert outputs.dtype == np.float32
    with float32_policies(model):
        np.testing.assert_allclose(outputs, model.predict(x, verbose=0), atol=1e-6)
    # the saved file scores like the mixed model, within bfloat16's rounding
    np.testing.assert_allclose(outputs, model.predict(x, verbose=0), atol=0.05)


def test_short_clips_train_under_mixed_bfloat16():
    """TensorFlow's CPU filter gradient of a bfloat16 Conv3D is wrong (NaN) on a time axis of 2, so
    3-D convolutions compute in float32 there (``backbone.convolution_dtype``); the rest stays bfloat16."""
    from shared import Backbone, Classifier

    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        keras.utils.set_random_seed(0)
        backbone = Backbone((2, 8, 8, 32), filters=[64], conv_dims=3, batch_norm=True, pooling=None)
        model = Classifier(backbone, 3)
        conv = backbone.get_layer("stage1_block1_conv")
        tensorflow = keras.backend.backend() == "tensorflow"
        assert conv.dtype_policy.name == ("float32" if tensorflow else "mixed_bfloat16")
        assert backbone.get_layer("stage1_block1_bn").dtype_policy.name == "mixed_bfloat16"
        x = np.random.default_rng(0).normal(size=(32, 2, 8, 8, 32)).astype("float32")
        for _ in range(2):
            model.train_on_batch(x, np.arange(32) % 3)
        assert all(np.isfinite(np.asarray(w)).all() for w in model.weights)
    finally:
        keras.mixed_precision.set_global_policy(previous)
