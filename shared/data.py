"""Dataset resolver: find a dataset's files locally, or download and verify them.

Resolution order for ``path(name, file)``:

1. ``$CNNKIT_DATA/<folder>/<file>``: a read-only tree laid out like the handbook's
   ``data/`` folder (CI points it there). Never written to.
2. ``$CNNKIT_CACHE/data/<folder>/<file>`` (``$CNNKIT_CACHE`` defaults to
   ``~/.cache/cnnkit``).
3. A download from the file's pinned public URL into the cache, checked by sha256.

Derived artefacts (decoded images, encoded Go positions) belong in
``cache_dir(...)``, never in ``$CNNKIT_DATA``.

Pickles run code when they are loaded, so :func:`load_pickle` unpickles a registered file only
after its sha256 matches the registry, wherever the file came from. A passed check is
remembered in ``$CNNKIT_CACHE/verified_checksums.json`` under the file's resolved path, size,
inode, mtime and ctime; any change to the file (even one that puts the mtime back, which
changes the ctime) makes the next load hash it again. That record is as trusted as the rest of
the cache folder (whoever can write one can write the other).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pickle
import shutil
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from shared.dataset_registry import DATASETS

__all__ = [
    "DATASETS",
    "DatasetNotFoundError",
    "ChecksumError",
    "path",
    "folder",
    "files",
    "cache_dir",
    "cache_lock",
    "data_root",
    "register",
    "sha256_of",
    "load_pickle",
    "verified_checksums_file",
    "load_mnist",
]

# Base URL of pinned downloads; tests point it at a local HTTP server.
_DEFAULT_URL_BASE = "https://raw.githubusercontent.com/"


class DatasetNotFoundError(FileNotFoundError):
    """A dataset file is neither local nor downloadable."""


class ChecksumError(ValueError):
    """A file's sha256 does not match the registry."""


def data_root() -> Path | None:
    """The read-only data tree named by ``$CNNKIT_DATA``, or None."""
    root = os.environ.get("CNNKIT_DATA")
    return Path(root).expanduser() if root else None


def cache_dir(*parts: str) -> Path:
    """A folder in the user cache (created). Derived artefacts go here."""
    base = Path(os.environ.get("CNNKIT_CACHE", Path.home() / ".cache" / "cnnkit")).expanduser()
    target = base.joinpath(*parts)
    target.mkdir(parents=True, exist_ok=True)
    return target


