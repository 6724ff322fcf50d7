import functools
import hashlib
import http.server
import json
import os
import pickle
import threading
import time
import types
from pathlib import Path

import pytest

from shared import data


def test_resolves_files_from_cnnkit_data(data_available):
    path = data.path("mr", "rt-polarity.pos", verify=True)
    assert path.is_file() and path.stat().st_size == 626139
    assert data.folder("go_pro").name == "cwi_pro"
    assert (data.folder("go_pro") / "sample").is_dir()


def test_missing_dataset_names_the_files(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNKIT_DATA", str(tmp_path / "empty"))
    monkeypatch.setenv("CNNKIT_CACHE", str(tmp_path / "cache"))
    with pytest.raises(data.DatasetNotFoundError) as error:
        data.path("mnist", "mnist_test.npz")
    message = str(error.value)
    assert "'mnist'" in message and "mnist_train_part1of4.npz" in message and "CNNKIT_DATA" in message


def test_unknown_dataset():
    with pytest.raises(ValueError, match="Unknown dataset 'imagenet'. Known datasets: .*mnist"):
        data.path("imagenet", "x")


@pytest.fixture
def server(tmp_path):
    root = tmp_path / "remote"
    (root / "owner" / "repo" / "abc").mkdir(parents=True)
    (root / "owner" / "repo" / "abc" / "good.txt").write_bytes(b"hello cnnkit\n")
    (root / "owner" / "repo" / "abc" / "bad.txt").write_bytes(b"tampered\n")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_download_checks_sha256_and_caches(tmp_path, monkeypatch, server):
    monkeypatch.setenv("CNNKIT_DATA", str(tmp_path / "readonly"))
    monkeypatch.setenv("CNNKIT_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("CNNKIT_DOWNLOAD_BASE", server)
    good = hashlib.sha256(b"hello cnnkit\n").hexdigest()
    data.register("toy", "toy", {
        "good.txt": (good, "https://raw.githubusercontent.com/owner/repo/abc/good.txt"),
        "bad.txt": (good, "https://raw.githubusercontent.com/owner/repo/abc/bad.txt"),
    })
    try:
        path = data.path("toy", "good.txt")
        assert path.read_bytes() == b"hello cnnkit\n"
        assert str(path).startswith(str(tmp_path / "cache"))
        assert not (tmp_path / "readonly").exists()
        with pytest.raises(data.ChecksumError, match="bad.txt"):
            data.path("toy", "bad.txt")
        assert not (tmp_path / "cache" / "data" / "toy" / "bad.txt").exists()
        with pytest.raises(data.DatasetNotFoundError, match="downloads are disabled"):
            data.path("toy", "bad.txt", download=False)
    finally:
        data.DATASETS.pop("toy")


def test_every_registered_file_is_present_with_its_checksum(data_available):
    # Cheap size check for all, full sha256 for the small ones.
    for name, entry in data.DATASETS.items():
        for file, (sha, _) in entry["files"].items():
            path = data.path(name, file, download=False)
            if path.stat().st_size < 400_000:
                assert data.sha256_of(path) == sha, path


class _Payload:
    """A pickle that touches ``marker`` when it is loaded: proof that a file was unpickled."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def _sha(blob: bytes) -> str:
    return hashlib.sha256(blob).hexdigest()


GOOD_PICKLE = pickle.dumps([[1.0, 2.0]])
SAME_SIZE_PICKLE = pickle.dumps([[1.0, 3.0]])


@pytest.fixture
def toy_pickle(tmp_path, monkeypatch):
    """A registered dataset ``toy`` with one pickle ``Y``; CNNKIT_DATA and the cache in tmp_path."""
    monkeypatch.setenv("CNNKIT_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("CNNKIT_CACHE", str(tmp_path / "cache"))
    (tmp_path / "data" / "toy").mkdir(parents=True)
    data.register("toy", "toy", {"Y": (_sha(GOOD_PICKLE), None)})
    yield tmp_path / "data" / "toy" / "Y"
    data.DATASETS.pop("toy")


@pytest.mark.parametrize("where", ["data", "cache"])
def test_pickles_are_verified_before_unpickling(toy_pickle, tmp_path, where):
    target = toy_pickle
    if where == "cache":  # no CNNKIT_DATA copy: the file comes from the cache
        target = tmp_path / "cache" / "data" / "toy" / "Y"
        target.parent.mkdir(parents=True)
        toy_pickle.parent.rmdir()
    target.write_bytes(GOOD_PICKLE)
    assert data.load_pickle("toy", "Y") == [[1.0, 2.0]]
    marker = tmp_path / "unpickled"
    tampered = pickle.dumps(_Payload(marker))
    target.write_bytes(tampered)
    with pytest.raises(data.ChecksumError) as error:
        data.load_pickle("toy", "Y")
    assert not marker.exists(), "a file that failed its checksum was unpickled"
    assert str(error.value).startswith(f"Checksum mismatch for {target}: expected sha256 {_sha(GOOD_PICKLE)}, "
                                       f"got {_sha(tampered)}.")


def test_pickles_without_a_registered_checksum_are_refused(toy_pickle):
    toy_pickle.write_bytes(GOOD_PICKLE)
    data.register("toy_unpinned", "toy", {})
    try:
        with pytest.raises(data.ChecksumError, match="no registered sha256"):
            data.load_pickle("toy_unpinned", "Y")
    finally:
        data.DATASETS.pop("toy_unpinned")


def test_a_passed_check_is_cached_until_the_file_changes(toy_pickle, monkeypatch):
    toy_pickle.write_bytes(GOOD_PICKLE)
    hashed = []
    real_sha256 = hashlib.sha256

    def counting_sha256(*args):
        hashed.append(1)
        return real_sha256(*args)

    monkeypatch.setattr(data, "hashlib", types.SimpleNamespace(sha256=counting_sha256))
    assert data.load_pickle("toy", "Y") == [[1.0, 2.0]]
    assert data.load_pickle("toy", "Y") == [[1.0, 2.0]]
    assert data.path("toy", "Y", verify=True) == toy_pickle
    assert len(hashed) == 1
    cache = json.loads(data.verified_checksums_file().read_text())
    assert cache[str(toy_pickle.resolve())]["sha256"] == _sha(GOOD_PICKLE)
    # Same size, and the modification time put back: the change of ctime still forces a new hash.
    before = toy_pickle.stat()
    time.sleep(0.05)
    toy_pickle.write_bytes(SAME_SIZE_PICKLE)
    os.utime(toy_pickle, ns=(before.st_atime_ns, before.st_mtime_ns))
    with pytest.raises(data.ChecksumError, match="got " + _sha(SAME_SIZE_PICKLE)):
        data.load_pickle("toy", "Y")
    assert len(hashed) == 2


def test_an_unwritable_cache_only_costs_a_new_hash(toy_pickle, tmp_path, monkeypatch):
    toy_pickle.write_bytes(GOOD_PICKLE)
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("")
    monkeypatch.setenv("CNNKIT_CACHE", str(blocker))
    assert data.load_pickle("toy", "Y") == [[1.0, 2.0]]


def test_cache_lock_lets_one_process_build_an_entry_while_the_others_wait(tmp_path):
    import threading
    import time

    from shared.data import cache_lock

    events = []

    def build(name, hold):
        with cache_lock(tmp_path / "entry"):
            events.append(f"{name} in")
            time.sleep(hold)
            events.append(f"{name} out")

    first = threading.Thread(target=build, args=("first", 0.5))
    first.start()
    time.sleep(0.1)
    build("second", 0)
    first.join()
    assert events == ["first in", "first out", "second in", "second out"]
    assert (tmp_path / "entry" / ".lock").is_file()
