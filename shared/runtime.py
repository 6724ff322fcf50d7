"""Light inference: a saved Keras model run by ONNX Runtime, without importing Keras or TensorFlow.

Importing TensorFlow takes seconds on a small machine; ONNX Runtime starts in a tenth of one. So
the inference commands (``image predict``, ``text predict``, ``dta predict``, ``video shots``,
``go gtp``) run a model's ONNX graph when one has been exported for that exact file, and fall
back to Keras otherwise:

    cnnkit presets --export                 # every shipped preset, once after installing
    cnnkit presets --export kim_rand_sst2   # one preset
    cnnkit text export runs/mr/model.keras  # a model of your own (any app: <app> export)

An export is kept in ``$CNNKIT_CACHE/onnx`` under the model file's sha256, so a retrained or
replaced file is never run with a stale graph. Exporting checks that ONNX Runtime's outputs equal
Keras's on sample inputs (``check_export``) and refuses to write a graph that does not.

An app whose inference runs another graph than the saved model exports that one: its presets
package's ``inference_graph(model)`` (drug-target: the entity view, which encodes each drug and
protein once per batch). What the model needs besides its graph (class names, a text encoder's vocabulary, input sizes)
is read from the ``.keras`` file's own ``config.json`` (``saved_config``), so the fast path and the
Keras path read the same settings.

``--runtime auto`` (the default of every inference command) takes the exported graph when there
is one and ONNX Runtime is installed; ``onnx`` requires it (a clear error says how to export);
``keras`` always loads the model with Keras.
"""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import numpy as np

from shared.data import cache_dir, sha256_of

RUNTIMES = ("auto", "onnx", "keras")
OPSET = 17
TOLERANCE = 1e-4  # largest |ONNX - Keras| accepted on the check inputs (outputs are probabilities or scores)


class RuntimeChoiceError(ValueError):
    """``--runtime onnx`` was asked for a model that has no exported graph (or without ONNX Runtime)."""


def add_runtime_argument(parser) -> None:
    """``--runtime`` on an inference command, which is then ``light``: it imports no Keras up front."""
    parser.set_defaults(light=True)
    parser.add_argument("--runtime", choices=RUNTIMES, default="auto",
                        help="auto: the model's exported ONNX graph when there is one (starts in well under a "
                             "second), else Keras; onnx: require it; keras: always Keras (default: auto)")


# --------------------------------------------------------------------------- reading a .keras file

def saved_config(path) -> dict:
    """The top-level model config stored in a ``.keras`` file (its ``config.json``), without Keras.

    The result is the serialised model: ``{"class_name": ..., "config": {...}, ...}``.
    """
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as archive:
            return json.loads(archive.read("config.json"))
    except (OSError, KeyError, zipfile.BadZipFile, ValueError) as error:
        raise ValueError(f"{path}: not a readable .keras file ({error}); expected a model saved by "
                         "cnnkit (model.save('....keras')).") from error


def file_digest(path) -> str:
    """The sha256 that names ``path``'s export; a preset's recorded sha256 saves reading the file."""
    from shared.presets import recorded_sha256

    try:
        recorded = recorded_sha256(path)  # resolve_model has checked a preset's file against it
    except ValueError:  # a broken metadata file elsewhere in the registry
        recorded = None
    return recorded or sha256_of(path)


def exported_path(path, digest: str | None = None, part: str | None = None) -> Path:
    """Where the ONNX export of the ``.keras`` file ``path`` is kept (it may not exist yet).

    ``part`` names one graph of a model exported as several (the shot detector's frame network
    and temporal head, which the detector runs at different times).
    """
    digest = digest or file_digest(path)
    suffix = f"-{part}" if part else ""
    return cache_dir("onnx") / f"{Path(path).stem}-{digest[:20]}{suffix}.onnx"


# --------------------------------------------------------------------------- running an export

