"""``fit``: Keras training with resumable checkpoints, logs, early stopping and distribution.

A run stopped mid-way (Ctrl-C, a kill, a crash) and started again with the same arguments
continues from its last checkpoint and ends with the same weights and metrics as an
uninterrupted run:

- every random layer (dropout, fractional pooling, augmentation) and Python's and NumPy's global
  generators are re-seeded from ``(seed, epoch)`` at the start of each epoch;
- the data order is restored: a dataset with a ``set_epoch(epoch)`` method (``ArrayDataset``
  and the apps' own batchers) is told each epoch's number before its batches are fetched; any
  other ``keras.utils.PyDataset`` is brought to the resumed epoch by calling its
  ``on_epoch_begin``/``on_epoch_end`` hooks once per finished epoch, which is exact when its
  randomness advances only in those hooks;
- a checkpoint holds the model weights, the optimizer state (its step count drives learning-rate
  schedules) and the state of every callback with ``get_resume_state()`` /
  ``set_resume_state(state)`` (``shared.callbacks.ResumableEarlyStopping``: best value, patience
  count, best weights). It is written only at the end of a finished epoch, into a new folder,
  and becomes the checkpoint when ``state.json`` (replaced atomically) names that folder: a run
  stopped at any moment, even while writing, leaves the previous checkpoint whole.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import random
import shutil
import sys
import tempfile
import warnings
from pathlib import Path

import keras
import numpy as np

__all__ = ["ArrayDataset", "fit", "use_distribution", "multi_worker_strategy", "start_processes", "worker_info",
           "is_chief",
           "use_mixed_precision", "mixed_precision_policy", "has_gpu", "float32_policies",
           "save_float32", "CHECKPOINT_WEIGHTS", "CHECKPOINT_MODEL", "CHECKPOINT_STATE"]

CHECKPOINT_WEIGHTS = "last.weights.h5"
CHECKPOINT_OPTIMIZER = "optimizer.npz"
CHECKPOINT_CALLBACKS = "callbacks.npz"
CHECKPOINT_STATE = "state.json"
CHECKPOINT_MODEL = "last.keras"
_EPOCH_FOLDER = "epoch-"


class EpochSeededDataset(keras.utils.PyDataset):
    """A ``PyDataset`` whose batches in an epoch depend only on ``(seed, epoch)``.

    A subclass sets ``self.seed`` and plans an epoch's batches in ``plan_epoch(rng)``, ``rng``
    being drawn from ``(seed, epoch)``. ``fit`` calls ``set_epoch`` before each epoch (on a
    resume too), so a resumed run sees the batches an uninterrupted one would; used with
    ``model.fit`` directly it advances one epoch per pass.
    """

    epoch = None

    def set_epoch(self, epoch):
        epoch = int(epoch)
        if epoch == self.epoch:
            return
        self.epoch = epoch
        self.plan_epoch(np.random.default_rng([self.seed, epoch]))

    def plan_epoch(self, rng):
        raise NotImplementedError

    def on_epoch_end(self):
        self.set_epoch(self.epoch + 1)


class ArrayDataset(EpochSeededDataset):
    """Batches of in-memory arrays in an order that depends only on ``(seed, epoch)``.

    ``x`` may be an array, a list or a dict of arrays; ``y`` an array or None. ``fit`` sets the
    epoch (``set_epoch``); used with ``model.fit`` directly it advances one epoch per pass.
    """

    def __init__(self, x, y=None, sample_weight=None, batch_size=32, shuffle=True, seed=0, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y, self.sample_weight = x, y, sample_weight
        sizes = {len(a) for a in _leaves(x)}
        if y is not None:
            sizes |= {len(a) for a in _leaves(y)}
        if len(sizes) != 1:
            raise ValueError(f"All input and target arrays must have the same length, got lengths {sorted(sizes)}.")
        self.size = sizes.pop()
        if self.size == 0:
            raise ValueError("The training data is empty.")
        if batch_size < 1:
            raise ValueError(f"batch_size must be positive, got {batch_size}.")
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.seed = int(seed)
        self.epoch = None
        self.set_epoch(0)

    def plan_epoch(self, rng):
        """Order the rows for the epoch (a permutation drawn from ``(seed, epoch)``)."""
        self._order = rng.permutation(self.size) if self.shuffle else np.arange(self.size)

    def __len__(self):
        return -(-self.size // self.batch_size)

    def __getitem__(self, index):
        return self._batch(self._order[index * self.batch_size:(index + 1) * self.batch_size])

    def worker_batch(self, index, worker, workers, equal=False):
        """Worker ``worker``'s share (every ``workers``-th row) of batch ``index``; only its rows are gathered.

        ``equal`` first drops the batch's last ``len % workers`` rows, so that every share has the same size.
        """
        rows = self._order[index * self.batch_size:(index + 1) * self.batch_size]
        if equal:
            rows = rows[:len(rows) - len(rows) % workers]
        return self._batch(rows[worker::workers])

    def _batch(self, rows):
        batch = (_take(self.x, rows),)
        if self.y is not None:
            batch += (_take(self.y, rows),)
            if self.sample_weight is not None:
                batch += (self.sample_weight[rows],)
        return batch


# In-memory arrays up to this size are fed through tf.data on TensorFlow (``_TFArrayFeed``); larger
# ones stay a PyDataset, so that no second copy of them is made.
TF_FEED_MAX_BYTES = 1 << 30


class _TFArrayFeed:
    """The batches of an ``ArrayDataset`` as a ``tf.data`` pipeline, for the TensorFlow backend.

    Keras feeds a ``PyDataset`` to TensorFlow through a Python generator, which costs CPU time on
    every batch; here the arrays are tensors and each batch is a gather inside tf.data, so the
    steps run back to back. The rows of every batch are those ``ArrayDataset`` would give:
    ``set_epoch`` plans the epoch with it and writes its row order into a variable that the
    pipeline reads (Keras starts a new pass over the dataset after ``on_epoch_begin``, where
    ``fit`` sets the epoch), so a resumed run sees the same batches as an uninterrupted one.
    """

    def __init__(self, arrays: ArrayDataset):
        import tensorflow as tf

        self.arrays = arrays
        self.order = tf.Variable(np.asarray(arrays._order, dtype="int64"), trainable=False, name="row_order")
        parts = (arrays.x,) + tuple(a for a in (arrays.y, arrays.sample_weight) if a is not None)
        tensors = tf.nest.map_structure(tf.convert_to_tensor, _as_nest(parts))
        size, batch = arrays.size, arrays.batch_size

        def take(index):
            rows = self.order[index * batch:tf.minimum((index + 1) * batch, size)]
            return tf.nest.map_structure(lambda tensor: tf.gather(tensor, rows), tensors)

        self.dataset = tf.data.Dataset.range(len(arrays)).map(take).prefetch(tf.data.AUTOTUNE)

    @property
    def epoch(self):
        return self.arrays.epoch

    def set_epoch(self, epoch):
        self.arrays.set_epoch(epoch)
        self.order.assign(np.asarray(self.arrays._order, dtype="int64"))

    @staticmethod
    def suits(arrays: ArrayDataset, distribute) -> bool:
        """Whether ``arrays`` go through tf.data: TensorFlow, no distribution, at most ``TF_FEED_MAX_BYTES``."""
        leaves = _leaves(arrays.x) + [a for a in (arrays.y, arrays.sample_weight) if a is not None]
        return (keras.backend.backend() == "tensorflow" and distribute is None
                and sum(np.asarray(a).nbytes for a in leaves) <= TF_FEED_MAX_BYTES)


def _as_nest(parts):
    """``(x, y, ...)`` with a list ``x`` made a tuple (tf.nest treats lists and tuples alike, Keras does not)."""
    x = parts[0]
    return (tuple(x) if isinstance(x, list) else x,) + parts[1:]


def _leaves(value):
    if isinstance(value, dict):
        return list(value.values())
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def _take(value, rows):
    if isinstance(value, dict):
        return {k: v[rows] for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return tuple(v[rows] for v in value)
    return value[rows]


def use_mixed_precision(enabled=True):
    """Set the global dtype policy before building a model (bfloat16 on CPU, float16 on GPU)."""
    if not enabled:
        keras.mixed_precision.set_global_policy("float32")
        return "float32"
    policy = mixed_precision_policy()
    keras.mixed_precision.set_global_policy(policy)
    return policy


def mixed_precision_policy() -> str:
    """The mixed policy for this machine: ``mixed_float16`` on a GPU, ``mixed_bfloat16`` otherwise."""
    return "mixed_float16" if has_gpu() else "mixed_bfloat16"


def has_gpu() -> bool:
    """Whether the Keras backend sees a GPU."""
    try:
        return any(d.startswith("gpu") or "cuda" in d.lower() for d in keras.distribution.list_devices())
    except Exception:  # noqa: BLE001 - some backends cannot list devices
        return False


@contextlib.contextmanager
def float32_policies(model):
    """Within the block, every layer of ``model`` under a mixed-precision policy computes in float32.

    A mixed policy keeps the variables in float32, so only the compute dtype changes; the layers
    get their policies back afterwards. ``predict`` and ``evaluate`` are traced again on either
    side, so that neither runs a graph traced under the other policy.
    """
    changed = []
    for layer in model._flatten_layers(include_self=True, recursive=True):
        policy = layer.dtype_policy
        if str(policy.name).startswith("mixed"):
            changed.append((layer, policy))
            layer.dtype_policy = "float32"
    _forget_traced_functions(model, changed)
    try:
        yield model
    finally:
        for layer, policy in changed:
            layer.dtype_policy = policy
        _forget_traced_functions(model, changed)


def _forget_traced_functions(model, changed):
    if changed:
        for name in ("predict_function", "test_function"):
            if getattr(model, name, None) is not None:
                setattr(model, name, None)


def save_float32(model, path, **kwargs):
    """``model.save(path)`` with float32 dtype policies, whatever policy it trained under.

    A file saved under ``mixed_bfloat16`` would compute in bfloat16 wherever it is loaded, slowly
    on CPUs without bfloat16 units and with 8-bit mantissas; this one computes in float32 like a
    model trained in float32. The model in memory keeps its policies.
    """
    with float32_policies(model):
        model.save(path, **kwargs)


def _seed_generators(model):
    generators = []
    for layer in model._flatten_layers(include_self=True, recursive=True):
        generators.extend(getattr(layer, "_seed_generators", []))
    return generators


def _reseed(model, seed, epoch):
    for index, generator in enumerate(_seed_generators(model)):
        state = np.array([seed * 1000003 + epoch, index], dtype=generator.state.dtype)
        generator.state.assign(state)
    # Keras shuffles the batches of a PyDataset with Python's generator; augmentation code may
    # draw from NumPy's global one.
    global_seed = (int(seed) * 1000003 + int(epoch)) % 2**32
    random.seed(global_seed)
    np.random.seed(global_seed)


_global_seed = None


def _set_global_seed(seed):
    """``keras.utils.set_random_seed(seed)``, skipping TensorFlow's part when ``fit`` set that seed last.

    On TensorFlow, setting the seed clears the runtime's kernel cache, so the next step instantiates
    the whole training graph again (about 0.3 s for a small convnet on 2 cores): a cost on every
    ``fit`` call, which in a notebook or a loop of one-epoch calls is every epoch. Keras' random
    layers draw from seed generators that ``fit`` reseeds at each epoch, so an unchanged global
    seed needs no reset.
    """
    global _global_seed
    if seed == _global_seed:
        random.seed(seed)
        np.random.seed(seed)
        return
    keras.utils.set_random_seed(seed)
    _global_seed = seed


def _resumable(callback):
    return callable(getattr(callback, "get_resume_state", None)) and \
        callable(getattr(callback, "set_resume_state", None))


def _keyed(callbacks):
    """``(key, callback)`` for the callbacks with resume state; the key is stable across runs."""
    resumable = [c for c in callbacks if _resumable(c)]
    return [(f"{index}-{type(c).__name__}", c) for index, c in enumerate(resumable)]


def _split_arrays(value, arrays):
    """``value`` as JSON, its NumPy arrays moved into ``arrays`` (replaced by references)."""
    if isinstance(value, np.ndarray):
        key = f"array_{len(arrays)}"
        arrays[key] = value
        return {"__array__": key}
    if isinstance(value, dict):
        return {str(k): _split_arrays(v, arrays) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_split_arrays(v, arrays) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _join_arrays(value, arrays):
    if isinstance(value, dict):
        if set(value) == {"__array__"}:
            return arrays[value["__array__"]]
        return {k: _join_arrays(v, arrays) for k, v in value.items()}
    if isinstance(value, list):
        return [_join_arrays(v, arrays) for v in value]
    return value


def _atomic(target, writer, suffix=None):
    """Write ``target`` through a temporary file in the same folder, then rename it into place."""
    target = Path(target)
    temporary = target.with_name(f".tmp-{os.getpid()}-" + target.name)
    if suffix and not temporary.name.endswith(suffix):
        temporary = temporary.with_name(temporary.name + suffix)
    writer(str(temporary))
    _fsync(temporary)
    os.replace(temporary, target)


def _fsync(path):
    try:
        descriptor = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:  # some file systems (and folders on some systems) cannot be synced
        pass
    finally:
        os.close(descriptor)


# What a checkpoint file that cannot be read raises: JSON, HDF5, zip and NumPy errors.
_READ_ERRORS = (OSError, ValueError, KeyError, EOFError, TypeError, UnicodeDecodeError)


class _Checkpoint:
    """The resumable checkpoint in ``directory``: ``state.json`` names the folder of the last epoch.

    ``state.json`` holds the number of finished epochs, the history, the model's fingerprint,
    the callbacks' states and the name of the folder (``epoch-NNNN-*``) with the model weights
    (``last.weights.h5``), the optimizer state (``optimizer.npz``) and the callbacks' arrays
    (``callbacks.npz``). ``last.keras``, the whole model, is written beside it for people to load.
    """

    def __init__(self, directory, scratch=False):
        self.directory = Path(directory)
        self.state_path = self.directory / CHECKPOINT_STATE
        self.scratch = scratch  # a non-chief worker's: removed as soon as it is written

    def exists(self):
        return self.state_path.exists()

    def unusable(self, path, problem):
        return ValueError(
            f"{path}: cannot resume from this training checkpoint: {problem}. To start over, delete the "
            f"folder {self.directory} (or run with --fresh where the command has it).")

    def read_state(self):
        try:
            state = json.loads(self.state_path.read_text(encoding="utf-8"))
        except _READ_ERRORS as error:
            raise self.unusable(self.state_path, f"it is not valid JSON ({error})") from error
        if not isinstance(state, dict) or not isinstance(state.get("epoch"), int) or state["epoch"] < 0:
            raise self.unusable(self.state_path, "it has no count of finished epochs")
        history = state.get("history", {})
        if not isinstance(history, dict) or not all(isinstance(v, list) for v in history.values()):
            raise self.unusable(self.state_path, "its history is not a table of per-epoch values")
        folder = state.get("folder")
        if folder is not None and (not isinstance(folder, str) or Path(folder).name != folder
                                   or not folder.startswith(_EPOCH_FOLDER)):
            raise self.unusable(self.state_path, f"it names no checkpoint folder (folder={folder!r})")
        return state

    def discard(self):
        """Forget the checkpoint (a run that starts over must not resume an older one later)."""
        if self.exists():
            self.state_path.unlink()
        self._remove_stale(keep=None)

    def _remove_stale(self, keep):
        if not self.directory.is_dir():
            return
        for child in self.directory.iterdir():
            if child.is_dir() and child.name.startswith(_EPOCH_FOLDER) and child.name != keep:
                shutil.rmtree(child, ignore_errors=True)
            elif child.is_file() and child.name.startswith(".tmp-"):
                child.unlink(missing_ok=True)
        if keep is not None:  # files of the layout before per-epoch folders
            for name in (CHECKPOINT_WEIGHTS, CHECKPOINT_OPTIMIZER):
                (self.directory / name).unlink(missing_ok=True)

    def write(self, model, epochs, history, callbacks, finished, save_model):
        """Save the state after ``epochs`` finished epochs; the previous checkpoint stays until it is whole."""
        self.directory.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(prefix=f"{_EPOCH_FOLDER}{epochs:04d}-", dir=self.directory))
        model.save_weights(str(folder / CHECKPOINT_WEIGHTS))
        optimizer_arrays = [np.asarray(keras.ops.convert_to_numpy(v)) for v in model.optimizer.variables]
        np.savez(folder / CHECKPOINT_OPTIMIZER, *optimizer_arrays)
        arrays, callback_states, config = {}, {}, _model_config(model)
        for key, callback in _keyed(callbacks):
            callback_states[key] = _split_arrays(callback.get_resume_state(), arrays)
        if arrays:
            np.savez(folder / CHECKPOINT_CALLBACKS, **arrays)
        for path in folder.iterdir():
            _fsync(path)
        _fsync(folder)
        state = {"epoch": int(epochs), "folder": folder.name, "finished": bool(finished), "history": history,
                 "model_fingerprint": _config_fingerprint(model, config), "model_config": config,
                 "callbacks": callback_states}
        _atomic(self.state_path, lambda p: Path(p).write_text(json.dumps(state), encoding="utf-8"), suffix=".json")
        _fsync(self.directory)
        self._remove_stale(keep=folder.name)
        if save_model:
            _atomic(self.directory / CHECKPOINT_MODEL, model.save)
        if self.scratch:
            shutil.rmtree(self.directory, ignore_errors=True)

    def restore(self, model, callbacks):
        """Load weights, optimizer and callback states; return the saved state dict."""
        state = self.read_state()
        saved, current = state.get("model_fingerprint"), _config_fingerprint(model)
        saved_config = state.get("model_config")
        if saved and current and saved != current and not _builds_the_same_model(model, saved_config, current):
            differences = ""
            if saved_config is not None:
                found = _config_differences(_strip_names(saved_config), _strip_names(_model_config(model)))
                differences = f" ({'; '.join(found)})" if found else " (the weights' shapes)"
            raise ValueError(
                f"The checkpoint in {self.directory} was written by a model with a different configuration"
                f"{differences}: layers, sizes or settings differ, or the dtype policy (--precision). Use another "
                "checkpoint folder, the earlier settings or --precision, or start over: delete "
                f"{self.directory}, pass resume=False (--fresh where the command has it)."
            )
        folder = self.directory / state["folder"] if "folder" in state else self.directory
        if not folder.is_dir():
            raise self.unusable(folder, "the folder that state.json names is missing")
        weights = folder / CHECKPOINT_WEIGHTS
        if not weights.is_file():
            raise self.unusable(weights, "the file is missing")
        optimizer = model.optimizer
        if optimizer is not None and not optimizer.built:
            # Built first, so that the weights file's optimizer variables have somewhere to go.
            optimizer.build(model.trainable_variables)
        try:
            with warnings.catch_warnings():
                # The optimizer's state is restored from optimizer.npz below, with its own check.
                warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer")
                model.load_weights(str(weights))
        except _READ_ERRORS as error:
            raise self.unusable(weights, f"{type(error).__name__}: {error}") from error
        if optimizer is not None:
            self._restore_optimizer(optimizer, folder / CHECKPOINT_OPTIMIZER, required="folder" in state)
        self._restore_callbacks(state, folder / CHECKPOINT_CALLBACKS, callbacks)
        return state

    def _restore_optimizer(self, optimizer, path, required):
        if not path.is_file():
            if required:
                raise self.unusable(path, "the file is missing")
            return
        try:
            with np.load(path) as saved:
                arrays = [saved[f"arr_{i}"] for i in range(len(saved.files))]
        except _READ_ERRORS as error:
            raise self.unusable(path, f"{type(error).__name__}: {error}") from error
        variables = optimizer.variables
        if len(variables) != len(arrays):
            raise ValueError(
                f"The checkpoint in {self.directory} holds {len(arrays)} optimizer variables but the model's "
                f"optimizer has {len(variables)}: it was written by a different model or optimizer. "
                f"Use another checkpoint folder, or start over: delete {self.directory}, pass resume=False "
                "(--fresh where the command has it).")
        for variable, array in zip(variables, arrays):
            if tuple(variable.shape) != tuple(array.shape):
                raise self.unusable(path, f"optimizer variable {variable.path} has shape {tuple(array.shape)}, "
                                          f"the model's {tuple(variable.shape)}")
            variable.assign(array)

    def _restore_callbacks(self, state, path, callbacks):
        saved = state.get("callbacks") or {}
        if not isinstance(saved, dict):
            raise self.unusable(self.state_path, "its callback states are not a table")
        arrays = {}
        if path.is_file():
            try:
                with np.load(path) as stored:
                    arrays = {key: stored[key] for key in stored.files}
            except _READ_ERRORS as error:
                raise self.unusable(path, f"{type(error).__name__}: {error}") from error
        for key, callback in _keyed(callbacks):
            if key in saved:
                try:
                    restored = _join_arrays(saved[key], arrays)
                except KeyError as error:
                    raise self.unusable(path, f"the array {error} of callback {key} is missing") from error
                callback.set_resume_state(restored)


def _strip_names(value):
    """The configuration without layer names (names change per process)."""
    if isinstance(value, dict):
        return {k: _strip_names(v) for k, v in value.items() if k != "name"}
    if isinstance(value, (list, tuple)):
        return [_strip_names(v) for v in value]
    return value


def _model_config(model):
    """The model's configuration as JSON data, or None for a model without one."""
    try:
        return json.loads(json.dumps(model.get_config(), default=str))
    except Exception:  # noqa: BLE001 - models without a config are not fingerprinted
        return None


