"""SGF archives -> encoded position shards in the cache -> streaming training batches.

``encode_dataset`` parses games with parallel worker processes (the ``spawn``
start method, so it is safe with TensorFlow / JAX loaded and on macOS and
Windows), replays each game and writes the feature planes of every position
before a non-pass move, with the move as the label, to compressed ``.npz``
shards (planes bit-packed) under ``shared.data.cache_dir("go_policy", ...)``.
Games are split into train / validation / test by a hash of their name, so
every position of a game lands in the same split. ``apps.go_policy.model.dataset.PositionDataset``
streams the shards for training. This module does not import Keras, so the
spawned workers start quickly.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import signal
import sys
import threading
import time
from pathlib import Path

import numpy as np

from apps.go_policy.model.features import FeatureEncoder, resolve_feature_set
from apps.go_policy.rules.board import IllegalMoveError
from apps.go_policy.rules.records import SkippedGame, SkipReport, check_source, read_games, sources_fingerprint

FORMAT_VERSION = 1
SPLITS = ("train", "validation", "test")
PHASES = {"opening": (1, 60), "middlegame": (61, 180), "endgame": (181, 10_000)}


def split_of(name: str, validation: float = 0.05, test: float = 0.05) -> str:
    """The split of a game, from a stable hash of its name (never by position)."""
    bucket = int(hashlib.sha1(name.encode("utf-8")).hexdigest()[:8], 16) / 0xFFFFFFFF
    if bucket < test:
        return "test"
    if bucket < test + validation:
        return "validation"
    return "train"


def phase_of(move_number) -> np.ndarray:
    """Game phase name per 1-based move number (opening 1-60, middlegame 61-180, endgame 181+)."""
    move_number = np.asarray(move_number)
    out = np.empty(move_number.shape, dtype=object)
    for name, (low, high) in PHASES.items():
        out[(move_number >= low) & (move_number <= high)] = name
    return out


def encode_game(record, encoder: FeatureEncoder):
    """(planes (n, s, s, c) uint8, labels (n,), move numbers (n,)) for every non-pass move."""
    xs, ys, numbers = [], [], []
    for number, _, point, board in record.positions():
        xs.append(encoder.encode(board))
        ys.append(point)
        numbers.append(number)
    if not xs:
        size = record.size
        return np.zeros((0, size, size, encoder.num_planes), np.uint8), np.zeros(0, np.int16), np.zeros(0, np.int16)
    return np.stack(xs), np.asarray(ys, np.int16), np.asarray(numbers, np.int16)


class _ShardWriter:
    def __init__(self, folder: Path, prefix: str, split: str, shard_size: int, planes: int):
        self.folder, self.prefix, self.split = folder, prefix, split
        self.shard_size, self.planes = shard_size, planes
        self.buffer_x, self.buffer_y, self.buffer_n, self.buffer_g = [], [], [], []
        self.count = 0
        self.written = []

    def add(self, x, y, numbers, game_index):
        self.buffer_x.append(x)
        self.buffer_y.append(y)
        self.buffer_n.append(numbers)
        self.buffer_g.append(np.full(len(y), game_index, np.int32))
        self.count += len(y)
        if self.count >= self.shard_size:
            self.flush()

    def flush(self):
        if not self.count:
            return
        x = np.concatenate(self.buffer_x)
        file = self.folder / f"{self.prefix}-{self.split}-{len(self.written):04d}.npz"
        np.savez_compressed(
            file, x=pack(x), y=np.concatenate(self.buffer_y),
            move_number=np.concatenate(self.buffer_n), game=np.concatenate(self.buffer_g),
            planes=np.int32(self.planes),
        )
        self.written.append({"file": file.name, "split": self.split, "positions": int(len(x))})
        self.buffer_x, self.buffer_y, self.buffer_n, self.buffer_g = [], [], [], []
        self.count = 0


def _encode_unit(task: dict) -> dict:
    """Worker: encode every ``parts``-th game (offset ``part``) of one source into shards.

    ``game`` ids in a shard are per source unit (``index * parts + part`` is not the
    file index when games are skipped, but it is unique within the unit).
    """
    start = time.perf_counter()
    encoder = FeatureEncoder(task["features"])
    folder = Path(task["folder"])
    prefix = f"u{task['unit']:03d}"
    writers = {split: _ShardWriter(folder, prefix, split, task["shard_size"], encoder.num_planes) for split in SPLITS}
    report = SkipReport()
    positions = 0
    games = {split: 0 for split in SPLITS}
    parts, part = task["parts"], task["part"]
    for index, record in enumerate(read_games(task["source"], task["max_games"], report,
                                              select=lambda i: i % parts == part,
                                              skip_games=task["skip_games"],
                                              sizes=tuple(task["sizes"]), min_moves=task["min_moves"])):
        split = split_of(record.name, task["validation"], task["test"])
        try:
            x, y, numbers = encode_game(record, encoder)
        except IllegalMoveError as error:  # one bad game must not stop a run of thousands
            report.used -= 1
            report.skip(record.name, SkippedGame("illegal move while encoding", str(error)))
            continue
        writers[split].add(x, y, numbers, index * parts + part)
        games[split] += 1
        positions += len(y)
    for writer in writers.values():
        writer.flush()
    return {
        "unit": task["unit"], "source": task["source"], "positions": positions, "games": games,
        "shards": [item for writer in writers.values() for item in writer.written],
        "report": report.as_dict(), "seconds": time.perf_counter() - start,
    }


def encode_dataset(sources, features="small", workers: int = 2, max_games: int | None = None,
                   skip_games: int = 0, shard_size: int = 8192, validation: float = 0.05, test: float = 0.05,
                   sizes=(19,), min_moves: int = 10, parts_per_source: int | None = None,
                   cache: str | Path | None = None, force: bool = False, progress: bool = True) -> dict:
    """Encode SGF sources to position shards (cached); return the manifest.

    The manifest has ``folder``, ``shards`` (file, split, positions), ``positions``
    per split, ``report`` (games read / used / skipped by reason) and
    ``positions_per_s``. A second call with the same inputs reuses the shards.
    ``skip_games`` passes over the first games of each source (e.g. those an earlier
    run trained on), so that a continued training sees fresh games.
    """
    from shared.data import cache_dir, cache_lock

    if skip_games < 0:
        raise ValueError(f"--skip-games must be >= 0, got {skip_games}")
    sources = [str(check_source(source)) for source in (sources if isinstance(sources, (list, tuple)) else [sources])]
    groups = resolve_feature_set(features)
    key_data = {
        "version": FORMAT_VERSION, "sources": sources_fingerprint(sources), "features": groups,
        "max_games": max_games, "shard_size": shard_size, "validation": validation, "test": test,
        "sizes": list(sizes), "min_moves": min_moves,
    }
    if skip_games:  # only when used, so that the caches written before the option stay valid
        key_data["skip_games"] = int(skip_games)
    key = hashlib.sha1(json.dumps(key_data, sort_keys=True).encode()).hexdigest()[:16]
    folder = Path(cache) if cache else cache_dir("go_policy", "positions", key)
    folder.mkdir(parents=True, exist_ok=True)
    with cache_lock(folder):  # the workers of a distributed run encode once, not over each other
        manifest_file = folder / "manifest.json"
        if manifest_file.exists() and not force:
            manifest = json.loads(manifest_file.read_text())
            manifest["folder"] = str(folder)
            manifest["cached"] = True
            _warn_about_damage(SkipReport.from_dict(manifest["report"]))
            return manifest
        for old in folder.glob("*.npz"):
            old.unlink()
        parts = parts_per_source or (max(1, workers) if len(sources) < max(1, workers) else 1)
        tasks = []
        for source_index, source in enumerate(sources):
            for part in range(parts):
                tasks.append({
                    "unit": len(tasks), "source": source, "part": part, "parts": parts, "max_games": max_games,
                    "skip_games": int(skip_games),
                    "features": groups, "folder": str(folder), "shard_size": shard_size,
                    "validation": validation, "test": test, "sizes": list(sizes), "min_moves": min_moves,
                })
        start = time.perf_counter()
        results = []
        bar = _progress(len(tasks), progress, "encoding SGF sources")
        if workers <= 1 or len(tasks) == 1:
            for task in tasks:
                results.append(_encode_unit(task))
                bar.update(1)
        else:
            context = multiprocessing.get_context("spawn")
            with context.Pool(min(workers, len(tasks)), initializer=exit_with_parent, initargs=(os.getpid(),)) as pool:
                for result in pool.imap_unordered(_encode_unit, tasks):
                    results.append(result)
                    bar.update(1)
        bar.close()
        seconds = time.perf_counter() - start
        report = SkipReport()
        for result in sorted(results, key=lambda result: result["unit"]):
            report.merge(SkipReport.from_dict(result["report"]))
        if report.damaged and not report.used:  # nothing to train or score on: an error, and no cache entry
            for old in folder.glob("*.npz"):
                old.unlink()
            skipped = "".join(f"; {count} skipped: {reason}" for reason, count in sorted(report.skipped.items()))
            raise ValueError(f"no usable game in {', '.join(sources)}: {'; '.join(report.damage_messages())}{skipped}")
        _warn_about_damage(report)
        shards = sorted((item for result in results for item in result["shards"]), key=lambda item: item["file"])
        positions = {split: sum(s["positions"] for s in shards if s["split"] == split) for split in SPLITS}
        games = {split: sum(r["games"][split] for r in results) for split in SPLITS}
        total = sum(positions.values())
        manifest = {
            "key": key, "inputs": key_data, "features": groups, "planes": FeatureEncoder(groups).num_planes,
            "shards": shards, "positions": positions, "games": games, "report": report.as_dict(),
            "encode_seconds": round(seconds, 2), "positions_per_s": round(total / max(seconds, 1e-9), 1),
            "workers": workers,
        }
        manifest_file.write_text(json.dumps(manifest, indent=1))
        manifest["folder"] = str(folder)
        manifest["cached"] = False
        return manifest


def _warn_about_damage(report: SkipReport) -> None:
    """One ``warning:`` line on standard error per damaged archive (its games before the damage are kept)."""
    for message in report.damage_messages():
        print(f"warning: {message}; the games before the damage are kept", file=sys.stderr, flush=True)


def exit_with_parent(parent_pid: int, poll_seconds: float = 1.0):
    """Pool initializer: end this worker soon after ``parent_pid`` dies.

    A training killed while encoding (``kill``, a job scheduler) would otherwise leave
    its workers running on, writing shards into the very cache folder its rerun is
    filling. Ctrl-C is the parent's to handle: a worker ignores SIGINT, so the user sees
    one message, not a traceback per worker (the parent's ``with`` block ends the pool).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch():
        while os.getppid() == parent_pid:
            time.sleep(poll_seconds)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def shard_paths(manifest: dict, split: str) -> list[Path]:
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    return [Path(manifest["folder"]) / s["file"] for s in manifest["shards"] if s["split"] == split]


def _progress(total, enabled, description):
    from tqdm.auto import tqdm

    return tqdm(total=total, disable=not enabled, desc=description, unit="part")


# ------------------------------------------------------------- symmetries
def dihedral(x: np.ndarray, transform: int) -> np.ndarray:
    """One of the 8 board symmetries of (batch, rows, cols, ...) arrays: 0 is the identity."""
    if transform & 4:
        x = np.swapaxes(x, 1, 2)
    return np.rot90(x, transform & 3, axes=(1, 2))


_LABEL_MAPS: dict[int, np.ndarray] = {}


def label_maps(size: int) -> np.ndarray:
    """(8, size*size): where point p moves to under each dihedral transform."""
    if size not in _LABEL_MAPS:
        grid = np.arange(size * size).reshape(1, size, size)
        maps = []
        for transform in range(8):
            moved = dihedral(grid, transform)[0].ravel()  # moved[j] = original point now at j
            maps.append(np.argsort(moved))
        _LABEL_MAPS[size] = np.stack(maps)
    return _LABEL_MAPS[size]


def augment_batch(x: np.ndarray, y: np.ndarray, rng: np.random.Generator):
    """Apply an independent random dihedral symmetry to every position (and its label)."""
    size = x.shape[1]
    transforms = rng.integers(0, 8, size=len(x))
    out_x = np.empty_like(x)
    out_y = np.empty_like(y)
    maps = label_maps(size)
    for transform in range(8):
        chosen = np.nonzero(transforms == transform)[0]
        if len(chosen):
            out_x[chosen] = dihedral(x[chosen], transform)
            out_y[chosen] = maps[transform][y[chosen]]
    return out_x, out_y


def check_symmetries(symmetries) -> int:
    """``symmetries`` as an int, or a ValueError unless it is 1 (none) to 8 (all dihedral ones)."""
    if not 1 <= int(symmetries) <= 8:
        raise ValueError(f"symmetries must be between 1 and 8 (1: none, 8: all dihedral ones), got {symmetries}")
    return int(symmetries)


def predict_with_symmetries(predict, x: np.ndarray, symmetries: int = 8, chunk: int = 2048) -> np.ndarray:
    """Move probabilities of ``predict`` averaged over the first ``symmetries`` board symmetries.

    Go is the same game on a rotated or mirrored board, so a network that has not learnt
    the symmetry exactly is made invariant (and usually more accurate) by predicting every
    transformed board and mapping the answers back to the original points. ``predict`` maps
    (n, s, s, planes) to (n, s * s); each chunk of positions goes through it in one call of
    ``symmetries`` times its size (one call of 8 for a single position in the engine). A chunk
    is ``chunk`` positions at 8 symmetries and proportionally more at fewer, so every call sees
    about the same number of boards; one symmetry is the plain prediction, without copies.
    """
    symmetries = check_symmetries(symmetries)
    x = np.asarray(x)
    maps = label_maps(x.shape[1])
    out = []
    step = max(1, chunk * 8 // symmetries)
    for start in range(0, len(x), step):
        part = x[start:start + step]
        if symmetries == 1:
            out.append(np.asarray(predict(part)).reshape(len(part), -1))
            continue
        stacked = np.concatenate([dihedral(part, transform) for transform in range(symmetries)])
        probabilities = np.asarray(predict(stacked)).reshape(symmetries, len(part), -1)
        out.append(sum(probabilities[t][:, maps[t]] for t in range(symmetries)) / symmetries)
    return np.concatenate(out) if out else np.zeros((0, x.shape[1] * x.shape[2]))


def pack(x: np.ndarray) -> np.ndarray:
    """(..., planes) 0/1 array -> uint8 (..., ceil(planes / 8)): how shards store positions."""
    return np.packbits(np.asarray(x, dtype=np.uint8), axis=-1)


def unpack(packed: np.ndarray, planes: int) -> np.ndarray:
    return np.unpackbits(packed, axis=-1, count=planes)


def load_positions(paths, max_positions: int | None = None, return_games: bool = False):
    """(x float32 (n, s, s, c), y int32, move_number int32) read from shard files.

    With ``return_games`` also the game of every position, as ints: positions of one game
    are not independent samples, and ``move_prediction_metrics`` resamples whole games for
    its confidence interval.
    """
    xs, ys, numbers, games = [], [], [], []
    total = 0
    for path in paths:
        unit = int(Path(path).name.split("-")[0].lstrip("u"))  # shards are named u<unit>-<split>-<n>.npz
        with np.load(path) as shard:
            planes = int(shard["planes"])
            x, y, number, game = shard["x"], shard["y"], shard["move_number"], shard["game"]
        if max_positions is not None:
            keep = max_positions - total
            x, y, number, game = x[:keep], y[:keep], number[:keep], game[:keep]
        xs.append(unpack(x, planes))
        ys.append(y.astype(np.int32))
        numbers.append(number.astype(np.int32))
        games.append(unit * 1_000_000 + game.astype(np.int64))
        total += len(y)
        if max_positions is not None and total >= max_positions:
            break
    if not xs:
        raise ValueError("no encoded positions found in the given shards")
    loaded = (np.concatenate(xs).astype("float32"), np.concatenate(ys), np.concatenate(numbers))
    return loaded + (np.concatenate(games),) if return_games else loaded