class OnnxModel:
    """An exported model run by ONNX Runtime, with the ``predict`` of a ``keras.Model``.

    Attributes:
        config: the ``.keras`` file's model config (``saved_config(...)["config"]``).
        class_name: the Keras class the model was saved as (e.g. ``"TextClassifier"``).
        class_names: the classifier's class names, or None.
        input_shapes: one shape per input, None for a free dimension.
        source: the ``.keras`` file; ``path``: the ONNX file.
    """

    runtime = "onnx"

    def __init__(self, onnx_path, keras_path, threads: int | None = None, saved: dict | None = None):
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        if threads:
            options.intra_op_num_threads = threads
        self.path = Path(onnx_path)
        self.source = Path(keras_path)
        self.session = onnxruntime.InferenceSession(str(self.path), options, providers=["CPUExecutionProvider"])
        self._inputs = self.session.get_inputs()
        self.input_shapes = [tuple(d if isinstance(d, int) else None for d in i.shape) for i in self._inputs]
        self.input_dtypes = [_numpy_dtype(i.type) for i in self._inputs]
        saved = saved_config(self.source) if saved is None else saved  # one read for a model's several graphs
        self.class_name = saved.get("class_name")
        self.config = saved.get("config", {})
        names = self.config.get("class_names")
        self.class_names = tuple(str(n) for n in names) if names else None

    def __call__(self, inputs):
        return self.predict(inputs)

    def predict_on_batch(self, inputs):
        return self.predict(inputs)

    def predict(self, inputs, batch_size: int | None = None, verbose=0):
        """Outputs for ``inputs`` (an array, or a list with one array per input).

        ``batch_size`` splits inputs that share their first (batch) dimension; inputs of different
        lengths (an entity view's unique drugs and proteins, and its pair indices) run in one call.
        """
        arrays = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        if len(arrays) != len(self._inputs):
            raise ValueError(f"{self.source.name} takes {len(self._inputs)} input(s); got {len(arrays)}.")
        arrays = [np.asarray(a, dtype=d) for a, d in zip(arrays, self.input_dtypes)]
        count = len(arrays[0])
        if not batch_size or len({len(a) for a in arrays}) > 1:
            outputs = self.session.run(None, {spec.name: a for spec, a in zip(self._inputs, arrays)})
            return outputs[0] if len(outputs) == 1 else outputs
        step = batch_size
        pieces = []
        for start in range(0, max(count, 1), step):
            feeds = {spec.name: a[start:start + step] for spec, a in zip(self._inputs, arrays)}
            pieces.append(self.session.run(None, feeds))
        outputs = [np.concatenate([p[k] for p in pieces]) for k in range(len(pieces[0]))]
        return outputs[0] if len(outputs) == 1 else outputs


def predict_in_batches(model, x, batch_size: int = 1024):
    """What ``model.predict(x, batch_size=batch_size)`` returns, without its per-call set-up.

    ``model.predict`` builds a data pipeline, a progress bar and callbacks on every call; on a
    few thousand small inputs (a Go evaluation, a chunk of positions to label) that set-up
    costs more than a quarter of the time. This runs the model's compiled predict function
    (``predict_on_batch``) on consecutive slices of ``batch_size`` rows and joins the outputs.
    ``model`` is a Keras model or an ``OnnxModel``; ``x`` an array, a list or tuple of arrays,
    or a dict of arrays, as ``model.predict`` takes. Nothing here imports Keras.
    """
    if int(batch_size) < 1:
        raise ValueError(f"The 'batch_size' parameter of predict_in_batches must be a positive int; "
                         f"got {batch_size!r}.")
    leaves = list(x.values()) if isinstance(x, dict) else list(x) if isinstance(x, (list, tuple)) else [x]
    count = len(leaves[0]) if leaves else 0
    if count == 0:
        raise ValueError("The 'x' parameter of predict_in_batches must hold at least one row; got 0 rows.")
    step = int(batch_size)
    outputs = [_structure(np.asarray, model.predict_on_batch(_structure(lambda a: a[start:start + step], x)))
               for start in range(0, count, step)]
    first = outputs[0]
    if isinstance(first, dict):
        return {key: np.concatenate([o[key] for o in outputs]) for key in first}
    if isinstance(first, (list, tuple)):
        return [np.concatenate([o[k] for o in outputs]) for k in range(len(first))]
    return np.concatenate(outputs)


