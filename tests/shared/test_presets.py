"""The preset registry (shared.presets), and every shipped preset: it loads by name on this backend,
re-predicts the real inputs its metadata records, and survives a save/load round trip."""

from __future__ import annotations

import json
import zipfile

import keras
import numpy as np
import pytest

from apps.presets_cli import app_hooks, check_preset, same_prediction
from apps.presets_cli import main as presets_main
from shared import Backbone, Classifier, Regressor, presets
from tests.testing import cli_json, register_preset, run_cli

SHIPPED = [record["name"] for record in presets.list_presets()]
SINGLE_FILE = [record["name"] for record in presets.list_presets() if not record.get("members")]


# --------------------------------------------------------------------------- registry mechanics

def _tiny_classifier():
    backbone = Backbone((8, 8, 1), filters=[4], kernel_size=3)
    return Classifier(backbone, 3, class_names=["cat", "dog", "emu"])


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """A registered preset folder holding ``tiny_classifier`` (float32) and ``tiny_f16`` (float16), the
    only folder the registry sees."""
    monkeypatch.setattr(presets, "ROOT", tmp_path / "no_repository")
    model = _tiny_classifier()
    model.save(tmp_path / "source.keras")
    register_preset(tmp_path / "source.keras", tmp_path, monkeypatch, "tiny_classifier", "image",
                    task="Classifier", metrics={"test_accuracy": 0.5})
    presets.pack_keras_file(tmp_path / "source.keras", tmp_path / "tiny_f16.keras", float16=True)
    record = {**presets.preset_metadata("tiny_classifier"), "name": "tiny_f16", "file": "tiny_f16.keras",
              "weights_dtype": "float16"}
    record.pop("folder")
    presets.write_metadata(record, tmp_path)
    return tmp_path, model


