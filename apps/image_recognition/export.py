"""Export a trained classifier: ``.keras``, ONNX, TensorFlow SavedModel, or TensorFlow Lite.

ONNX, SavedModel and TFLite need TensorFlow; they fail with a clear error otherwise. The ONNX
export also goes to the cache that ``image predict --runtime auto`` runs it from (``shared.runtime``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import keras

from apps.image_recognition.presets import EXPORT_FORMATS as FORMATS


def _require_tensorflow(fmt):
    try:
        import tensorflow as tf  # noqa: F401
    except ImportError as error:
        raise ValueError(f"--format {fmt} needs TensorFlow (pip install tensorflow).") from error
    if keras.backend.backend() != "tensorflow":
        raise ValueError(f"--format {fmt} needs the TensorFlow backend; KERAS_BACKEND is "
                         f"{keras.backend.backend()!r}. Rerun with KERAS_BACKEND=tensorflow.")
    return tf


def export_model(model, out, fmt="keras", class_names=None, source=None):
    """Write ``model`` to ``out`` in ``fmt``; returns the written path.

    ``source`` is the ``.keras`` file the model was loaded from: its ONNX export is also kept in
    the cache, so that ``image predict`` starts without TensorFlow.
    """
    if fmt not in FORMATS:
        raise ValueError(f"Unknown --format {fmt!r}; expected one of {', '.join(FORMATS)}.")
    out = Path(out)
    if fmt == "keras":
        if out.suffix != ".keras":
            out = out / "model.keras"
        from apps.image_recognition.model import save_classifier

        if class_names is not None:
            return save_classifier(model, out, class_names)
        out.parent.mkdir(parents=True, exist_ok=True)
        model.save(out)
        return out
    tf = _require_tensorflow(fmt)
    if fmt == "onnx":
        from shared.runtime import export_file, export_onnx

        target = out if out.suffix == ".onnx" else out / "model.onnx"
        if source is None:
            export_onnx(model, target)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(export_file(source, model=model), target)
        _write_labels(target.with_name("labels.txt"), class_names)
        return target
    if fmt == "savedmodel":
        if out.exists():
            shutil.rmtree(out)
        model.export(str(out), format="tf_saved_model", verbose=False)
        _write_labels(out / "labels.txt", class_names)
        return out
    target = out if out.suffix == ".tflite" else out / "model.tflite"
    target.parent.mkdir(parents=True, exist_ok=True)
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    target.write_bytes(converter.convert())
    _write_labels(target.with_name("labels.txt"), class_names)
    return target


def _write_labels(path, class_names):
    if class_names:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text("\n".join(str(c) for c in class_names) + "\n")
