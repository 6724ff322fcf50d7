"""``fit``: Keras training with resumable checkpoints, logs, early stopping and distribution.

A run killed mid-way and started again with the same arguments continues from its last
checkpoint and ends with the same weights as an uninterrupted run: the per-epoch data
order and every random layer (dropout, fractional pooling) are re-seeded from
``(seed, epoch)`` at the start of each epoch, and the checkpoint holds the model weights
and the optimizer state.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import keras
import numpy as np

__all__ = ["ArrayDataset", "fit", "use_mixed_precision", "mixed_precision_policy", "CHECKPOINT_WEIGHTS",
           "CHECKPOINT_MODEL"]

CHECKPOINT_WEIGHTS = "last.weights.h5"
CHECKPOINT_OPTIMIZER = "optimizer.npz"
CHECKPOINT_STATE = "state.json"
CHECKPOINT_MODEL = "last.keras"


class ArrayDataset(keras.utils.PyDataset):
    """Batches of in-memory arrays in an order that depends only on ``(seed, epoch)``.

    ``x`` may be an array, a list or a dict of arrays; ``y`` an array or None.
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
        self.epoch = 0
        self.next_epoch = 0
        self._order = np.arange(self.size)

    def on_epoch_begin(self):
        # Called by Keras before the epoch's batches are fetched (even with prefetching).
        self.set_epoch(self.next_epoch)
        self.next_epoch += 1

    def set_epoch(self, epoch):
        self.epoch = int(epoch)
        if self.shuffle:
            self._order = np.random.default_rng([self.seed, self.epoch]).permutation(self.size)

    def __len__(self):
        return -(-self.size // self.batch_size)

    def __getitem__(self, index):
        rows = self._order[index * self.batch_size:(index + 1) * self.batch_size]
        batch = (_take(self.x, rows),)
        if self.y is not None:
            batch += (_take(self.y, rows),)
            if self.sample_weight is not None:
                batch += (self.sample_weight[rows],)
        return batch


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
    return "mixed_float16" if _has_gpu() else "mixed_bfloat16"


def _has_gpu():
    try:
        return any(d.startswith("gpu") or "cuda" in d.lower() for d in keras.distribution.list_devices())
    except Exception:  # noqa: BLE001 - some backends cannot list devices
        return False


def _seed_generators(model):
    generators = []
    for layer in model._flatten_layers(include_self=True, recursive=True):
        generators.extend(getattr(layer, "_seed_generators", []))
    return generators


def _reseed(model, seed, epoch):
    for index, generator in enumerate(_seed_generators(model)):
        state = np.array([seed * 1000003 + epoch, index], dtype=generator.state.dtype)
        generator.state.assign(state)


class _EpochControl(keras.callbacks.Callback):
    """Re-seeds data order and random layers per epoch; writes the resumable checkpoint."""

    def __init__(self, dataset, seed, checkpoint_dir, early_stopping, save_model):
        super().__init__()
        self.dataset = dataset
        self.seed = seed
        self.checkpoint_dir = Path(checkpoint_dir) if checkpoint_dir else None
        self.early_stopping = early_stopping
        self.save_model = save_model
        self.history = {}

    def on_epoch_begin(self, epoch, logs=None):
        _reseed(self.model, self.seed, epoch)

    def on_epoch_end(self, epoch, logs=None):
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(float(value))
        if self.checkpoint_dir is None:
            return
        directory = self.checkpoint_dir
        directory.mkdir(parents=True, exist_ok=True)
        _atomic(directory / CHECKPOINT_WEIGHTS, self.model.save_weights)
        optimizer_arrays = [np.asarray(keras.ops.convert_to_numpy(v)) for v in self.model.optimizer.variables]
        _atomic(directory / CHECKPOINT_OPTIMIZER, lambda p: np.savez(p, *optimizer_arrays), suffix=".npz")
        if self.save_model:
            _atomic(directory / CHECKPOINT_MODEL, self.model.save)
        state = {"epoch": epoch + 1, "history": self.history,
                 "model_fingerprint": _config_fingerprint(self.model)}
        if self.early_stopping is not None:
            state["early_stopping"] = self.early_stopping.state()
        _atomic(directory / CHECKPOINT_STATE, lambda p: Path(p).write_text(json.dumps(state)), suffix=".json")


def _atomic(target, writer, suffix=None):
    target = Path(target)
    temporary = target.with_name(f".tmp-{os.getpid()}-" + target.name)
    if suffix and not temporary.name.endswith(suffix):
        temporary = temporary.with_name(temporary.name + suffix)
    writer(str(temporary))
    os.replace(temporary, target)


class _ResumableEarlyStopping(keras.callbacks.EarlyStopping):
    def __init__(self, restored=None, **kwargs):
        super().__init__(**kwargs)
        self._restored = restored

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        if self._restored:
            self.wait = self._restored["wait"]
            self.best = self._restored["best"]
            self.best_epoch = self._restored["best_epoch"]

    def state(self):
        best = self.best
        return {"wait": int(self.wait), "best": None if best is None else float(best),
                "best_epoch": int(self.best_epoch)}


def _config_fingerprint(model):
    """A hash of the model's configuration without layer names (names change per process)."""

    def strip(value):
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k != "name"}
        if isinstance(value, (list, tuple)):
            return [strip(v) for v in value]
        return value

    try:
        config = model.get_config()
    except Exception:  # noqa: BLE001 - models without a config are not fingerprinted
        return None
    text = json.dumps(strip(config), sort_keys=True, default=str)
    shapes = [list(w.shape) for w in model.weights]
    return hashlib.sha256((text + json.dumps(shapes)).encode()).hexdigest()[:16]


