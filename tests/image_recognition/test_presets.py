"""Image presets: class names inside the model, ``--model NAME`` on every command, and the preset
hooks (score, pick_examples, predict_example) on real MNIST test digits with a tiny classifier."""

from __future__ import annotations

import json

import numpy as np
import pytest

from apps.image_recognition import presets as image_presets
from apps.image_recognition.cli import main
from apps.image_recognition.model import build_classifier, open_classifier, save_classifier
from tests.testing import register_preset

# Output order differs from the dataset's label order: the hooks must match classes by name.
NAMES = [str(i) for i in reversed(range(10))]


def _tiny(class_names=NAMES):
    """An untrained convnet (4/8 maps, 8 dense units) for 28x28 digits."""
    return build_classifier("convnet", (28, 28, 1), 10, backbone_kwargs={"width": 4, "dense_units": (8,)},
                            class_names=class_names)


@pytest.fixture(scope="module")
def tiny_model():
    return _tiny()


@pytest.fixture
def preset_folder(tmp_path, monkeypatch, tiny_model):
    """``tiny_digits`` packed into a registered folder (the only extra folder the registry sees)."""
    register_preset(tiny_model, tmp_path / "presets", monkeypatch, "tiny_digits", "image",
                    module="apps.image_recognition.model")
    return tmp_path / "presets"


# --------------------------------------------------------------------------- class names in the model

def test_class_names_round_trip_inside_the_model(tmp_path, tiny_model):
    path = save_classifier(tiny_model, tmp_path / "run" / "model.keras", NAMES, extra={"arch": "convnet"})
    assert json.loads(path.with_name("class_names.json").read_text())["class_names"] == NAMES  # still written
    path.with_name("class_names.json").unlink()
    loaded = open_classifier(path)
    assert loaded.class_names == NAMES and loaded.model.class_names == tuple(NAMES) and loaded.warnings == []


def test_old_style_model_warns_that_labels_are_output_indices(tmp_path):
    path = tmp_path / "old" / "model.keras"
    path.parent.mkdir()
    _tiny(class_names=None).save(path)
    loaded = open_classifier(path)
    assert loaded.class_names == [str(i) for i in range(10)]
    assert len(loaded.warnings) == 1 and str(path) in loaded.warnings[0]
    assert "output indices 0..9" in loaded.warnings[0]
    # class_names.json beside an older model still names its classes (and gives them to the model)
    path.with_name("class_names.json").write_text(json.dumps({"class_names": NAMES}))
    loaded = open_classifier(path)
    assert loaded.class_names == NAMES and loaded.warnings == [] and loaded.model.class_names == tuple(NAMES)


# --------------------------------------------------------------------------- --model NAME

def test_commands_take_a_preset_name(preset_folder, tmp_path, capsys, monkeypatch, data_available):
    digit = sorted((data_available / "images" / "mnist" / "sample_png").glob("*.png"))[0]
    assert main(["predict", "--model", "tiny_digits", str(digit), "--json"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["warnings"] == [] and result["images"] == 1
    assert result["predictions"][0]["top"][0]["label"] in NAMES
    # evaluate without --out writes beside the working folder, never into the presets folder
    monkeypatch.chdir(tmp_path)
    assert main(["evaluate", "--model", "tiny_digits", "--data", "mnist", "--test-limit", "50", "--json"]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["images"] == 50
    assert (tmp_path / "tiny_digits_evaluation").is_dir() and not (preset_folder / "evaluation").exists()
    assert main(["export", "--model", "tiny_digits", "--out", str(tmp_path / "export"), "--json"]) == 0
    assert (tmp_path / "export" / "model.keras").is_file()


@pytest.mark.parametrize("command, rest", [("predict", ["x.png"]), ("explain", ["x.png"]), ("export", []),
                                           ("evaluate", ["--data", "mnist"]), ("finetune", ["--data", "mnist"])])
def test_unknown_preset_name_is_one_error_line(command, rest, preset_folder, capsys):
    argv = [command, "--model", "no_such_preset", *rest]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --model no_such_preset: no such file, and not a preset name")
    assert "tiny_digits" in err and err.count("\n") == 1


def test_damaged_preset_is_refused_naming_it(preset_folder, tmp_path, capsys):
    weights = preset_folder / "tiny_digits.keras"
    weights.write_bytes(weights.read_bytes() + b"tampered")
    assert main(["predict", "--model", "tiny_digits", str(tmp_path / "x.png")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: Preset 'tiny_digits' is damaged") and str(weights) in err
    weights.unlink()
    assert main(["export", "--model", "tiny_digits", "--out", str(tmp_path / "e")]) == 2
    assert "Preset 'tiny_digits' is missing its weights file" in capsys.readouterr().err


# --------------------------------------------------------------------------- hooks

def test_hooks_agree_on_real_test_digits(tiny_model, data_available):
    from apps.image_recognition import data

    examples = image_presets.pick_examples(tiny_model, "mnist")
    assert [e["input"] for e in examples] == [{"dataset": "mnist", "split": "test", "index": i}
                                              for i in (0, 2500, 5000, 7499, 9999)]
    json.dumps(examples)  # the metadata stores them as JSON
    x_test, y_test = data.shared_data.load_mnist("test")
    for example in examples:
        index = example["input"]["index"]
        assert example["label"] == str(y_test[index])
        probabilities = tiny_model.predict(x_test[index][None, ..., None], verbose=0)[0]
        assert example["prediction"] == NAMES[int(probabilities.argmax())]
        assert image_presets.predict_example(tiny_model, example) == example["prediction"]


def test_score_matches_outputs_to_classes_by_name(tiny_model, data_available):
    from apps.image_recognition import data

    x_test, y_test = data.shared_data.load_mnist("test")
    predicted = tiny_model.predict(x_test[..., None], batch_size=512, verbose=0).argmax(axis=-1)
    expected = float(np.mean(np.asarray(NAMES)[predicted] == y_test.astype(str)))
    assert image_presets.score(tiny_model, "mnist") == {"test_accuracy": round(expected, 5)}


def test_hooks_refuse_a_model_without_class_names_and_unknown_datasets(data_available):
    with pytest.raises(ValueError, match="carries no class names"):
        image_presets.score(_tiny(class_names=None), "mnist")
    with pytest.raises(ValueError, match="must be one of mnist, cifar10, digits; got 'svhn'"):
        image_presets.pick_examples(_tiny(), "svhn")