def _structure(function, value):
    """``function`` applied to each array of an array, a list or tuple of arrays, or a dict of arrays."""
    if isinstance(value, dict):
        return {key: function(v) for key, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [function(v) for v in value]
    return function(value)


def _numpy_dtype(onnx_type: str):
    kinds = {"tensor(float)": "float32", "tensor(int32)": "int32", "tensor(int64)": "int64",
             "tensor(double)": "float64", "tensor(uint8)": "uint8", "tensor(bool)": "bool",
             "tensor(float16)": "float16"}
    return np.dtype(kinds.get(onnx_type, "float32"))


def onnx_runtime_available() -> bool:
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def open_exported(path, runtime: str = "auto", what: str = "--model", parts=None):
    """An :class:`OnnxModel` for the ``.keras`` file ``path``, or None where Keras must run it.

    ``runtime`` is the ``--runtime`` choice: ``keras`` gives None; ``auto`` gives the export when
    there is one; ``onnx`` raises :class:`RuntimeChoiceError` naming the export command when not.
    ``parts`` (names) asks for a model exported as several graphs: a dict of them, all or none.
    ``CNNKIT_RUNTIME=keras`` in the environment makes ``auto`` mean ``keras``.
    """
    if runtime not in RUNTIMES:
        raise ValueError(f"The 'runtime' parameter must be one of {', '.join(RUNTIMES)}; got {runtime!r}.")
    if runtime == "keras":
        return None
    if os.environ.get("CNNKIT_RUNTIME") == "keras" and runtime == "auto":
        return None
    digest = file_digest(path)
    targets = {part: exported_path(path, digest, part) for part in (parts or [None])}
    if all(t.is_file() for t in targets.values()) and onnx_runtime_available():
        saved = saved_config(path)
        models = {part: OnnxModel(target, path, saved=saved) for part, target in targets.items()}
        return models if parts else models[None]
    if runtime == "onnx":
        if not onnx_runtime_available():
            raise RuntimeChoiceError("--runtime onnx needs ONNX Runtime (pip install onnxruntime).")
        raise RuntimeChoiceError(f"{what} {path} has no ONNX export yet; make it with `cnnkit presets --export "
                                 f"NAME` for a preset or `cnnkit <app> export {path}` for a model file.")
    return None


# --------------------------------------------------------------------------- exporting

def sample_inputs(model, count: int = 3, seed: int = 0, free_size: int = 9):
    """Inputs that exercise ``model``: random values of each input's shape and dtype.

    Free dimensions (None) take ``free_size``; integer inputs (token ids, or row indices into
    another input) stay below ``min(8, count)``.
    """
    rng = np.random.default_rng(seed)
    arrays = []
    for tensor in model.inputs:
        shape = [count] + [free_size if d is None else int(d) for d in tensor.shape[1:]]
        dtype = np.dtype(str(tensor.dtype))
        if dtype.kind in "iu":
            arrays.append(rng.integers(0, min(8, count), size=shape).astype(dtype))
        else:
            arrays.append(rng.random(shape, dtype="float32").astype(dtype))
    return arrays


def _fix_unsupported_ops(graph) -> int:
    """Rewrite TensorFlow ops that ONNX lacks: ``Erfc(x)`` (exact GELU) becomes ``1 - Erf(x)``."""
    from onnx import helper, numpy_helper

    fixed = 0
    nodes = list(graph.node)
    del graph.node[:]
    for node in nodes:
        if node.op_type == "Erfc":
            erf, one = node.name + "/erf", node.name + "/one"
            graph.initializer.append(numpy_helper.from_array(np.array(1.0, dtype="float32"), one))
            graph.node.append(helper.make_node("Erf", [node.input[0]], [erf], name=erf))
            graph.node.append(helper.make_node("Sub", [one, erf], list(node.output), name=node.name))
            fixed += 1
        else:
            graph.node.append(node)
    return fixed


def export_onnx(model, target, sample=None) -> Path:
    """Write ``model`` (a built ``keras.Model``) to the ONNX file ``target`` and check it.

    The model is traced in inference mode with its variables frozen to constants (layers such as
    ``Normalization`` keep plain tensors that a live trace would leave as extra inputs), converted
    with tf2onnx, and checked against Keras on ``sample`` (default: ``sample_inputs(model)``).
    Needs the TensorFlow backend, tf2onnx and ONNX Runtime.
    """
    import keras

    if keras.backend.backend() != "tensorflow":
        raise ValueError(f"Exporting to ONNX needs the TensorFlow backend; KERAS_BACKEND is "
                         f"{keras.backend.backend()!r}. Rerun with KERAS_BACKEND=tensorflow.")
    import logging

    import onnx
    import tensorflow as tf
    import tf2onnx

    logging.getLogger("tf2onnx").setLevel(logging.ERROR)  # it reports the Erfc it cannot map; we rewrite it
    from keras.src.export.tf2onnx_lib import patch_tf2onnx
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

    specs = [tf.TensorSpec([None] + list(t.shape[1:]), t.dtype, name=_input_name(t, k))
             for k, t in enumerate(model.inputs)]

    @tf.function(autograph=False)
    def forward(*inputs):
        return model(list(inputs) if len(inputs) > 1 else inputs[0], training=False)

    frozen = convert_variables_to_constants_v2(forward.get_concrete_function(*specs))
    import warnings

    with warnings.catch_warnings():  # keras's own fix for tf2onnx under numpy 2 probes np.object
        warnings.simplefilter("ignore", FutureWarning)
        patch_tf2onnx()
    proto, _ = tf2onnx.convert.from_graph_def(
        frozen.graph.as_graph_def(), input_names=[t.name for t in frozen.inputs],
        output_names=[t.name for t in frozen.outputs], opset=OPSET)
    _fix_unsupported_ops(proto.graph)
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    onnx.save(proto, str(partial))
    try:
        check_export(model, partial, sample)
    except Exception:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, target)  # a killed export leaves no half-written graph under the real name
    return target


