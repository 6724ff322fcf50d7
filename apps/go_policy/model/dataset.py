"""Stream encoded position shards as a ``keras.utils.PyDataset`` for training."""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np

from apps.go_policy.model.data import augment_batch, unpack
from shared.training import EpochSeededDataset


class PositionDataset(EpochSeededDataset):
    """Stream batches from position shards, one shard in memory at a time.

    Each epoch visits the shards in a random order and each shard's positions in a
    random order (``max_batches`` shortens an epoch to that many batches of a fresh
    random plan, for frequent validation and checkpoints); ``augment`` applies a random dihedral symmetry per position.
    Every draw depends only on ``(seed, epoch)`` (and the batch index), whatever the number of
    worker threads: ``shared.training.fit`` sets the epoch (``set_epoch``), so a resumed run sees
    the same batches as an uninterrupted one; with ``model.fit`` directly it advances one epoch
    per pass.
    ``packed`` returns the planes still bit-packed (uint8, one byte per 8 planes) and leaves
    unpacking and symmetry to the device (``model.augmentation.SymmetryTrainer``).
    Batches never straddle two shards (a shard's last partial batch is dropped,
    a different one each epoch). ``workers`` > 1 (a ``PyDataset`` argument) prepares
    batches in threads, so a GPU is not kept waiting; the last few decompressed shards
    are kept, under a lock, for the threads working on neighbouring batches.

    Across several training processes (``shared.training.fit`` with ``multi_worker`` or
    ``data_parallel``), ``share_files(worker, workers)`` gives each process its own shards, so
    that no shard is decompressed by two of them: see ``share_files``.
    """

    cached_shards = 4

    def __init__(self, paths, batch_size: int = 128, augment: bool = True, shuffle: bool = True,
                 seed: int = 0, max_positions: int | None = None, max_batches: int | None = None,
                 packed: bool = False, **kwargs):
        super().__init__(**kwargs)
        if packed and augment:
            raise ValueError("packed=True leaves the symmetry to the device (SymmetryTrainer): pass augment=False")
        self.packed = packed
        self.paths = [Path(p) for p in paths]
        if not self.paths:
            raise ValueError("PositionDataset needs at least one shard file (did the split get any games?)")
        self.batch_size = int(batch_size)
        self.max_batches = max_batches
        self.augment, self.shuffle = augment, shuffle
        self.seed = int(seed)
        self.epoch = None
        self.files_of = None  # (worker, workers) once share_files is called
        self.counts = []
        budget = max_positions
        for path in self.paths:
            with np.load(path) as shard:
                count = int(len(shard["y"]))
                self.planes = int(shard["planes"])
            if budget is not None:
                count = min(count, budget)
                budget -= count
            self.counts.append(count)
        self._cache = OrderedDict()
        self._cache_lock = threading.Lock()
        self.set_epoch(0)
        if not self._batches:
            raise ValueError(
                f"batch_size {batch_size} is larger than every shard ({max(self.counts)} positions at most)"
            )

    def share_files(self, worker: int, workers: int):
        """From now on plan only worker ``worker``'s shards of ``workers``, in batches of ``batch_size / workers``.

        The shards are dealt out by size (the largest first, each to the worker with the fewest
        positions so far), the same way in every process. Each worker draws its epoch from
        ``(seed, epoch, worker)`` and every worker runs the same number of steps: as many local
        batches as the worker with the fewest has (the others leave the rest of theirs for that
        epoch). Together the workers' batches make a global batch of ``batch_size`` positions, and
        no position is in two of them.
        """
        worker, workers = int(worker), int(workers)
        if not 0 <= worker < workers:
            raise ValueError(f"worker must be in [0, {workers}); got {worker}")
        if workers > len(self.paths):
            raise ValueError(f"{workers} workers need at least as many position shards; got {len(self.paths)} "
                             "(encode the games into more, smaller shards)")
        if self.batch_size % workers:
            raise ValueError(f"batch_size {self.batch_size} must be a multiple of the {workers} workers, "
                             "so that each takes an equal share of a batch")
        loads, owner = [0] * workers, {}
        for shard in sorted(range(len(self.paths)), key=lambda i: (-self.counts[i], i)):
            owner[shard] = min(range(workers), key=lambda w: (loads[w], w))
            loads[owner[shard]] += self.counts[shard]
        self._owned = [[i for i in range(len(self.paths)) if owner[i] == w] for w in range(workers)]
        local = self.batch_size // workers
        self._steps = min(sum(self.counts[i] // local for i in shards) for shards in self._owned)
        if not self._steps:
            raise ValueError(f"a worker's shards hold fewer than {local} positions: use fewer workers")
        self.files_of = (worker, workers)
        epoch, self.epoch = self.epoch, None
        self.set_epoch(epoch)
        return self

    def plan_epoch(self, rng):
        """Plan the batches of the epoch: shard order and position order drawn from ``(seed, epoch)``."""
        shards, batch_size, steps = list(range(len(self.paths))), self.batch_size, None
        if self.files_of is not None:
            worker, workers = self.files_of
            rng = np.random.default_rng([self.seed, self.epoch, worker])
            shards, batch_size, steps = list(self._owned[worker]), self.batch_size // workers, self._steps
        if self.shuffle:
            rng.shuffle(shards)
        self._batches = []
        self._orders = {}
        for shard in shards:
            count = self.counts[shard]
            self._orders[shard] = rng.permutation(count) if self.shuffle else np.arange(count)
            for start in range(0, count - batch_size + 1, batch_size):
                self._batches.append((shard, start))
        if steps is not None:
            del self._batches[steps:]

    def __len__(self):
        if self.max_batches:
            return min(len(self._batches), int(self.max_batches))
        return len(self._batches)

    def _shard(self, index):
        with self._cache_lock:
            if index in self._cache:
                self._cache.move_to_end(index)
                return self._cache[index]
        with np.load(self.paths[index]) as shard:
            loaded = (shard["x"], shard["y"].astype(np.int32))
        with self._cache_lock:
            self._cache[index] = loaded
            while len(self._cache) > self.cached_shards:
                self._cache.popitem(last=False)
        return loaded

    def __getitem__(self, index):
        return self.worker_batch(index, *(self.files_of or (0, 1)))

    def worker_batch(self, index, worker, workers):
        """Worker ``worker``'s share of batch ``index``: after ``share_files``, its own batch from its own
        shards; otherwise every ``workers``-th position of the batch (only those are unpacked)."""
        shard, start = self._batches[index]
        packed, labels = self._shard(shard)
        if self.files_of is not None:
            if self.files_of != (worker, workers):
                raise ValueError(f"this dataset holds the shards of worker {self.files_of[0]} of "
                                 f"{self.files_of[1]}, not of worker {worker} of {workers}")
            chosen = np.sort(self._orders[shard][start:start + self.batch_size // workers])
        else:
            chosen = np.sort(self._orders[shard][start:start + self.batch_size])[worker::workers]
        y = labels[chosen]
        if self.packed:
            return packed[chosen], y
        x = unpack(packed[chosen], self.planes)
        if self.augment:
            # One generator per batch (and worker): the symmetries do not depend on which thread asks first.
            key = [self.seed, self.epoch, index] + ([worker] if workers > 1 else [])
            x, y = augment_batch(x, y, np.random.default_rng(key))
        return x.astype("float32"), y
