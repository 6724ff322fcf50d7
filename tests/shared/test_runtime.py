"""shared.runtime: ONNX exports of Keras models, checked against Keras and run without it."""

from __future__ import annotations

import zipfile

import keras
import numpy as np
import pytest

from shared import Backbone, Classifier, runtime

TENSORFLOW = keras.backend.backend() == "tensorflow"
needs_tensorflow = pytest.mark.skipif(not TENSORFLOW, reason="ONNX export traces the model with TensorFlow")


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNKIT_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("CNNKIT_RUNTIME", raising=False)
    return tmp_path / "cache"


def _image_model():
    """Normalization (plain tensors a live trace leaves as inputs) and exact GELU (Erfc, which ONNX lacks)."""
    inputs = keras.Input((8, 8, 1), name="pixels")
    x = keras.layers.Normalization(mean=2.0, variance=4.0)(inputs)
    x = keras.layers.Conv2D(4, 3, activation="gelu")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(x))


def _two_input_model():
    """Token ids and row indices in, two outputs: the shape of the drug-target entity view."""
    tokens = keras.Input((5,), dtype="int32", name="tokens")
    rows = keras.Input((), dtype="int32", name="rows")
    features = keras.layers.GlobalAveragePooling1D()(keras.layers.Embedding(8, 4)(tokens))
    take = keras.layers.Lambda(lambda pair: keras.ops.take(pair[0], pair[1], axis=0), output_shape=(4,))
    picked = take([features, rows])
    return keras.Model([tokens, rows], [keras.layers.Dense(1)(picked), keras.layers.Dense(2)(features)])


def _saved(model, path):
    model.save(path)
    return path


# --------------------------------------------------------------------------- reading a .keras file

def test_saved_config_reads_the_class_names_without_loading(tmp_path):
    model = Classifier(Backbone((8, 8, 1), filters=[4]), 3, class_names=["cat", "dog", "emu"])
    config = runtime.saved_config(_saved(model, tmp_path / "model.keras"))
    assert config["class_name"] == "Classifier"
    assert config["config"]["class_names"] == ["cat", "dog", "emu"]


def test_saved_config_names_a_file_that_is_not_a_keras_file(tmp_path):
    bad = tmp_path / "notes.keras"
    bad.write_text("not a zip")
    with pytest.raises(ValueError, match=r"notes\.keras: not a readable \.keras file"):
        runtime.saved_config(bad)
    empty = tmp_path / "empty.keras"
    with zipfile.ZipFile(empty, "w") as archive:
        archive.writestr("metadata.json", "{}")
    with pytest.raises(ValueError, match="empty.keras"):
        runtime.saved_config(empty)


def test_exported_path_follows_the_file_contents(tmp_path):
    path = tmp_path / "model.keras"
    path.write_bytes(b"one")
    first = runtime.exported_path(path)
    path.write_bytes(b"two")
    assert runtime.exported_path(path) != first
    assert runtime.exported_path(path).name.startswith("model-")
    assert runtime.exported_path(path, part="frame").name.endswith("-frame.onnx")


# --------------------------------------------------------------------------- choosing the runtime

def test_open_exported_follows_the_runtime_choice(tmp_path, monkeypatch):
    path = tmp_path / "model.keras"
    path.write_bytes(b"weights")
    assert runtime.open_exported(path, "keras") is None
    assert runtime.open_exported(path, "auto") is None  # nothing exported: Keras runs it
    with pytest.raises(runtime.RuntimeChoiceError, match=r"no ONNX export yet; make it with `cnnkit presets --export"):
        runtime.open_exported(path, "onnx")
    with pytest.raises(ValueError, match="The 'runtime' parameter must be one of auto, onnx, keras; got 'tflite'"):
        runtime.open_exported(path, "tflite")