def _config_fingerprint(model, config=None):
    """A hash of the model's configuration without layer names, and of its weights' shapes."""
    config = _model_config(model) if config is None else config
    if config is None:
        return None
    text = json.dumps(_strip_names(config), sort_keys=True, default=str)
    shapes = [list(w.shape) for w in model.weights]
    return hashlib.sha256((text + json.dumps(shapes)).encode()).hexdigest()[:16]


def _builds_the_same_model(model, saved_config, fingerprint) -> bool:
    """Whether today's code, given the checkpoint's configuration, builds the model being trained.

    A setting added to a layer after the checkpoint was written is absent from its configuration;
    rebuilt, it takes its default, and the checkpoint still fits when that is the value in use."""
    if saved_config is None:
        return False
    try:
        rebuilt = type(model).from_config(saved_config)
    except Exception:  # noqa: BLE001 - a configuration today's code cannot read is a different model
        return False
    return _config_fingerprint(rebuilt) == fingerprint


def _config_differences(saved, current, path="", limit=5) -> list:
    """Up to ``limit`` places where two configurations differ, as 'path: saved -> now'."""
    if isinstance(saved, dict) and isinstance(current, dict):
        found = []
        for key in sorted(set(saved) | set(current), key=str):
            if len(found) >= limit:
                break
            if key not in saved:
                found.append(f"{path}{key}: (absent) -> {current[key]!r}")
            elif key not in current:
                found.append(f"{path}{key}: {saved[key]!r} -> (absent)")
            else:
                found += _config_differences(saved[key], current[key], f"{path}{key}.", limit - len(found))
        return found
    if isinstance(saved, list) and isinstance(current, list) and len(saved) == len(current):
        found = []
        for index, (left, right) in enumerate(zip(saved, current)):
            if len(found) >= limit:
                break
            found += _config_differences(left, right, f"{path}{index}.", limit - len(found))
        return found
    return [] if saved == current else [f"{path.rstrip('.') or '(the model)'}: {saved!r} -> {current!r}"[:200]]


