"""Presets: trained models shipped with cnnkit, loadable by name (as KerasHub's ``from_preset``).

A preset is ``NAME.keras`` and its metadata ``NAME.json`` in an app's ``presets/`` folder. The
metadata says what the model does (``task``, ``input``, ``output``), what it learned from
(``dataset`` with its license), how well it does (``metrics`` on the test split, read from the
benchmark ``result`` that produced it, beside the published ``references``), how to rebuild it
(``command``), and what the file is (``file_bytes``, ``sha256``, ``weights_dtype``). The class
names, vocabularies and encoders are inside the ``.keras`` file itself::

    from shared.presets import list_presets, load_preset

    [p["name"] for p in list_presets()]
    classifier = load_preset("kim_rand_sst2")          # or TextClassifier.from_preset(...)
    classifier.predict_labels(["a gorgeous, witty film"])

Every command that takes ``--model`` accepts a preset name where it takes a path
(:func:`resolve_model`). A preset whose file is missing or whose bytes differ from the recorded
sha256 raises :class:`PresetError` naming it.

An *ensemble* preset has no file of its own: its metadata names other presets of its app as
``members`` (seeds of one recipe), whose mean is its prediction, and its ``metrics`` are that mean's.
Commands that take several ``--model`` take its name for its members (:func:`resolve_models`);
:func:`ensemble_members` lists them, and :func:`load_preset` refuses it with that advice.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import tempfile
import zipfile
from pathlib import Path

from shared.data import sha256_of

ROOT = Path(__file__).resolve().parent.parent
# The keys every preset's metadata holds (tests check them; docs tables read them).
REQUIRED_KEYS = ("name", "app", "task", "module", "description", "input", "output", "dataset", "metrics",
                 "references", "result", "command", "file", "file_bytes", "sha256", "weights_dtype", "examples")
MAX_PLAIN_BYTES = 5_000_000  # 5 MB as the docs count it; larger presets store float16 weights (cast up on load)
_EXTRA_FOLDERS: list[Path] = []


class PresetError(ValueError):
    """A preset that is unknown, missing or damaged; the message names it and what to do."""


def register_folder(folder) -> None:
    """Add a folder of ``NAME.keras`` + ``NAME.json`` presets (e.g. your own) to the registry."""
    folder = Path(folder).resolve()
    if folder not in _EXTRA_FOLDERS:
        _EXTRA_FOLDERS.append(folder)


def preset_folders() -> list[Path]:
    """The apps' ``presets/`` folders, then any registered with :func:`register_folder`."""
    return sorted((ROOT / "apps").glob("*/presets")) + list(_EXTRA_FOLDERS)


def _metadata_files() -> dict[str, Path]:
    found = {}
    for folder in preset_folders():
        for path in sorted(folder.glob("*.json")):
            if path.with_suffix(".keras").exists() or _is_metadata(path):
                found.setdefault(path.stem, path)
    return found


def _is_metadata(path: Path) -> bool:
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return False
    return isinstance(record, dict) and "sha256" in record and "file" in record


def _read_metadata(name: str, path: Path) -> dict:
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise PresetError(f"The metadata of preset {name!r} ({path}) is damaged: {error}. "
                          "Restore it from git (git checkout -- <file>).") from error
    missing = [key for key in REQUIRED_KEYS if key not in record]
    if missing:
        raise PresetError(f"The metadata of preset {name!r} ({path}) lacks {', '.join(missing)}.")
    return {**record, "folder": str(path.parent)}


def preset_names(app: str | None = None) -> list[str]:
    """Every preset name (of one ``app``: image, video, text, dta, go), sorted."""
    return [record["name"] for record in list_presets(app)]


def list_presets(app: str | None = None) -> list[dict]:
    """The metadata of every preset (of one ``app``), sorted by app then name."""
    records = [_read_metadata(name, path) for name, path in _metadata_files().items()]
    if app is not None:
        records = [r for r in records if r["app"] == app]
    return sorted(records, key=lambda r: (r["app"], r["name"]))


def preset_metadata(name: str) -> dict:
    """The metadata of preset ``name``; a :class:`PresetError` listing the presets for an unknown one."""
    files = _metadata_files()
    if name not in files:
        raise PresetError(f"Unknown preset {name!r}. Presets: {', '.join(sorted(files)) or 'none'} "
                          "(`cnnkit presets` lists them with their metrics).")
    return _read_metadata(name, files[name])


def preset_file(name: str) -> Path:
    """The checked ``.keras`` file of preset ``name``: it exists and has the recorded sha256."""
    return _checked_file(preset_metadata(name))