def test_registered_preset_loads_by_name_with_its_class_names(folder):
    _, model = folder
    assert {"tiny_classifier", "tiny_f16"} <= set(presets.preset_names("image"))
    loaded = Classifier.from_preset("tiny_classifier")
    assert loaded.class_names == ("cat", "dog", "emu") and loaded.class_names_known
    x = np.random.default_rng(0).random((4, 8, 8, 1)).astype("float32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)


def test_float16_preset_is_smaller_and_loads_as_float32(folder):
    tmp_path, model = folder
    assert (tmp_path / "tiny_f16.keras").stat().st_size < (tmp_path / "source.keras").stat().st_size
    loaded = presets.load_preset("tiny_f16")
    assert all(v.dtype == "float32" for v in loaded.weights)
    x = np.random.default_rng(1).random((4, 8, 8, 1)).astype("float32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-2)


def test_pack_makes_mixed_precision_policies_float32(tmp_path):
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        model = _tiny_classifier()
    finally:
        keras.mixed_precision.set_global_policy("float32")
    model.save(tmp_path / "mixed.keras")
    presets.pack_keras_file(tmp_path / "mixed.keras", tmp_path / "packed.keras")
    with zipfile.ZipFile(tmp_path / "packed.keras") as archive:
        config = archive.read("config.json").decode()
    assert "mixed_bfloat16" not in config
    loaded = keras.saving.load_model(tmp_path / "packed.keras")
    assert {layer.dtype_policy.name for layer in loaded.layers} == {"float32"}


def test_unknown_preset_names_the_known_ones(folder):
    with pytest.raises(presets.PresetError, match=r"Unknown preset 'nope'\. Presets: .*tiny_classifier"):
        presets.load_preset("nope")


def test_missing_weights_file_names_the_preset_and_the_rebuild(folder):
    tmp_path, _ = folder
    (tmp_path / "tiny_classifier.keras").unlink()
    with pytest.raises(presets.PresetError, match=r"Preset 'tiny_classifier' is missing its weights file .*rebuild"):
        presets.load_preset("tiny_classifier")


def test_damaged_weights_file_is_refused_before_loading(folder):
    tmp_path, _ = folder
    with open(tmp_path / "tiny_classifier.keras", "ab") as handle:
        handle.write(b"x")
    with pytest.raises(presets.PresetError, match=r"Preset 'tiny_classifier' is damaged: .* has sha256"):
        presets.resolve_model("tiny_classifier")


def test_damaged_metadata_names_the_file(folder):
    tmp_path, _ = folder
    (tmp_path / "tiny_classifier.json").write_text("{not json")
    with pytest.raises(presets.PresetError, match=r"metadata of preset 'tiny_classifier' .* is damaged"):
        presets.preset_metadata("tiny_classifier")


def test_resolve_model_takes_a_path_or_a_name(folder, tmp_path):
    path = tmp_path / "source.keras"
    assert presets.resolve_model(str(path)) == path
    assert presets.resolve_model("tiny_f16").name == "tiny_f16.keras"
    with pytest.raises(ValueError, match=r"--weights missing\.keras: no such file, and not a preset name"):
        presets.resolve_model("missing.keras", what="--weights")


def test_from_preset_checks_the_task_class(folder):
    with pytest.raises(ValueError, match=r"Preset 'tiny_classifier' is a Classifier .*not a Regressor"):
        Regressor.from_preset("tiny_classifier")


def test_metadata_needs_every_required_key(folder):
    tmp_path, _ = folder
    record = presets.preset_metadata("tiny_classifier")
    record.pop("folder")
    record.pop("examples")
    with pytest.raises(ValueError, match="lacks examples"):
        presets.write_metadata(record, tmp_path)


def _ensemble(tmp_path, members, name="tiny_pair", app="image"):
    record = {**presets.preset_metadata("tiny_classifier"), "name": name, "app": app, "members": members}
    record.pop("folder")
    return presets.write_metadata(record, tmp_path)


def test_ensemble_preset_stands_for_its_members(folder):
    tmp_path, _ = folder
    path = _ensemble(tmp_path, ["tiny_classifier", "tiny_f16"])
    record = json.loads(path.read_text())
    assert record["file"] is None and record["sha256"] is None
    sizes = [presets.preset_metadata(member)["file_bytes"] for member in ("tiny_classifier", "tiny_f16")]
    assert record["file_bytes"] == sum(sizes)
    assert presets.ensemble_members("tiny_pair") == ["tiny_classifier", "tiny_f16"]
    assert presets.ensemble_members("tiny_f16") == []
    assert [p.name for p in presets.resolve_models(["tiny_pair", "tiny_f16"])] == \
        ["tiny_classifier.keras", "tiny_f16.keras", "tiny_f16.keras"]
    with pytest.raises(presets.PresetError, match=r"'tiny_pair' is an ensemble of the presets tiny_classifier, "
                                                  r"tiny_f16: it has no file of its own"):
        presets.load_preset("tiny_pair")
    with pytest.raises(presets.PresetError, match=r"--model tiny_pair is a preset of the image app; cnnkit text"):
        presets.resolve_models(["tiny_pair"], app="text")
    assert presets.recorded_sha256(tmp_path / "tiny_f16.keras") == presets.preset_metadata("tiny_f16")["sha256"]


def test_ensemble_preset_with_a_bad_member_is_refused_naming_it(folder):
    tmp_path, _ = folder
    path = _ensemble(tmp_path, ["tiny_classifier", "tiny_f16"])
    broken = {**json.loads(path.read_text()), "name": "tiny_broken", "members": ["tiny_classifier", "tiny_gone"]}
    (tmp_path / "tiny_broken.json").write_text(json.dumps(broken))
    with pytest.raises(presets.PresetError, match=r"'tiny_broken' names the member 'tiny_gone', which is not a preset"):
        presets.resolve_models("tiny_broken")
    _ensemble(tmp_path, ["tiny_classifier", "tiny_pair"], name="tiny_nested")
    with pytest.raises(presets.PresetError, match=r"its member 'tiny_pair' must be a preset of the image app with a "
                                                  r"file of its own"):
        presets.ensemble_members("tiny_nested")


def test_cli_shows_an_ensemble_with_its_members(folder, capsys):
    tmp_path, _ = folder
    _ensemble(tmp_path, ["tiny_classifier", "tiny_f16"])
    code, out, _ = run_cli(presets_main, ["tiny_pair"], capsys)
    assert code == 0 and "members       tiny_classifier, tiny_f16 (" in out and "MB together)" in out


def test_same_prediction_compares_labels_exactly_and_numbers_within_tolerance():
    assert same_prediction("cat", "cat") and not same_prediction("cat", "dog")
    assert same_prediction(7.012, 7.0) and not same_prediction(7.1, 7.0)
    assert same_prediction([3, 10], [3, 10]) and not same_prediction([3, 10], [3])


def test_cli_lists_and_shows_presets(folder, capsys):
    listing = cli_json(presets_main, ["--app", "image"], capsys)
    assert "tiny_classifier" in [row["name"] for row in listing["presets"]]
    shown = cli_json(presets_main, ["tiny_f16"], capsys)
    assert shown["weights_dtype"] == "float16" and shown["metrics"] == {"test_accuracy": 0.5}
    code, _, err = run_cli(presets_main, ["nope"], capsys)
    assert code == 2 and "Unknown preset 'nope'" in err


# --------------------------------------------------------------------------- the shipped presets

def test_every_app_ships_presets():
    assert {presets.preset_metadata(name)["app"] for name in SHIPPED} == {"image", "video", "text", "dta", "go"}


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_metadata_is_complete_and_small(name):
    record = presets.preset_metadata(name)
    assert set(presets.REQUIRED_KEYS) <= set(record)
    assert record["dataset"]["license"] and record["dataset"]["name"]
    assert record["metrics"] and record["examples"], "a preset records its test metrics and examples"
    assert record["command"][-1] in (f"python -m benchmarks.presets build {name}",
                                     f"python -m benchmarks.presets pack {name}")
    assert record["file_bytes"] <= presets.MAX_PLAIN_BYTES or record["weights_dtype"].startswith("float16")
    assert "/root/" not in json.dumps(record) and "/home/" not in json.dumps(record)


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_preset_predicts_its_recorded_examples(name, tmp_path):
    outcome = check_preset(name)
    assert outcome["examples"] >= 3 and outcome["mismatches"] == []


@pytest.mark.parametrize("name", SINGLE_FILE)
def test_shipped_preset_round_trips_through_save_and_load(name, tmp_path):
    record = presets.preset_metadata(name)
    model = presets.load_preset(name)
    model.save(tmp_path / "again.keras")
    again = keras.saving.load_model(tmp_path / "again.keras", compile=False)
    assert type(again) is type(model)
    assert json.dumps(again.get_config(), sort_keys=True, default=str) == \
        json.dumps(model.get_config(), sort_keys=True, default=str)
    hooks = app_hooks(record)
    example = record["examples"][0]
    assert same_prediction(hooks.predict_example(model, example), hooks.predict_example(again, example), 1e-5)


def test_builder_lists_every_recipe_in_aligned_columns(capsys):
    from benchmarks import presets as builder

    assert builder.main(["list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    recipes = builder.all_recipes()
    width = max(map(len, recipes))
    assert [line[:width].rstrip() for line in lines] == list(recipes)
    for line, (name, recipe) in zip(lines, recipes.items()):
        assert line[width] == " " and line[width + 1:].split()[0] == recipe["app"], line
        assert ("ensemble of " in line) == bool(recipe.get("members")), line