class _EpochControl(keras.callbacks.Callback):
    """Re-seeds random layers and sets the data's epoch; writes the checkpoint after each epoch.

    It runs after every other callback, so the checkpoint holds their state at the end of the
    epoch (an early stop, a best value) and nothing of an epoch that did not finish.
    """

    def __init__(self, dataset, seed, checkpoint, callbacks, save_model, history):
        super().__init__()
        self.dataset = dataset
        self.seed = seed
        self.checkpoint = checkpoint
        self.callbacks = callbacks
        self.save_model = save_model
        self.history = history

    def on_epoch_begin(self, epoch, logs=None):
        _reseed(self.model, self.seed, epoch)
        if callable(getattr(self.dataset, "set_epoch", None)):
            self.dataset.set_epoch(epoch)

    def on_epoch_end(self, epoch, logs=None):
        from shared.callbacks import note_epoch_saved, note_epoch_unsaved

        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(float(value))
        if self.checkpoint is None:
            note_epoch_unsaved(epoch + 1)
            return
        # An early stop ends the run for good; a time budget's stop does not (a rerun continues).
        finished = any(isinstance(c, keras.callbacks.EarlyStopping) and c.stopped_epoch > 0 for c in self.callbacks)
        self.checkpoint.write(self.model, epoch + 1, self.history, self.callbacks, finished, self.save_model)
        note_epoch_saved(epoch + 1)