@needs_tensorflow
def test_export_runs_without_keras_and_equals_keras(tmp_path, monkeypatch):
    model = _image_model()
    path = _saved(model, tmp_path / "model.keras")
    target = runtime.export_file(path, model=model)
    assert target == runtime.exported_path(path) and target.is_file()
    assert not target.with_name(target.name + ".partial").exists()
    exported = runtime.open_exported(path, "auto")
    assert isinstance(exported, runtime.OnnxModel)
    assert exported.input_shapes == [(None, 8, 8, 1)]
    x = np.random.default_rng(1).uniform(0, 255, (7, 8, 8, 1)).astype("float32")
    np.testing.assert_allclose(exported.predict(x, batch_size=3), model.predict(x, verbose=0), atol=1e-5)
    monkeypatch.setenv("CNNKIT_RUNTIME", "keras")  # the environment can make auto mean keras
    assert runtime.open_exported(path, "auto") is None
    assert isinstance(runtime.open_exported(path, "onnx"), runtime.OnnxModel)


@needs_tensorflow
def test_export_of_several_inputs_and_outputs(tmp_path):
    model = _two_input_model()
    target = runtime.export_onnx(model, tmp_path / "two.onnx")
    exported = runtime.OnnxModel(target, _saved(model, tmp_path / "two.keras"))
    tokens = np.random.default_rng(2).integers(0, 8, (4, 5)).astype("int32")
    rows = np.array([3, 0, 0, 2], dtype="int32")
    got = exported.predict([tokens, rows])
    expected = model.predict([tokens, rows], verbose=0)
    assert len(got) == 2
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, atol=1e-5)
    with pytest.raises(ValueError, match="two.keras takes 2 input"):
        exported.predict(tokens)


@needs_tensorflow
def test_an_export_that_differs_from_keras_is_refused(tmp_path):
    model = _image_model()
    target = runtime.export_onnx(model, tmp_path / "a.onnx")
    other = _image_model()  # same shapes, other weights
    with pytest.raises(ValueError, match="ONNX Runtime differs from Keras by"):
        runtime.check_export(other, target)
    assert runtime.check_export(model, target) <= runtime.TOLERANCE


@needs_tensorflow
def test_parts_are_exported_and_opened_together(tmp_path):
    first, second = _image_model(), _image_model()
    path = _saved(first, tmp_path / "detector.keras")
    written = runtime.export_file(path, model={"frame": first, "temporal": second})
    assert set(written) == {"frame", "temporal"}
    parts = runtime.open_exported(path, "auto", parts=("frame", "temporal"))
    assert set(parts) == {"frame", "temporal"}
    written["temporal"].unlink()  # all or none
    assert runtime.open_exported(path, "auto", parts=("frame", "temporal")) is None


@pytest.mark.skipif(TENSORFLOW, reason="the error is for the other backends")
def test_export_needs_the_tensorflow_backend(tmp_path):
    with pytest.raises(ValueError, match="needs the TensorFlow backend"):
        runtime.export_onnx(_image_model(), tmp_path / "model.onnx")


# --------------------------------------------------------------------------- the shipped presets

@needs_tensorflow
def test_every_shipped_preset_exports_and_equals_keras(capsys):
    """`cnnkit presets --export`: each preset's inference graph (two for the shot detector, the
    entity view for DeepDTA) is written only after ONNX Runtime matched Keras on sample inputs;
    a second run finds them up to date."""
    from apps.presets_cli import main
    from shared.presets import list_presets
    from tests.testing import cli_json

    result = cli_json(main, ["--export", "--json"], capsys)
    rows = {row["name"]: row for row in result["exports"]}
    # An ensemble preset's members are exported in their own rows.
    assert set(rows) == {record["name"] for record in list_presets() if not record.get("members")}
    assert all(row["exported"] for row in rows.values())
    assert rows["shot_detector"]["onnx"].count(".onnx") == 2
    again = cli_json(main, ["--export", "--json", "mnist_convnet"], capsys)
    assert again["exports"] == [{"name": "mnist_convnet", "onnx": rows["mnist_convnet"]["onnx"], "exported": False}]
