"""``cnnkit image`` end to end on small slices of real data, and its errors on bad input."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from apps.image_recognition.cli import main

ROOT = Path(__file__).resolve().parents[2]


def _last_json(capsys):
    out = capsys.readouterr().out.strip().splitlines()
    return json.loads(out[-1])


@pytest.fixture(scope="module")
def trained(tmp_path_factory, data_available):
    """A LeNet-5 trained for one epoch on 600 MNIST images, classes 0-9, with label smoothing."""
    out = tmp_path_factory.mktemp("mnist_run")
    code = main(["train", "--data", "mnist", "--arch", "lenet5", "--limit", "600", "--test-limit", "200",
                 "--epochs", "1", "--batch-size", "64", "--augment", "translate", "--label-smoothing", "0.1",
                 "--out", str(out), "--json"])
    assert code == 0
    return out


def test_help_runs_as_module():
    result = subprocess.run([sys.executable, "-m", "apps.image_recognition", "train", "--help"],
                            capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0 and "--arch" in result.stdout and "--seed" in result.stdout


def test_train_writes_model_names_log_curves(trained):
    for name in ("model.keras", "class_names.json", "training_log.csv", "curves.png", "metrics.json"):
        assert (trained / name).exists(), name
    assert json.loads((trained / "class_names.json").read_text())["class_names"] == [str(i) for i in range(10)]
    assert len((trained / "training_log.csv").read_text().strip().splitlines()) == 2


def test_label_smoothing_is_saved_with_the_model(trained):
    from apps.image_recognition.model import load_classifier
    from shared.losses import SparseCategoricalCrossentropyWithLabelSmoothing

    model, _ = load_classifier(trained)
    assert isinstance(model.loss, SparseCategoricalCrossentropyWithLabelSmoothing)
    assert model.loss.label_smoothing == 0.1
    # a fresh process (nothing imported yet but the loader) finds the registered loss class too
    script = ("from apps.image_recognition.model import load_classifier; import sys; "
              "model, _ = load_classifier(sys.argv[1]); print(type(model.loss).__name__, model.loss.label_smoothing)")
    result = subprocess.run([sys.executable, "-c", script, str(trained)], capture_output=True, text=True,
                            cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split()[-2:] == ["SparseCategoricalCrossentropyWithLabelSmoothing", "0.1"]


def test_evaluate_json(trained, capsys, tmp_path):
    code = main(["evaluate", "--model", str(trained / "model.keras"), "--data", "mnist", "--test-limit", "300",
                 "--out", str(tmp_path), "--tta", "flip_translate", "--json"])
    assert code == 0
    metrics = _last_json(capsys)
    assert metrics["images"] == 300 and 0.0 <= metrics["accuracy"] <= 1.0 and metrics["tta"] == "flip_translate"
    assert metrics["top5_accuracy"] >= metrics["accuracy"]
    assert set(metrics["per_class"]) == {str(i) for i in range(10)}
    assert sum(row["support"] for row in metrics["per_class"].values()) == 300
    assert sum(map(sum, metrics["confusion_matrix"])) == 300
    assert (tmp_path / "confusion_matrix.png").stat().st_size > 1000
    assert (tmp_path / "worst_mistakes.png").exists()


def test_predict_csv_and_json(trained, capsys, data_available):
    sample = data_available / "images" / "mnist" / "sample_png"
    files = sorted(sample.glob("*.png"))
    code = main(["predict", "--model", str(trained / "model.keras"), str(files[0]), str(sample),
                 "--top-k", "3", "--format", "csv", "--json"])
    assert code == 0
    metrics = _last_json(capsys)
    assert metrics["images"] == len(files) + 1
    top = metrics["predictions"][0]["top"]
    assert len(top) == 3 and top[0]["probability"] >= top[1]["probability"] >= top[2]["probability"]
    code = main(["predict", "--model", str(trained / "model.keras"), str(files[0]), "--format", "csv"])
    lines = capsys.readouterr().out.strip().splitlines()
    # stdout is the CSV alone: no summary table after it
    assert code == 0 and len(lines) == 2
    assert lines[0].startswith("file,label1,probability1") and lines[1].startswith(str(files[0]))


def test_predict_in_small_batches_prints_the_same_rows_as_one_batch(trained, tmp_path, capsys, data_available):
    from apps.image_recognition import evaluate
    from apps.image_recognition.model import load_classifier

    sample = data_available / "images" / "mnist" / "sample_png"
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not an image")
    out = tmp_path / "rows.json"
    code = main(["predict", "--model", str(trained / "model.keras"), str(sample), str(broken), "--batch-size", "3",
                 "--format", "json", "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 0 and "skipped 1 unreadable image file(s)" in captured.err
    printed = json.loads(captured.out)
    assert printed == json.loads(out.read_text())
    model, names = load_classifier(trained)
    expected, skipped = evaluate.predict_files(model, names, [sample, broken])  # one batch of 64
    assert skipped.count == 1 and len(printed) == len(expected) == 20
    assert [row["file"] for row in printed] == [row["file"] for row in expected]
    for got, want in zip(printed, expected):
        assert [t["label"] for t in got["top"]] == [t["label"] for t in want["top"]]
        np.testing.assert_allclose([t["probability"] for t in got["top"]], [t["probability"] for t in want["top"]],
                                   atol=1e-5)


def test_train_in_mixed_precision_says_so_and_saves_a_float32_model(tmp_path, capsys, data_available):
    import keras

    from apps.image_recognition.model import load_classifier

    code = main(["train", "--data", "mnist", "--arch", "lenet5", "--limit", "128", "--test-limit", "64",
                 "--epochs", "1", "--precision", "mixed_bfloat16", "--out", str(tmp_path), "--json"])
    assert code == 0
    assert _last_json(capsys)["precision"] == "mixed_bfloat16"
    assert json.loads((tmp_path / "metrics.json").read_text())["precision"] == "mixed_bfloat16"
    assert keras.mixed_precision.global_policy().name == "float32"  # the policy held for the command only
    model, _ = load_classifier(tmp_path)
    policies = {layer.dtype_policy.name for layer in model._flatten_layers(include_self=True, recursive=True)}
    assert policies == {"float32"}
    probabilities = model.predict(np.zeros((2, 28, 28, 1), "uint8"), verbose=0)
    assert probabilities.dtype == np.float32 and np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)


def test_explain_writes_pngs(trained, tmp_path, capsys, data_available):
    files = sorted((data_available / "images" / "mnist" / "sample_png").glob("*.png"))[:2]
    code = main(["explain", "--model", str(trained / "model.keras"), *map(str, files), "--out", str(tmp_path),
                 "--json"])
    assert code == 0
    metrics = _last_json(capsys)
    assert len(metrics["images"]) == 2 and all(Path(r["png"]).exists() for r in metrics["images"])
    assert Path(metrics["filters_png"]).exists() and Path(metrics["feature_maps_png"]).exists()


def test_finetune_adds_a_class(tmp_path, capsys, data_available):
    two = tmp_path / "two"
    assert main(["train", "--data", "mnist", "--classes", "0,1", "--arch", "lenet5", "--limit", "300",
                 "--test-limit", "100", "--epochs", "1", "--out", str(two), "--json"]) == 0
    capsys.readouterr()
    three = tmp_path / "three"
    code = main(["finetune", "--model", str(two / "model.keras"), "--data", "mnist", "--classes", "0,1,2",
                 "--add-classes", "--limit", "300", "--test-limit", "150", "--epochs", "1", "--out", str(three),
                 "--json"])
    assert code == 0
    metrics = _last_json(capsys)
    assert metrics["new_classes"] == ["2"] and metrics["old_classes"] == ["0", "1"]
    for key in ("old_class_accuracy_before", "old_class_accuracy_after", "new_class_accuracy"):
        assert 0.0 <= metrics[key] <= 1.0
    assert json.loads((three / "class_names.json").read_text())["class_names"] == ["0", "1", "2"]
    # The fine-tuned model itself names the old classes and the added one.
    from apps.image_recognition.model import open_classifier

    (three / "class_names.json").unlink()
    reopened = open_classifier(three / "model.keras")
    assert reopened.model.class_names == ("0", "1", "2") and reopened.warnings == []
    # Without --add-classes the unknown class is a clear error.
    code = main(["finetune", "--model", str(two / "model.keras"), "--data", "mnist", "--classes", "0,1,2",
                 "--limit", "100", "--test-limit", "50", "--epochs", "1", "--out", str(tmp_path / "x")])
    assert code == 2 and "['2']" in capsys.readouterr().err


def test_export_tflite(trained, tmp_path, capsys):
    code = main(["export", "--model", str(trained / "model.keras"), "--format", "tflite", "--out", str(tmp_path),
                 "--json"])
    assert code == 0
    assert Path(_last_json(capsys)["path"]).stat().st_size > 1000


def test_folder_training_skips_corrupt_file(image_tree, tmp_path, capsys):
    out = tmp_path / "folder_run"
    notes = image_tree / "train" / "1" / "notes.txt"
    notes.write_text("not an image")
    code = main(["train", "--data", str(image_tree), "--arch", "lenet5", "--image-size", "28", "--epochs", "1",
                 "--batch-size", "16", "--out", str(out), "--json"])
    assert code == 0
    captured = capsys.readouterr()
    metrics = json.loads(captured.out.strip().splitlines()[-1])
    assert metrics["classes"] == 3 and metrics["skipped_files"] == 1
    assert (metrics["image_size"], metrics["image_size_reason"]) == ("28x28", "given by --image-size")
    assert metrics["skipped_names"][0].endswith("broken.png") and "broken.png" in captured.err
    assert (out / "skipped_files.txt").read_text().strip().endswith("broken.png")
    # Entries that are not images are counted and named in the training result too.
    assert metrics["ignored_files"] == 1 and metrics["ignored_names"] == [str(notes)]
    notes.unlink()
    # The test folder evaluates against the saved class names.
    assert main(["evaluate", "--model", str(out / "model.keras"), "--data", str(image_tree), "--json"]) == 0
    assert _last_json(capsys)["images"] == 18


def test_class_mismatch_is_a_clear_error(trained, tmp_path, capsys, image_tree):
    other = tmp_path / "animals"
    for name in ("cat", "dog"):
        (other / name).mkdir(parents=True)
        source = next((image_tree / "test" / "0").glob("*.png"))
        (other / name / "x.png").write_bytes(source.read_bytes())
    code = main(["evaluate", "--model", str(trained / "model.keras"), "--data", str(other)])
    err = capsys.readouterr().err
    assert code == 2 and "Class mismatch" in err and "'cat'" in err


def test_bad_inputs_give_clear_errors(trained, tmp_path, capsys):
    empty = tmp_path / "empty"
    (empty / "a").mkdir(parents=True)
    (empty / "b").mkdir()
    assert main(["train", "--data", str(empty), "--epochs", "1", "--out", str(tmp_path / "o")]) == 2
    assert "contain no images" in capsys.readouterr().err
    assert main(["train", "--data", str(tmp_path / "nowhere"), "--out", str(tmp_path / "o")]) == 2
    assert "neither a named dataset" in capsys.readouterr().err
    assert main(["predict", "--model", str(tmp_path / "nope.keras"), "x.png"]) == 2
    assert "nope.keras" in capsys.readouterr().err
    no_images = tmp_path / "no_images"
    no_images.mkdir()
    (no_images / "notes.txt").write_text("hello")
    assert main(["predict", "--model", str(trained / "model.keras"), str(no_images)]) == 2
    assert "contains no images" in capsys.readouterr().err


def test_demo_fast_defaults_to_the_environment():
    import inspect

    from apps.image_recognition import demo

    assert inspect.signature(demo.run).parameters["fast"].default is None