def _advance(dataset, epochs):
    """Bring ``dataset`` to the state it has at the start of epoch ``epochs`` of an uninterrupted run."""
    if callable(getattr(dataset, "set_epoch", None)):
        dataset.set_epoch(epochs)
    elif isinstance(dataset, keras.utils.PyDataset):
        for _ in range(epochs):
            dataset.on_epoch_begin()
            dataset.on_epoch_end()
    elif _is_tf_dataset(dataset):
        warnings.warn("A tf.data.Dataset starts its shuffling over when training resumes, so the resumed "
                      "epochs see another data order than an uninterrupted run; use arrays or a "
                      "keras.utils.PyDataset with set_epoch(epoch) for an exact resume.", stacklevel=3)


def _truncate_log(path, epochs):
    """Keep the header and the first ``epochs`` rows of a CSV log (rows of an unfinished epoch go)."""
    lines = Path(path).read_text().splitlines(keepends=True)
    if len(lines) > epochs + 1:
        _atomic(path, lambda p: Path(p).write_text("".join(lines[:epochs + 1])))


DISTRIBUTE_MODES = ("mirrored", "multi_worker", "data_parallel")
_distribution = {}  # this process's strategy, JAX processes joined, default mode, outputs


def worker_info():
    """``(index, count)`` of this process among the training workers that ``TF_CONFIG`` names.

    The chief (a ``chief`` task, or worker 0 when the cluster has none) is index 0; a process
    without ``TF_CONFIG`` is ``(0, 1)``.
    """
    raw = os.environ.get("TF_CONFIG")
    if not raw:
        return _process_info()
    try:
        config = json.loads(raw)
        cluster, task = config.get("cluster", {}), config.get("task", {})
        chiefs = len(cluster.get("chief", []))
        count = chiefs + len(cluster.get("worker", []))
        index = int(task.get("index", 0)) + (chiefs if task.get("type") == "worker" else 0)
    except (ValueError, AttributeError, TypeError) as error:
        raise ValueError(f"TF_CONFIG must be JSON with 'cluster' and 'task' entries; got {raw!r} ({error})") \
            from error
    if not 0 <= index < max(count, 1):
        raise ValueError(f"TF_CONFIG: task {task} is not in the cluster {cluster}")
    return index, max(count, 1)