def _restore(model, directory):
    """Load weights and optimizer state from ``directory``; return the saved state dict."""
    directory = Path(directory)
    state = json.loads((directory / CHECKPOINT_STATE).read_text())
    saved, current = state.get("model_fingerprint"), _config_fingerprint(model)
    if saved and current and saved != current:
        raise ValueError(
            f"The checkpoint in {directory} was written by a model with a different configuration "
            "(layers, sizes or settings differ). Use another checkpoint_dir, or resume=False to "
            "start over."
        )
    model.load_weights(str(directory / CHECKPOINT_WEIGHTS))
    if model.optimizer is not None and (directory / CHECKPOINT_OPTIMIZER).exists():
        saved = np.load(directory / CHECKPOINT_OPTIMIZER)
        arrays = [saved[f"arr_{i}"] for i in range(len(saved.files))]
        model.optimizer.build(model.trainable_variables)
        variables = model.optimizer.variables
        if len(variables) != len(arrays):
            raise ValueError(
                f"The checkpoint in {directory} holds {len(arrays)} optimizer variables but the model's "
                f"optimizer has {len(variables)}: it was written by a different model or optimizer. "
                "Use another checkpoint_dir or resume=False."
            )
        for variable, array in zip(variables, arrays):
            variable.assign(array)
    return state


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

        strategy = (tf.distribute.MultiWorkerMirroredStrategy() if os.environ.get("TF_CONFIG")
                    else tf.distribute.MirroredStrategy())
        scope = strategy.scope
    elif distribute == "data_parallel":
        if backend != "jax":
            raise ValueError(
                f"distribute='data_parallel' uses keras.distribution and needs KERAS_BACKEND=jax "
                f"(active backend: {backend}). Use distribute='mirrored' on TensorFlow."
            )
        distribution = keras.distribution.DataParallel(devices=keras.distribution.list_devices())
        scope = distribution.scope
    else:
        raise ValueError(
            f"Unknown distribute={distribute!r}. Expected None, 'mirrored' (TensorFlow) or "
            "'data_parallel' (JAX)."
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
            ``keras.utils.PyDataset`` or a ``tf.data.Dataset``.
        validation: the same forms, or None.
        checkpoint_dir: where the model and optimizer state are saved every epoch; with
            ``resume`` a later call continues from there.
        early_stopping_patience: stop after this many epochs without improvement of
            ``early_stopping_monitor`` (``val_loss`` when validation data is given).
        log_dir: a CSV log (``training_log.csv``) and, with ``tensorboard``, TensorBoard logs.
        distribute: None, ``"mirrored"`` (tf.distribute over local devices;
            MultiWorkerMirroredStrategy under ``TF_CONFIG``) or ``"data_parallel"`` (JAX).
        mixed_precision: require a model built under a mixed policy (see
            ``use_mixed_precision``); raises if it is not.
    """
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
    keras.utils.set_random_seed(int(seed))

    dataset = train
    if isinstance(train, tuple):
        if len(train) not in (2, 3):
            raise ValueError("train must be (x, y) or (x, y, sample_weight).")
        dataset = ArrayDataset(*train, batch_size=batch_size, shuffle=shuffle, seed=seed)
    validation_data = validation
    if isinstance(validation, tuple) and len(validation) not in (2, 3):
        raise ValueError("validation must be (x, y) or (x, y, sample_weight).")

    original = model
    scope = None
    if distribute is not None:
        model, scope = _distributed_copy(model, distribute)

    initial_epoch = 0
    restored_early = None
    history_so_far = {}
    if checkpoint_dir and resume and (Path(checkpoint_dir) / CHECKPOINT_STATE).exists():
        state = _restore(model, checkpoint_dir)
        initial_epoch = int(state["epoch"])
        restored_early = state.get("early_stopping")
        history_so_far = state.get("history", {})

    monitor = early_stopping_monitor or ("val_loss" if validation is not None else "loss")
    early = None
    if early_stopping_patience is not None:
        early = _ResumableEarlyStopping(
            restored=restored_early, monitor=monitor, patience=int(early_stopping_patience),
            restore_best_weights=False, verbose=1 if verbose else 0,
        )
    if isinstance(dataset, ArrayDataset):
        dataset.next_epoch = initial_epoch
    control = _EpochControl(dataset, seed, checkpoint_dir, early, save_model)
    control.history = {k: list(v) for k, v in history_so_far.items()}
    from shared.callbacks import EpochCounter

    all_callbacks = [control, EpochCounter()]
    if early is not None:
        all_callbacks.append(early)
    if log_dir:
        Path(log_dir).mkdir(parents=True, exist_ok=True)
        all_callbacks.append(keras.callbacks.CSVLogger(str(Path(log_dir) / "training_log.csv"),
                                                       append=initial_epoch > 0))
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
    all_callbacks += list(callbacks or [])

    if initial_epoch >= epochs:
        history = keras.callbacks.History()
        history.history = history_so_far
        history.epoch = list(range(len(next(iter(history_so_far.values()), []))))
        return history

    fit_kwargs = dict(
        validation_data=validation_data, epochs=epochs, initial_epoch=initial_epoch,
        callbacks=all_callbacks, verbose=verbose, class_weight=class_weight,
        # ArrayDataset shuffles itself from (seed, epoch); Keras' own batch shuffling would
        # make a resumed run differ from an uninterrupted one.
        shuffle=False if isinstance(dataset, ArrayDataset) else shuffle,
    )
    if not isinstance(dataset, keras.utils.PyDataset) and not _is_tf_dataset(dataset):
        fit_kwargs["batch_size"] = batch_size
    if scope is not None:
        with scope():
            history = model.fit(dataset, **fit_kwargs)
        original.set_weights(model.get_weights())
    else:
        history = model.fit(dataset, **fit_kwargs)
    # Report the full curve, including epochs run before a resume.
    history.history = {k: list(v) for k, v in control.history.items()}
    return history


def _is_tf_dataset(value):
    return type(value).__module__.startswith("tensorflow")
