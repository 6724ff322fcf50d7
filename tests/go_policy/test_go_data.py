"""Encoding to cached shards with spawn workers, split by game, streaming with symmetries."""

import numpy as np

from apps.go_policy.model.data import encode_dataset, load_positions, shard_paths, split_of
from apps.go_policy.model.dataset import PositionDataset


def test_split_is_by_game_and_stable():
    names = [f"game{i}.sgf" for i in range(2000)]
    splits = [split_of(n) for n in names]
    assert splits == [split_of(n) for n in names]
    share = {s: splits.count(s) / len(names) for s in ("train", "validation", "test")}
    assert 0.85 < share["train"] < 0.95 and 0.02 < share["test"] < 0.08


def test_encode_with_spawn_workers_counts_skips_and_caches(small_sgf_folder, tmp_path, monkeypatch):
    monkeypatch.setenv("CNNKIT_CACHE", str(tmp_path / "cache"))
    manifest = encode_dataset([small_sgf_folder], features="minimal", workers=2, shard_size=300,
                              validation=0.3, test=0.3, min_moves=1, progress=False)
    report = manifest["report"]
    assert report["games_read"] == 6 and report["games_used"] == 4
    assert report["skipped_by_reason"] == {"illegal move": 1, "malformed sgf": 1}
    total = sum(manifest["positions"].values())
    assert total > 300 and manifest["positions_per_s"] > 0
    assert sum(manifest["games"].values()) == 4
    assert str(tmp_path / "cache") in manifest["folder"]
    # every shard's games belong to exactly one split
    seen = {}
    for shard in manifest["shards"]:
        with np.load(f"{manifest['folder']}/{shard['file']}") as data:
            unit = shard["file"].split("-")[0]
            for game in set(data["game"].tolist()):
                assert seen.setdefault((unit, game), shard["split"]) == shard["split"]
    again = encode_dataset([small_sgf_folder], features="minimal", workers=2, shard_size=300,
                           validation=0.3, test=0.3, min_moves=1, progress=False)
    assert again["cached"] and again["positions"] == manifest["positions"]

    paths = [p for split in ("train", "validation", "test") for p in shard_paths(manifest, split)]
    x, y, numbers, games = load_positions(paths, return_games=True)
    assert x.shape == (total, 19, 19, 4) and x.dtype == np.float32
    assert numbers.min() >= 1 and y.max() < 361
    # the label is always an empty point (stone_color plane 3) of the encoded position
    assert (x.reshape(total, 361, 4)[np.arange(total), y, 2] == 1).all()
    assert games.shape == (total,) and len(np.unique(games)) == 4
    # a game's positions are consecutive and its move numbers rise
    starts = np.flatnonzero(np.diff(games)) + 1
    assert len(starts) == 3 and (np.diff(numbers)[np.diff(games) == 0] > 0).all()
    assert len(load_positions(paths, max_positions=10, return_games=True)[3]) == 10

    dataset = PositionDataset(paths, batch_size=64, seed=1)
    assert len(dataset) >= 4
    bx, by = dataset[0]
    assert bx.shape == (64, 19, 19, 4) and by.shape == (64,)
    # augmentation keeps labels on empty points
    assert (bx.reshape(64, 361, 4)[np.arange(64), by, 2] == 1).all()
    plain = PositionDataset(paths, batch_size=64, seed=1, augment=False)
    shares = [plain.worker_batch(1, worker, 2) for worker in range(2)]  # two workers: disjoint halves
    whole_x, whole_y = plain[1]
    assert [len(share[1]) for share in shares] == [32, 32]
    np.testing.assert_array_equal(np.sort(np.concatenate([share[1] for share in shares])), np.sort(whole_y))
    np.testing.assert_array_equal(shares[0][0], whole_x[0::2])
    limited = PositionDataset(paths, batch_size=64, max_batches=2)
    assert len(limited) == 2