def _checked_file(record: dict) -> Path:
    """The ``.keras`` file a preset's metadata names, after checking that it exists and has the recorded sha256."""
    name = record["name"]
    if record.get("members"):
        raise PresetError(f"Preset {name!r} is an ensemble of the presets {', '.join(record['members'])}: it has "
                          "no file of its own. Pass its name where a command takes several --model, or load "
                          "its members (shared.presets.ensemble_members).")
    path = Path(record["folder"]) / record["file"]
    if not path.is_file():
        raise PresetError(f"Preset {name!r} is missing its weights file {path}. Restore it from git "
                          "(git checkout -- <file>) or rebuild it with: " + " && ".join(record["command"]))
    actual = sha256_of(path)
    if actual != record["sha256"]:
        raise PresetError(f"Preset {name!r} is damaged: {path} has sha256 {actual}, its metadata records "
                          f"{record['sha256']}. Restore it from git or rebuild it with: "
                          + " && ".join(record["command"]))
    return path


def recorded_sha256(path) -> str | None:
    """The sha256 that a preset's metadata records for the file ``path``, or None when ``path`` is
    no preset's file (``shared.runtime`` names exports by it without reading the file again)."""
    path = Path(path).resolve()
    for name, meta in _metadata_files().items():
        record = _read_metadata(name, meta)
        if record["file"] and (Path(record["folder"]) / record["file"]).resolve() == path:
            return record["sha256"]
    return None


def is_preset(spec) -> bool:
    """Whether ``spec`` names a preset (and no file or folder of that name exists)."""
    return isinstance(spec, str) and not Path(spec).exists() and spec in _metadata_files()


def resolve_model(spec, what: str = "--model", app: str | None = None) -> Path:
    """The ``.keras`` file for ``spec``: an existing path, or a preset name (checked).

    ``app`` (image, video, text, dta, go) refuses the presets of other applications. A
    :class:`PresetError` (a ValueError) names ``what`` (the option) when ``spec`` is neither.
    """
    path = Path(spec)
    if path.exists():
        return path
    files = _metadata_files()  # one scan of the registry for the lookup and the error
    if str(spec) in files:
        record = _read_metadata(str(spec), files[str(spec)])
        _check_app(record, spec, what, app)
        return _checked_file(record)
    names = ", ".join(sorted(files) if app is None else preset_names(app))
    raise PresetError(f"{what} {spec}: no such file, and not a preset name. Presets: {names} "
                      f"(`cnnkit presets{'' if app is None else ' --app ' + app}` lists them).")


def _check_app(record: dict, spec, what: str, app: str | None) -> None:
    if app is not None and record["app"] != app:
        raise PresetError(f"{what} {spec} is a preset of the {record['app']} app; cnnkit {app} takes a .keras "
                          f"file or one of its own presets (`cnnkit presets --app {app}` lists them).")


def ensemble_members(name: str) -> list[str]:
    """The member presets of ensemble preset ``name`` (``[]`` for a preset with a file of its own);
    a :class:`PresetError` when a member is unknown, of another app, or an ensemble itself."""
    record = preset_metadata(name)
    members = list(record.get("members") or [])
    files = _metadata_files()
    for member in members:
        if member not in files:
            raise PresetError(f"Ensemble preset {name!r} names the member {member!r}, which is not a preset. "
                              "Restore it from git (git checkout -- <file>) or rebuild it with: "
                              + " && ".join(record["command"]))
        member_record = _read_metadata(member, files[member])
        if member_record["app"] != record["app"] or member_record.get("members"):
            raise PresetError(f"Ensemble preset {name!r}: its member {member!r} must be a preset of the "
                              f"{record['app']} app with a file of its own.")
    return members


def resolve_models(specs, what: str = "--model", app: str | None = None) -> list[Path]:
    """The ``.keras`` files for ``specs`` (paths or preset names, as :func:`resolve_model`), with an
    ensemble preset standing for its members' files, in order."""
    specs = [specs] if isinstance(specs, (str, Path)) else list(specs)
    paths = []
    for spec in specs:
        members = ensemble_members(str(spec)) if is_preset(spec) else []
        if not members:
            paths.append(resolve_model(spec, what, app))
            continue
        _check_app(preset_metadata(str(spec)), spec, what, app)
        paths.extend(resolve_model(member, what, app) for member in members)
    return paths


def _import_module(record: dict) -> None:
    # The model's custom classes register themselves with Keras when their module is imported.
    importlib.import_module(record["module"])


