import functools
import hashlib
import http.server
import threading

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