def _process_info():
    """``(index, count)`` from Keras' ``KERAS_DISTRIBUTION_PROCESS_ID`` / ``_NUM_PROCESSES`` (JAX), else ``(0, 1)``."""
    count = os.environ.get("KERAS_DISTRIBUTION_NUM_PROCESSES")
    if not count:
        return 0, 1
    index = os.environ.get("KERAS_DISTRIBUTION_PROCESS_ID", "")
    try:
        count, index = int(count), int(index)
    except ValueError as error:
        raise ValueError(f"KERAS_DISTRIBUTION_NUM_PROCESSES and KERAS_DISTRIBUTION_PROCESS_ID must be whole numbers; "
                         f"got {count!r} and {index!r}") from error
    if not 0 <= index < count:
        raise ValueError(f"KERAS_DISTRIBUTION_PROCESS_ID must be in 0..{count - 1}; got {index}")
    return index, count


def start_processes():
    """Join this process to the JAX processes that Keras' ``KERAS_DISTRIBUTION_*`` variables name (once).

    ``KERAS_DISTRIBUTION_JOB_ADDRESSES`` (the coordinator's host:port first),
    ``KERAS_DISTRIBUTION_NUM_PROCESSES`` and ``KERAS_DISTRIBUTION_PROCESS_ID``; call it before JAX
    computes anything (``--distribute data_parallel`` does). On CPUs the processes exchange
    gradients over Gloo. Without the variables it does nothing.
    """
    if "processes" in _distribution or _process_info()[1] == 1:
        return
    if keras.backend.backend() != "jax":
        raise ValueError("KERAS_DISTRIBUTION_NUM_PROCESSES is set: training across processes with "
                         "distribute='data_parallel' needs KERAS_BACKEND=jax (TensorFlow: 'multi_worker' with "
                         "TF_CONFIG).")
    if not os.environ.get("KERAS_DISTRIBUTION_JOB_ADDRESSES"):
        raise ValueError("KERAS_DISTRIBUTION_NUM_PROCESSES is set but KERAS_DISTRIBUTION_JOB_ADDRESSES is not: "
                         "give the coordinator's host:port (process 0).")
    import jax

    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    keras.distribution.initialize()
    _distribution["processes"] = True


def is_chief() -> bool:
    """Whether this process writes checkpoints, logs and the final model (always so outside a cluster)."""
    return worker_info()[0] == 0


def multi_worker_strategy():
    """This process's ``tf.distribute.MultiWorkerMirroredStrategy``, created once from ``TF_CONFIG``.

    TensorFlow sets up its collective operations when the strategy is created, and only before
    it has run anything else: a program that trains with ``distribute="multi_worker"`` calls this
    first (``cnnkit <app> train --distribute multi_worker`` does). Every worker runs the same
    program with its own ``TF_CONFIG`` task; see docs/shared.md, "Training on several machines".
    """
    if "strategy" in _distribution:
        return _distribution["strategy"]
    backend = keras.backend.backend()
    if backend != "tensorflow":
        raise ValueError(f"distribute='multi_worker' uses tf.distribute and needs KERAS_BACKEND=tensorflow "
                         f"(active backend: {backend}).")
    if not os.environ.get("TF_CONFIG"):
        raise ValueError("distribute='multi_worker' needs the TF_CONFIG environment variable: the cluster's "
                         "workers (host:port each) and this process's task, e.g. "
                         '{"cluster": {"worker": ["host1:12345", "host2:12345"]}, "task": {"type": "worker", '
                         '"index": 0}}')
    worker_info()  # a malformed TF_CONFIG is named before TensorFlow reads it
    import tensorflow as tf

    try:
        strategy = tf.distribute.MultiWorkerMirroredStrategy()
    except RuntimeError as error:
        raise RuntimeError(
            "distribute='multi_worker': TensorFlow sets up collective operations only before it runs anything "
            "else. Call shared.training.multi_worker_strategy() at the start of the program, before building "
            f"the model ({error})") from error
    _patch_keras_for_multi_worker(tf)
    _distribution["strategy"] = strategy
    return strategy


