"""Checks every test module shares, as KerasHub's ``TestCase`` does (``run_model_saving_test``)."""

from __future__ import annotations

import json

import keras
import numpy as np


def run_model_saving_test(model, inputs, tmp_path, atol: float = 1e-6, name: str = "model.keras"):
    """Save ``model`` as ``.keras``, load it back, and check: same class, same config, same outputs.

    Returns the reloaded model for further checks.
    """
    path = tmp_path / name
    model.save(path)
    restored = keras.saving.load_model(path, compile=False)
    assert type(restored) is type(model), f"reloaded a {type(restored).__name__}, saved a {type(model).__name__}"
    # Compared as JSON, as KerasHub does: a reloaded config gives lists where the original had tuples.
    assert json.dumps(restored.get_config(), sort_keys=True, default=str) == \
        json.dumps(model.get_config(), sort_keys=True, default=str)
    expected = model.predict(inputs, verbose=0)
    actual = restored.predict(inputs, verbose=0)
    for want, got in zip(keras.tree.flatten(expected), keras.tree.flatten(actual)):
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), atol=atol)
    return restored


def run_cli(main, argv, capsys) -> tuple[int, str, str]:
    """Run an app's ``cli.main(argv)``; return ``(exit status, stdout, stderr)``."""
    code = main(list(map(str, argv)))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def cli_json(main, argv, capsys) -> dict:
    """Run an app's command with ``--json``; assert it succeeded; return its last-line JSON."""
    code, out, err = run_cli(main, [*argv, "--json"], capsys)
    assert code == 0, err
    return json.loads(out.strip().splitlines()[-1])


class StopDuring(keras.callbacks.Callback):
    """Raises ``error`` in the middle of ``epoch`` (0-based), after its second batch, as Ctrl-C
    (``KeyboardInterrupt``) or a crash (any other exception) would."""

    def __init__(self, epoch, error=KeyboardInterrupt):
        super().__init__()
        self.epoch, self.error, self.current = epoch, error, None

    def on_epoch_begin(self, epoch, logs=None):
        self.current = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.current == self.epoch and batch == 1:
            raise self.error("simulated stop")


def stop_fit_during(monkeypatch, module, epoch, error, name: str = "fit"):
    """Make ``module.<name>`` (the fit function an app's trainer calls) stop in ``epoch`` with
    ``error``: the app trains as usual and is interrupted mid-epoch."""
    real = getattr(module, name)

    def fit(*args, callbacks=None, **kwargs):
        return real(*args, callbacks=[*(callbacks or []), StopDuring(epoch, error)], **kwargs)

    monkeypatch.setattr(module, name, fit)


def register_preset(model_file, folder, monkeypatch, name: str, app: str, **metadata):
    """Pack ``model_file`` (a ``.keras`` file or a model, saved first) as preset ``name`` of ``app``
    into ``folder``, and make ``folder`` the registry's only extra folder (for this test). Returns
    the packed file.

    The metadata holds every required key (placeholders unless ``metadata`` gives them).
    """
    from shared import presets

    monkeypatch.setattr(presets, "_EXTRA_FOLDERS", [])
    if isinstance(model_file, keras.Model):
        folder.mkdir(parents=True, exist_ok=True)
        model_file.save(folder / f"{name}.source.keras")
        model_file = folder / f"{name}.source.keras"
    target = presets.pack_keras_file(model_file, folder / f"{name}.keras")
    record = {"name": name, "app": app, "task": "Task", "module": "shared", "description": f"test preset {name}",
              "input": "-", "output": "-", "dataset": {"name": "none", "description": "-", "license": "-",
                                                      "citation": "-"},
              "metrics": {}, "references": {}, "result": "none", "command": ["true"], "file": target.name,
              "weights_dtype": "float32", "examples": [], **metadata}
    presets.write_metadata(record, folder)
    presets.register_folder(folder)
    return target