def load_preset(name: str, compile: bool = False):
    """Load preset ``name`` as a ``keras.Model`` (its custom classes imported first).

    ``compile=False`` (the default) gives the model compiled with its task's defaults, ready to
    predict or to train further; ``compile=True`` restores the saved training configuration.
    """
    import keras

    record = preset_metadata(name)
    path = _checked_file(record)
    _import_module(record)
    try:
        return keras.saving.load_model(path, compile=compile)
    except Exception as error:  # noqa: BLE001 - any failure to deserialise is a damaged preset
        raise PresetError(f"Preset {name!r} ({path}) could not be loaded: {error}") from error


# --------------------------------------------------------------------------- packing

def _float32_policies(node):
    """The config with every mixed-precision dtype policy made float32 (presets predict in float32)."""
    if isinstance(node, dict):
        if node.get("class_name") == "DTypePolicy" and str(node.get("config", {}).get("name", "")).startswith("mixed"):
            return {**node, "config": {**node["config"], "name": "float32"}}
        return {key: _float32_policies(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_float32_policies(value) for value in node]
    return node


def pack_keras_file(source, target, float16: bool = False) -> Path:
    """Copy a ``.keras`` file as a preset: without training state or configuration (a loaded preset
    is compiled with its task's defaults: an untrained Adam), with float32 dtype policies, and with
    ``float16`` its float32 weights stored as float16. Keras casts them back to each variable's
    float32 when it loads them, on every backend, so the file loads with ``keras.saving.load_model``."""
    import h5py
    import numpy as np

    source, target = Path(source), Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        with zipfile.ZipFile(source) as archive:
            archive.extractall(work)
        config_path = work / "config.json"
        config = _float32_policies(json.loads(config_path.read_text()))
        config.pop("compile_config", None)
        config_path.write_text(json.dumps(config))
        weights = work / "model.weights.h5"
        if weights.exists():
            packed = work / "packed.weights.h5"
            with h5py.File(weights, "r") as old, h5py.File(packed, "w") as new:
                new.attrs.update(dict(old.attrs))

                def copy(name, item):
                    if name == "optimizer" or name.startswith("optimizer/"):
                        return
                    if isinstance(item, h5py.Group):
                        new.require_group(name).attrs.update(dict(item.attrs))
                        return
                    data = item[()]
                    if float16 and isinstance(data, np.ndarray) and data.dtype == np.float32:
                        data = data.astype(np.float16)
                    new.create_dataset(name, data=data)
                    new[name].attrs.update(dict(item.attrs))

                old.visititems(copy)
                # What an untrained Adam saves (its step and learning rate): a task compiles itself
                # with Adam when it is loaded, and finds the state it expects.
                new.create_dataset("optimizer/vars/0", data=np.int64(0))
                new.create_dataset("optimizer/vars/1", data=np.float32(1e-3))
            os.replace(packed, weights)
        partial = target.with_suffix(".keras.part")
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(work.rglob("*")):
                if path.is_file():
                    archive.write(path, path.relative_to(work).as_posix())
        os.replace(partial, target)
    return target


def write_metadata(record: dict, folder) -> Path:
    """``folder/NAME.json`` for a preset whose ``NAME.keras`` is already in ``folder``: file size and
    sha256 are measured here; the other required keys come from ``record``. An ensemble (``members``)
    gets ``file`` and ``sha256`` null and its members' sizes summed (each member is checked on its own)."""
    folder = Path(folder)
    if record.get("members"):
        sizes = [preset_metadata(member)["file_bytes"] for member in record["members"]]
        record = {**record, "file": None, "file_bytes": sum(sizes), "sha256": None}
    else:
        weights = folder / record["file"]
        record = {**record, "file_bytes": weights.stat().st_size, "sha256": sha256_of(weights)}
    missing = [key for key in REQUIRED_KEYS if key not in record]
    if missing:
        raise ValueError(f"Preset metadata for {record.get('name')!r} lacks {', '.join(missing)}.")
    path = folder / f"{record['name']}.json"
    path.write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def copy_preset(name: str, target_folder) -> Path:
    """Copy preset ``name`` (weights and metadata) into ``target_folder``; returns the ``.keras`` path."""
    record = preset_metadata(name)
    target_folder = Path(target_folder)
    target_folder.mkdir(parents=True, exist_ok=True)
    shutil.copy2(preset_file(name), target_folder / record["file"])
    shutil.copy2(Path(record["folder"]) / f"{name}.json", target_folder / f"{name}.json")
    return target_folder / record["file"]