def use_distribution(distribute, shared_out=None, own_out=None):
    """Make ``distribute`` the default of every later ``fit`` call in this process (None: no default).

    This is what ``--distribute`` does for a ``cnnkit ... train`` command; ``"multi_worker"`` creates the
    strategy at once (see ``multi_worker_strategy``). On a worker that is not the chief the command
    writes its outputs to ``own_out``, a scratch folder, instead of ``shared_out``, the folder on shared
    storage: ``fit`` then reads the checkpoint that the chief writes under ``shared_out``, so that
    every worker resumes from the same epoch.
    """
    if distribute is not None and distribute not in DISTRIBUTE_MODES:
        raise ValueError(f"The 'distribute' parameter of use_distribution must be one of "
                         f"{', '.join(DISTRIBUTE_MODES)} or None; got {distribute!r}.")
    if distribute == "multi_worker":
        multi_worker_strategy()
    elif distribute == "data_parallel":
        start_processes()
    _distribution["default"] = distribute
    _distribution["outs"] = (Path(own_out), Path(shared_out)) if own_out and shared_out else None


def distribution_outputs():
    """``(scratch folder, shared folder)`` of a non-chief worker's command (``use_distribution``), else None."""
    return _distribution.get("outs")


def _shared_checkpoint_dir(checkpoint_dir):
    """Where a non-chief worker reads the checkpoint: its scratch output folder mapped to the chief's."""
    outs = _distribution.get("outs")
    if checkpoint_dir is None or outs is None:
        return checkpoint_dir
    own, shared = outs
    try:
        return str(shared / Path(checkpoint_dir).resolve().relative_to(own.resolve()))
    except ValueError:
        return checkpoint_dir


def _patch_keras_for_multi_worker(tf):
    """Two fixes to Keras' TensorFlow trainer without which ``fit`` fails under several workers.

    Keras reduces the first batch (to build the model symbolically) and the per-step logs with
    ``strategy.reduce``, which ``MultiWorkerMirroredStrategy`` accepts only one value at a time
    and, for a scalar, only along ``axis=None`` (keras-team/keras#20585). Here the model is built
    from this worker's part of the batch (only the shapes matter) and the logs are averaged one
    value at a time; nothing changes for one worker or for other strategies.
    """
    from keras.src.backend.tensorflow import trainer as tf_trainer

    if getattr(tf_trainer, "_cnnkit_multi_worker", False):
        return
    single_process_reduce = tf_trainer.reduce_per_replica

    def mean(strategy, value):
        if not isinstance(value, tf.distribute.DistributedValues):
            return value
        rank = strategy.experimental_local_results(value)[0].shape.rank
        return strategy.reduce("MEAN", value, axis=0 if rank else None)

    def local(strategy, value):  # building needs the shapes only: this worker's part will do
        if not isinstance(value, tf.distribute.DistributedValues):
            return value
        return strategy.experimental_local_results(value)[0]

    def reduce_per_replica(values, strategy, reduction):
        if tf_trainer._collective_all_reduce_multi_worker(strategy) and reduction in ("auto", "mean"):
            return keras.tree.map_structure(lambda value: mean(strategy, value), values)
        return single_process_reduce(values, strategy, reduction)

    def maybe_symbolic_build(self, iterator=None, data_batch=None):
        if self._distribute_strategy is None:
            return
        if iterator is not None:
            for _, _, batches in iterator:
                data_batch = keras.tree.map_structure(lambda value: local(self.distribute_strategy, value),
                                                      next(batches))
                break
        with self.distribute_strategy.scope():
            self._symbolic_build(data_batch=data_batch)

    tf_trainer.reduce_per_replica = reduce_per_replica
    tf_trainer.TensorFlowTrainer._maybe_symbolic_build = maybe_symbolic_build
    tf_trainer._cnnkit_multi_worker = True


class _Shares:
    """What ``_WorkerShares`` and ``_ProcessShares`` have in common: the source dataset, this process's
    ``rank`` of ``ranks`` (not ``workers``: that is a ``PyDataset``'s count of loading threads), and
    the source's epoch, which Keras no longer drives once the source is wrapped."""

    def _wrap(self, dataset):
        self.source = dataset
        self._epoch = 0
        self.rank, self.ranks = worker_info()
        # A dataset made of files that can be dealt out (Go position shards) gives each process its own.
        self.own_files = self.ranks > 1 and callable(getattr(dataset, "share_files", None))
        if self.own_files:
            dataset.share_files(self.rank, self.ranks)

    @property
    def epoch(self):
        return getattr(self.source, "epoch", self._epoch)

    def set_epoch(self, epoch):
        """Bring the source to ``epoch``: its ``set_epoch``, or its ``on_epoch_end`` once per epoch passed."""
        if callable(getattr(self.source, "set_epoch", None)):
            self.source.set_epoch(epoch)
        else:
            for _ in range(self._epoch, int(epoch)):
                self.source.on_epoch_end()
        self._epoch = int(epoch)


class _WorkerShares(_Shares):
    """An epoch-seeded dataset as each worker's share of every batch, for ``multi_worker`` training.

    All workers plan the same epoch from ``(seed, epoch)``; worker ``i`` of ``n`` trains on rows
    ``i, i + n, ...`` of each batch, so together they see each batch exactly once and the global
    batch is the single-process one. A dataset with ``worker_batch(index, worker, workers)``
    (``ArrayDataset``) reads only the share; any other is read whole and sliced. A batch with
    fewer rows than workers is skipped by all of them (every worker must run the same steps).
    A dataset with ``share_files(worker, workers)`` (Go position shards) is instead given its own
    files: each worker draws its part of every global batch from its own shards.
    """

    def __init__(self, dataset, strategy, class_weight=None):
        import tensorflow as tf

        self._wrap(dataset)
        self.class_weight = class_weight
        first = self._share(0)
        signature = tf.nest.map_structure(
            lambda a: tf.TensorSpec((None,) + np.asarray(a).shape[1:], tf.as_dtype(np.asarray(a).dtype)), first)

        def batches(_):
            return tf.data.Dataset.from_generator(self._shares, output_signature=signature).prefetch(2)

        self.dataset = strategy.distribute_datasets_from_function(batches)

    def _share(self, index):
        if callable(getattr(self.source, "worker_batch", None)):
            batch = self.source.worker_batch(index, self.rank, self.ranks)
        else:
            batch = keras.tree.map_structure(lambda a: np.asarray(a)[self.rank::self.ranks],
                                             tuple(self.source[index]))
        if self.class_weight is not None:
            batch = _weigh_classes(tuple(batch), self.class_weight)
        return _as_nest(tuple(batch))

    def _shares(self):
        for index in range(len(self.source)):
            share = self._share(index)
            if min(len(a) for a in keras.tree.flatten(share)) == 0:
                continue
            yield share