def test_a_game_that_fails_while_encoding_is_counted_and_skipped(small_sgf_folder, tmp_path, monkeypatch):
    import apps.go_policy.model.data as data
    from apps.go_policy.rules.board import IllegalMoveError

    monkeypatch.setenv("CNNKIT_CACHE", str(tmp_path / "cache"))
    real_encode_game, calls = data.encode_game, []

    def failing_once(record, encoder):
        calls.append(record.name)
        if len(calls) == 1:
            raise IllegalMoveError("illegal move D4 for black: ko")
        return real_encode_game(record, encoder)

    monkeypatch.setattr(data, "encode_game", failing_once)
    manifest = encode_dataset([small_sgf_folder], features="minimal", workers=1, min_moves=1, progress=False)
    report = manifest["report"]
    assert report["games_read"] == 6 and report["games_used"] == 3
    assert report["skipped_by_reason"] == {"illegal move": 1, "malformed sgf": 1, "illegal move while encoding": 1}
    assert calls[0] in report["skip_examples"]["illegal move while encoding"]
    assert sum(manifest["games"].values()) == 3


def test_encoding_workers_exit_when_the_process_that_started_them_is_killed(tmp_path):
    # a training killed mid-encoding must not leave workers writing into the cache its rerun fills
    import os
    import subprocess
    import sys
    import time
    from pathlib import Path

    marker = tmp_path / "busy"
    script = (
        "import multiprocessing, os, sys, time\n"
        "from apps.go_policy.model.data import exit_with_parent\n"
        "def busy(marker):\n"
        "    open(marker, 'w').write(str(os.getpid()))\n"
        "    time.sleep(120)  # without exit_with_parent the worker would outlive its parent by 2 minutes\n"
        "if __name__ == '__main__':\n"
        "    pool = multiprocessing.get_context('spawn').Pool(1, initializer=exit_with_parent,\n"
        "                                                      initargs=(os.getpid(), 0.1))\n"
        f"    pool.apply_async(busy, ({str(marker)!r},))\n"
        f"    while not os.path.exists({str(marker)!r}): time.sleep(0.05)\n"
        "    time.sleep(0.2)\n"
        "    os.kill(os.getpid(), 9)\n"
    )
    (tmp_path / "start_and_die.py").write_text(script)
    root = Path(__file__).resolve().parents[2]
    parent = subprocess.run([sys.executable, str(tmp_path / "start_and_die.py")], capture_output=True, text=True,
                            timeout=120, cwd=root, env={**os.environ, "PYTHONPATH": str(root)})
    assert parent.returncode == -9, parent.stderr
    worker = int(marker.read_text())

    def alive(pid):
        try:
            state = Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0]
        except (FileNotFoundError, IndexError):
            return False
        return state != "Z"

    deadline = time.time() + 20
    while alive(worker) and time.time() < deadline:
        time.sleep(0.2)
    assert not alive(worker), f"encoding worker {worker} outlived its parent"


def test_processes_encoding_the_same_games_at_once_encode_them_once(small_sgf_folder, tmp_path, monkeypatch):
    """The workers of a distributed run all ask for the shards: one encodes, the others wait and reuse."""
    from concurrent.futures import ThreadPoolExecutor

    monkeypatch.setenv("CNNKIT_CACHE", str(tmp_path / "cache"))

    def encode(_):
        return encode_dataset([small_sgf_folder], features="minimal", workers=1, shard_size=300,
                              validation=0.3, test=0.3, min_moves=1, progress=False)

    with ThreadPoolExecutor(3) as pool:
        manifests = list(pool.map(encode, range(3)))
    assert sorted(m["cached"] for m in manifests) == [False, True, True]
    assert all(m["shards"] == manifests[0]["shards"] for m in manifests)
    x, y, _ = load_positions(shard_paths(manifests[0], "train"))
    assert len(y) == manifests[0]["positions"]["train"]
