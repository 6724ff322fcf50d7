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

    def plan_epoch(self, rng):
        """Plan the batches of the epoch: shard order and position order drawn from ``(seed, epoch)``."""
        order = list(range(len(self.paths)))
        if self.shuffle:
            rng.shuffle(order)
        self._batches = []
        self._orders = {}
        for shard in order:
            count = self.counts[shard]
            self._orders[shard] = rng.permutation(count) if self.shuffle else np.arange(count)
            for start in range(0, count - self.batch_size + 1, self.batch_size):
                self._batches.append((shard, start))

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
        return self.worker_batch(index, 0, 1)

    def worker_batch(self, index, worker, workers):
        """Worker ``worker``'s share of batch ``index`` (every ``workers``-th position): only those are unpacked."""
        shard, start = self._batches[index]
        packed, labels = self._shard(shard)
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