def _weigh_classes(batch, class_weight):
    """``(x, y[, sample_weight])`` with each row weighed by its class, as Keras' ``class_weight`` does
    (one-hot targets by their largest entry; a class missing from ``class_weight`` weighs 1)."""
    if len(batch) < 2:
        raise ValueError("class_weight needs targets: the batches hold inputs only.")
    y = np.asarray(batch[1])
    classes = y.argmax(axis=-1) if y.ndim > 1 and y.shape[-1] > 1 else np.round(y.reshape(len(y))).astype(int)
    weights = np.array([class_weight.get(int(c), 1.0) for c in classes], dtype="float32")
    if len(batch) > 2:
        weights = weights * np.asarray(batch[2], dtype="float32")
    return (batch[0], batch[1], weights)


class _ProcessShares(_Shares, keras.utils.PyDataset):
    """A dataset as this JAX process's share of every batch, for ``data_parallel`` across processes.

    As ``_WorkerShares``, but Keras assembles the global batch from equal shares: a batch's last
    ``len % processes`` rows are left out, and the shares must be per-row arrays (DeepDTA's entity
    batches are not: train it with ``per_pair`` there).
    """

    def __init__(self, dataset):
        super().__init__()
        self._wrap(dataset)

    def __len__(self):
        return len(self.source)

    def __getitem__(self, index):
        if self.own_files:
            return self.source.worker_batch(index, self.rank, self.ranks)
        if isinstance(self.source, ArrayDataset):
            return self.source.worker_batch(index, self.rank, self.ranks, equal=True)
        batch = tuple(self.source[index])
        lengths = {len(a) for a in keras.tree.flatten(batch)}
        if len(lengths) != 1:
            raise ValueError(
                f"distribute='data_parallel' across processes splits every batch by rows, but batch {index} of "
                f"{type(self.source).__name__} holds arrays of {sorted(lengths)} rows; give it per-row batches "
                "(DeepDTA: --per-pair).")
        rows = lengths.pop()
        keep = rows - rows % self.ranks
        return keras.tree.map_structure(lambda a: np.asarray(a)[:keep][self.rank::self.ranks], batch)


def _distributed_copy(model, distribute):
    """Rebuild ``model`` inside a distribution scope (variables must be created there)."""
    backend = keras.backend.backend()
    if distribute == "mirrored":
        if backend != "tensorflow":
            raise ValueError(
                f"distribute='mirrored' uses tf.distribute and needs KERAS_BACKEND=tensorflow "
                f"(active backend: {backend}). Use distribute='data_parallel' on JAX."
            )
        import tensorflow as tf

        scope = tf.distribute.MirroredStrategy().scope
    elif distribute == "multi_worker":
        scope = multi_worker_strategy().scope
    elif distribute == "data_parallel":
        if backend != "jax":
            raise ValueError(
                f"distribute='data_parallel' uses keras.distribution and needs KERAS_BACKEND=jax "
                f"(active backend: {backend}). Use distribute='mirrored' on TensorFlow."
            )
        start_processes()
        distribution = keras.distribution.DataParallel(devices=keras.distribution.list_devices())
        distribution.auto_shard_dataset = False  # several processes: each feeds its share (_ProcessShares)
        scope = distribution.scope
    else:
        raise ValueError(
            f"Unknown distribute={distribute!r}. Expected None, 'mirrored' (TensorFlow, the devices of one "
            "machine), 'multi_worker' (TensorFlow, the processes that TF_CONFIG names) or 'data_parallel' (JAX)."
        )
    with scope():
        copy = model.__class__.from_config(model.get_config()) if hasattr(model, "get_config") \
            and model.__class__ not in (keras.Model, keras.Sequential) else keras.models.clone_model(model)
        copy.set_weights(model.get_weights())
        compile_config = model.get_compile_config()
        if compile_config:
            copy.compile_from_config(compile_config)
    return copy, scope