@contextlib.contextmanager
def cache_lock(folder: str | os.PathLike):
    """Hold ``folder``'s lock file while building a cache entry there.

    Several processes that need the same entry (the workers of one distributed training run, two
    runs started together) then build it once: the first builds it, the others wait and find it
    built. The lock is an advisory ``flock`` on ``folder/.lock``, released when the holder exits,
    even when killed; where ``fcntl`` is missing (Windows) the entry is built without a lock.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - POSIX everywhere the project runs
        yield
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    with open(Path(folder) / ".lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def register(name: str, folder: str, files: dict[str, tuple[str, str | None]]) -> None:
    """Add (or replace) a dataset: ``files`` maps file name -> (sha256, url or None)."""
    DATASETS[name] = {"folder": folder, "files": dict(files)}


def sha256_of(file_path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(file_path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _entry(name: str) -> dict:
    if name not in DATASETS:
        raise ValueError(
            f"Unknown dataset {name!r}. Known datasets: {', '.join(sorted(DATASETS))}."
        )
    return DATASETS[name]


def files(name: str) -> list[str]:
    """The registered file names of a dataset."""
    return sorted(_entry(name)["files"])


def _how_to_get(name: str) -> str:
    entry = _entry(name)
    return (
        f"Set CNNKIT_DATA to a folder that holds '{entry['folder']}/' (the handbook's data/ "
        f"folder; `make test` uses ../shared/data), or place the files in "
        f"{Path(os.environ.get('CNNKIT_CACHE', '~/.cache/cnnkit')) / 'data' / entry['folder']}."
    )


def folder(name: str) -> Path:
    """The local folder of a dataset (in ``$CNNKIT_DATA`` or the cache), if any file is there."""
    entry = _entry(name)
    root = data_root()
    candidates = []
    if root is not None:
        candidates.append(root / entry["folder"])
    candidates.append(cache_dir("data") / entry["folder"])
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    raise DatasetNotFoundError(
        f"Dataset {name!r} was not found locally (looked in: "
        f"{', '.join(str(c) for c in candidates)}). {_how_to_get(name)}"
    )


def path(name: str, file: str, download: bool = True, verify: bool = False) -> Path:
    """Local path of one file of a named dataset, e.g. ``path("mr", "rt-polarity.pos")``.

    ``verify=True`` checks the sha256 of a file found locally (once per version of the file:
    a passed check is remembered). Downloads are always checked. Files outside the registry
    (e.g. ``sample/...``) resolve from local trees only.
    """
    entry = _entry(name)
    registered = entry["files"].get(file)
    relative = Path(entry["folder"]) / file
    root = data_root()
    searched = []
    if root is not None:
        candidate = root / relative
        searched.append(str(candidate))
        if candidate.is_file():
            if verify and registered:
                _check(candidate, registered[0])
            return candidate
    cached = cache_dir("data") / relative
    searched.append(str(cached))
    if cached.is_file():
        if verify and registered:
            _check(cached, registered[0])
        return cached
    if registered is None:
        known = ", ".join(files(name))
        raise DatasetNotFoundError(
            f"File {file!r} of dataset {name!r} was not found (looked in: {'; '.join(searched)}). "
            f"Registered files of {name!r}: {known}. {_how_to_get(name)}"
        )
    sha, url = registered
    if not download or url is None:
        reason = "downloads are disabled" if url else "it has no public download URL"
        raise DatasetNotFoundError(
            f"File {file!r} of dataset {name!r} was not found (looked in: {'; '.join(searched)}) "
            f"and {reason}. Expected files: {', '.join(files(name))}. {_how_to_get(name)}"
        )
    return _download(_rebase(url), cached, sha, name, file)


def _rebase(url: str) -> str:
    base = os.environ.get("CNNKIT_DOWNLOAD_BASE")
    if base and url.startswith(_DEFAULT_URL_BASE):
        return base.rstrip("/") + "/" + url[len(_DEFAULT_URL_BASE):]
    return url


def _mismatch(file_path: Path, sha: str, actual: str) -> ChecksumError:
    return ChecksumError(
        f"Checksum mismatch for {file_path}: expected sha256 {sha}, got {actual}. "
        "The file is corrupt or a different version; delete it and download again."
    )


def verified_checksums_file() -> Path:
    """The JSON file that remembers which local files passed their sha256 check."""
    base = Path(os.environ.get("CNNKIT_CACHE", Path.home() / ".cache" / "cnnkit")).expanduser()
    return base / "verified_checksums.json"


def _identity(stat: os.stat_result) -> dict:
    # ctime cannot be set by hand (touch and utime set it to now), so a file changed and given
    # its old mtime back still looks changed.
    return {"size": stat.st_size, "inode": stat.st_ino, "mtime_ns": stat.st_mtime_ns,
            "ctime_ns": stat.st_ctime_ns}


def _read_verified_checksums() -> dict:
    try:
        with open(verified_checksums_file(), encoding="utf-8") as handle:
            records = json.load(handle)
    except (OSError, ValueError):  # none yet, unreadable or damaged: hash again
        return {}
    return records if isinstance(records, dict) else {}


def _already_verified(file_path: Path, stat: os.stat_result, sha: str) -> bool:
    record = _read_verified_checksums().get(str(file_path.resolve()))
    return record == {**_identity(stat), "sha256": sha}


def _remember_verified(file_path: Path, stat: os.stat_result, sha: str) -> None:
    """Record a passed check; a cache that cannot be written only costs a new hash next time."""
    target = verified_checksums_file()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        records = _read_verified_checksums()
        records[str(file_path.resolve())] = {**_identity(stat), "sha256": sha}
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".verified-")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(records, out, indent=1, sort_keys=True)
            os.replace(temporary, target)  # atomic: concurrent readers see the old or the new file
        finally:
            if os.path.exists(temporary):
                os.remove(temporary)
    except OSError:
        pass


def _verify(file_path: Path, stat: os.stat_result, sha: str, digest) -> None:
    """Raise unless ``digest()`` (the file's sha256) is ``sha``; skipped when the cache vouches for
    this very version of the file, remembered when it passes."""
    if _already_verified(file_path, stat, sha):
        return
    actual = digest()
    if actual != sha:
        raise _mismatch(file_path, sha, actual)
    _remember_verified(file_path, stat, sha)


def _read_checked(file_path: Path, sha: str) -> bytes:
    """The bytes of ``file_path`` after checking their sha256: the bytes checked are the bytes returned."""
    with open(file_path, "rb") as handle:
        stat = os.fstat(handle.fileno())
        content = handle.read()
    _verify(file_path, stat, sha, lambda: hashlib.sha256(content).hexdigest())
    return content


def _check(file_path: Path, sha: str) -> None:
    _verify(file_path, file_path.stat(), sha, lambda: sha256_of(file_path))


def load_pickle(name: str, file: str, **pickle_options):
    """Unpickle a registered file of dataset ``name`` once its sha256 matches the registry.

    Unpickling runs code, so an unverified file is never loaded: a file without a registered
    checksum, or whose checksum differs, raises :class:`ChecksumError` naming the file and both
    checksums. ``pickle_options`` go to ``pickle.loads`` (e.g. ``encoding="latin1"``).
    """
    registered = _entry(name)["files"].get(file)
    if registered is None or not registered[0]:
        raise ChecksumError(
            f"File {file!r} of dataset {name!r} has no registered sha256, so it is not unpickled "
            "(loading a pickle runs code). Register it with shared.data.register(...) first."
        )
    file_path = path(name, file)
    return pickle.loads(_read_checked(file_path, registered[0]), **pickle_options)


def _download(url: str, target: Path, sha: str, name: str, file: str) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".part-")
    try:
        with os.fdopen(handle, "wb") as out, urllib.request.urlopen(url, timeout=60) as response:
            shutil.copyfileobj(response, out)
        actual = sha256_of(temporary)
        if actual != sha:
            raise ChecksumError(
                f"Checksum mismatch for {file!r} of dataset {name!r} downloaded from {url}: "
                f"expected sha256 {sha}, got {actual}. Nothing was kept."
            )
        os.replace(temporary, target)
        _remember_verified(target, target.stat(), sha)
    except (urllib.error.URLError, OSError) as error:
        raise DatasetNotFoundError(
            f"Could not download {file!r} of dataset {name!r} from {url}: {error}. "
            f"{_how_to_get(name)}"
        ) from error
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)
    return target


MNIST_TRAIN_SHARDS = tuple(f"mnist_train_part{i}of4.npz" for i in range(1, 5))


def load_mnist(split: str = "train", rows_needed: int | None = None):
    """Real MNIST digits: ``(x, y)``, x uint8 of shape (N, 28, 28), y int64 in 0..9.

    The 60,000 training digits are stored in four shards of 15,000; with ``rows_needed``
    only as many shards are read as hold that many rows (all rows of those shards are
    returned: the caller takes its subset). ``split="test"``: the 10,000 test digits.
    """
    import numpy as np

    if split not in ("train", "test"):
        raise ValueError(f"The 'split' parameter of load_mnist must be one of ['train', 'test']; got {split!r}.")
    shards = ("mnist_test.npz",) if split == "test" else MNIST_TRAIN_SHARDS
    xs, ys = [], []
    for shard in shards:
        with np.load(path("mnist", shard)) as archive:
            xs.append(archive["x"])
            ys.append(archive["y"])
        if rows_needed is not None and sum(len(y) for y in ys) >= rows_needed:
            break
    return np.concatenate(xs), np.concatenate(ys).astype(np.int64)