def _input_name(tensor, index: int) -> str:
    name = str(getattr(tensor, "name", "") or f"input_{index}")
    return "".join(c if c.isalnum() or c in "_-." else "_" for c in name)


def check_export(model, onnx_path, sample=None, tolerance: float = TOLERANCE) -> float:
    """The largest difference between ONNX Runtime and Keras on ``sample`` (absolute, relative for
    values beyond 1); a ValueError when above ``tolerance``."""
    import onnxruntime

    sample = sample_inputs(model) if sample is None else sample
    arrays = list(sample) if isinstance(sample, (list, tuple)) else [sample]
    expected = model.predict(arrays if len(arrays) > 1 else arrays[0], verbose=0)
    expected = [np.asarray(e) for e in (expected if isinstance(expected, (list, tuple)) else [expected])]
    session = onnxruntime.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    got = session.run(None, {i.name: a for i, a in zip(session.get_inputs(), arrays)})
    if len(got) != len(expected):
        raise ValueError(f"{onnx_path}: the export has {len(got)} outputs, the model {len(expected)}.")
    # Relative beyond 1 (affinities are ~5-15), absolute below (probabilities).
    worst = max(float(np.max(np.abs(g.astype("float64") - e.astype("float64"))
                             / np.maximum(1.0, np.abs(e.astype("float64"))), initial=0.0))
                for g, e in zip(got, expected))
    if not worst <= tolerance:
        raise ValueError(f"{onnx_path}: ONNX Runtime differs from Keras by {worst:.3g} (tolerance {tolerance}); "
                         "the export is not used.")
    return worst


def export_file(keras_path, model=None, sample=None):
    """Export the ``.keras`` file ``keras_path`` into the cache (``exported_path``); returns the ONNX path.

    ``model`` is what to export of that file: the loaded model (loaded with Keras when None), or
    a dict of named graphs (``parts``), which gives a dict of paths.
    """
    if model is None:
        import keras

        model = keras.saving.load_model(keras_path, compile=False)
    if isinstance(model, dict):
        digest = file_digest(keras_path)
        return {part: export_onnx(graph, exported_path(keras_path, digest, part)) for part, graph in model.items()}
    return export_onnx(model, exported_path(keras_path), sample)


# --------------------------------------------------------------------------- the export command

def add_export_command(commands, model_help: str) -> None:
    """``cnnkit <app> export MODEL``: the same command in every app that has an inference command."""
    from shared.cli import add_common_arguments

    export = commands.add_parser(
        "export", help="export a model to ONNX: its inference commands then start without TensorFlow",
        description="Export a .keras model (or a preset) to ONNX in the cnnkit cache, checked against Keras; "
                    "--runtime auto then runs it with ONNX Runtime. --out also copies the .onnx file there.")
    export.add_argument("--model", required=True, help=model_help)
    add_common_arguments(export)


def export_command(spec, app: str, load, out=None) -> dict:
    """Export ``spec`` (a ``.keras`` file or preset of ``app``) loaded by ``load(spec)``; ``out``: a copy."""
    import shutil

    from shared.presets import resolve_model

    path = resolve_model(spec, "--model", app=app)
    target = export_file(path, model=load(spec))
    if isinstance(target, dict):  # several graphs: --out is a folder for them
        result = {"model": str(path), "onnx": {part: str(t) for part, t in target.items()}}
        if out:
            Path(out).mkdir(parents=True, exist_ok=True)
            for t in target.values():
                shutil.copyfile(t, Path(out) / t.name)
            result["copy"] = str(out)
        return result
    result = {"model": str(path), "onnx": str(target)}
    if out:
        copy = Path(out)
        if copy.suffix != ".onnx":
            copy = copy / f"{Path(path).stem}.onnx"
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(target, copy)
        result["copy"] = str(copy)
    return result