def fit(
    model,
    train,
    validation=None,
    epochs=1,
    batch_size=32,
    checkpoint_dir=None,
    resume=True,
    early_stopping_patience=None,
    early_stopping_monitor=None,
    seed=0,
    log_dir=None,
    tensorboard=False,
    callbacks=None,
    verbose="auto",
    distribute=None,
    shuffle=True,
    class_weight=None,
    mixed_precision=False,
    save_model=True,
):
    """Train a compiled ``model`` and return its ``keras.callbacks.History``.

    Args:
        train: ``(x, y)`` / ``(x, y, sample_weight)`` arrays (x may be a list or dict), a
            ``keras.utils.PyDataset`` (exactly resumable: see the module's notes) or a
            ``tf.data.Dataset``.
        validation: the same forms, or None.
        checkpoint_dir: where the model, the optimizer and the callbacks' states are saved
            after every epoch; with ``resume`` a later call continues from there (saying so on
            standard error), and a finished run is not trained again. ``resume=False`` starts
            over and forgets the old checkpoint. A checkpoint that cannot be read raises a
            ``ValueError`` naming the file.
        early_stopping_patience: stop after this many epochs without improvement of
            ``early_stopping_monitor`` (``val_loss`` when validation data is given).
        callbacks: more Keras callbacks; those with ``get_resume_state()`` and
            ``set_resume_state(state)`` (JSON values and NumPy arrays) are resumed too, and a
            finished run calls their ``on_train_begin`` and ``on_train_end`` again (so that,
            for example, the best weights are restored as at the end of the run).
        log_dir: a CSV log (``training_log.csv``) and, with ``tensorboard``, TensorBoard logs.
        distribute: None (the default that ``use_distribution`` set, if any), ``"mirrored"``
            (tf.distribute over the devices of this machine), ``"multi_worker"`` (the processes that
            ``TF_CONFIG`` names; only the chief writes the checkpoint and the logs) or
            ``"data_parallel"`` (JAX).
        mixed_precision: require a model built under a mixed policy (see
            ``use_mixed_precision``); raises if it is not.
    """
    from shared.callbacks import ResumableEarlyStopping, note_training_start

    if getattr(model, "optimizer", None) is None or not model.compiled:
        raise ValueError("fit() needs a compiled model: call model.compile(...) first.")
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}.")
    if mixed_precision and not str(model.dtype_policy.name).startswith("mixed"):
        raise ValueError(
            "mixed_precision=True but the model was built with policy "
            f"{model.dtype_policy.name!r}. Call shared.training.use_mixed_precision() before "
            "building the model."
        )
    _set_global_seed(int(seed))
    if distribute is None:
        distribute = _distribution.get("default")

    dataset = train
    if isinstance(train, tuple):
        if len(train) not in (2, 3):
            raise ValueError("train must be (x, y) or (x, y, sample_weight).")
        dataset = ArrayDataset(*train, batch_size=batch_size, shuffle=shuffle, seed=seed)
        if _TFArrayFeed.suits(dataset, distribute):
            dataset = _TFArrayFeed(dataset)
    if distribute == "data_parallel" and _process_info()[1] > 1 and isinstance(dataset, keras.utils.PyDataset):
        dataset = _ProcessShares(dataset)
    if distribute == "multi_worker":
        if isinstance(dataset, keras.utils.PyDataset):
            # Keras cannot weigh classes in a distributed dataset: each share carries them as sample weights.
            dataset = _WorkerShares(dataset, multi_worker_strategy(), class_weight)
            class_weight = None
        elif class_weight is not None:
            raise ValueError("class_weight with distribute='multi_worker' needs arrays or a keras.utils.PyDataset; "
                             "weigh the samples of a tf.data.Dataset instead.")
    validation_data = validation
    if isinstance(validation, tuple) and len(validation) not in (2, 3):
        raise ValueError("validation must be (x, y) or (x, y, sample_weight).")

    original = model
    scope = None
    if distribute is not None:
        model, scope = _distributed_copy(model, distribute)

    monitor = early_stopping_monitor or ("val_loss" if validation is not None else "loss")
    early = None
    if early_stopping_patience is not None:
        early = ResumableEarlyStopping(monitor=monitor, patience=int(early_stopping_patience),
                                       restore_best_weights=False, verbose=1 if verbose else 0)
    user_callbacks = ([early] if early is not None else []) + list(callbacks or [])

    chief = is_chief()
    if not chief:
        checkpoint_dir = _shared_checkpoint_dir(checkpoint_dir)
    checkpoint = _Checkpoint(checkpoint_dir) if checkpoint_dir else None
    initial_epoch, history_so_far, finished = 0, {}, False
    if checkpoint is not None and not resume:
        if chief:
            checkpoint.discard()
    elif checkpoint is not None and checkpoint.exists():
        state = checkpoint.restore(model, user_callbacks)
        if early is not None and "callbacks" not in state and state.get("early_stopping"):
            # A checkpoint written before callbacks had resume states kept only this.
            early.set_resume_state({**state["early_stopping"], "stopped_epoch": 0, "best_weights": None})
        initial_epoch = int(state["epoch"])
        history_so_far = {k: list(v) for k, v in state.get("history", {}).items()}
        finished = bool(state.get("finished")) or initial_epoch >= epochs
    note_training_start(checkpoint is not None, initial_epoch + 1 if initial_epoch and not finished else None)
    if finished:
        sys.stderr.write(f"{checkpoint.directory} holds a finished run of {initial_epoch} epoch(s); "
                         "not training again\n")
    elif initial_epoch:
        sys.stderr.write(f"resuming from epoch {initial_epoch + 1} of {epochs} "
                         f"(checkpoint: {checkpoint.directory})\n")
    sys.stderr.flush()

    all_callbacks = list(user_callbacks)
    if log_dir and chief:  # the other workers of a cluster train the same epochs and write nothing
        Path(log_dir).mkdir(parents=True, exist_ok=True)
        log_path = Path(log_dir) / "training_log.csv"
        if initial_epoch and log_path.exists():
            _truncate_log(log_path, initial_epoch)
        all_callbacks.append(keras.callbacks.CSVLogger(str(log_path), append=initial_epoch > 0))
        if tensorboard:
            try:
                import tensorboard  # noqa: F401
                import tensorflow  # noqa: F401
            except ImportError as error:
                raise ValueError(
                    "tensorboard=True needs the tensorflow and tensorboard packages installed "
                    "(pip install tensorflow tensorboard)."
                ) from error
            all_callbacks.append(keras.callbacks.TensorBoard(str(Path(log_dir) / "tensorboard")))
    writer = checkpoint
    if checkpoint is not None and not chief:
        # Reading a distributed model's variables for a checkpoint takes part in the workers' collective
        # operations, so every worker writes one; the others write theirs where nobody reads them.
        writer = _Checkpoint(tempfile.mkdtemp(prefix="cnnkit-worker-checkpoint-"), scratch=True)
    control = _EpochControl(dataset, seed, writer, user_callbacks, save_model, history_so_far)
    all_callbacks.append(control)

    if finished:
        # Nothing to train; callbacks with resume state end as they did (best weights restored).
        for callback in user_callbacks:
            if _resumable(callback):
                callback.set_model(model)
                callback.on_train_begin()
                callback.on_train_end()
        if scope is not None:
            original.set_weights(model.get_weights())
        history = keras.callbacks.History()
        history.history = history_so_far
        history.epoch = list(range(len(next(iter(history_so_far.values()), []))))
        return history

    if initial_epoch:
        _advance(dataset, initial_epoch)
    sets_epoch = callable(getattr(dataset, "set_epoch", None))
    fit_kwargs = dict(
        validation_data=validation_data, epochs=epochs, initial_epoch=initial_epoch,
        callbacks=all_callbacks, verbose=verbose, class_weight=class_weight,
        # A dataset with set_epoch orders itself from (seed, epoch); Keras' own batch shuffling
        # on top would only add randomness.
        shuffle=False if sets_epoch else shuffle,
    )
    feed = dataset.dataset if isinstance(dataset, (_TFArrayFeed, _WorkerShares)) else dataset
    if not isinstance(feed, keras.utils.PyDataset) and not _is_tf_dataset(feed):
        fit_kwargs["batch_size"] = batch_size
    if scope is not None:
        with scope():
            history = model.fit(feed, **fit_kwargs)
        original.set_weights(model.get_weights())
    else:
        history = model.fit(feed, **fit_kwargs)
    # Report the full curve, including epochs run before a resume.
    history.history = {k: list(v) for k, v in control.history.items()}
    return history


def _is_tf_dataset(value):
    return type(value).__module__.startswith("tensorflow")
