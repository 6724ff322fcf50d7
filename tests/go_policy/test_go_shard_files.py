"""Go position shards dealt out to training processes: each decompresses only its own."""

import numpy as np
import pytest

from apps.go_policy.model.dataset import PositionDataset

SIZES = (100, 80, 60, 50, 30)


@pytest.fixture()
def numbered_shards(tmp_path):
    """Shards whose positions carry their own id (two bytes of packed planes), unique across shards."""
    paths, first = [], 0
    for index, size in enumerate(SIZES):
        ids = np.arange(first, first + size)
        packed = np.stack([ids // 256, ids % 256], axis=-1).astype(np.uint8).reshape(size, 1, 1, 2)
        path = tmp_path / f"shard-train-{index:04d}.npz"
        np.savez_compressed(path, x=packed, y=(ids % 361).astype(np.int32), planes=np.int32(16))
        paths.append(path)
        first += size
    return paths


def ids_of(batch):
    packed = batch[0].astype(np.int64)
    return packed[:, 0, 0, 0] * 256 + packed[:, 0, 0, 1]


def test_each_worker_reads_only_its_shards_and_no_position_is_seen_twice(numbered_shards):
    workers = [PositionDataset(numbered_shards, batch_size=20, augment=False, packed=True, seed=3)
               .share_files(w, 2) for w in range(2)]
    opened = {0: set(), 1: set()}
    for worker, dataset in enumerate(workers):
        original = dataset._shard
        dataset._shard = lambda index, original=original, worker=worker: (opened[worker].add(index),
                                                                           original(index))[1]
    # largest shard first, each to the worker with fewer positions: 100 | 80 + 60 | 50 -> w0 | 30 -> w1
    assert workers[0]._owned == [[0, 3], [1, 2, 4]]
    # the same number of steps everywhere: the smaller side's 10 + 5 local batches of 10
    assert len(workers[0]) == len(workers[1]) == 15
    epochs = []
    for epoch in (0, 1):
        seen = []
        for worker, dataset in enumerate(workers):
            dataset.set_epoch(epoch)
            for index in range(len(dataset)):
                batch = dataset.worker_batch(index, worker, 2)
                assert len(batch[1]) == 10 and batch[0].dtype == np.uint8
                np.testing.assert_array_equal(batch[1], ids_of(batch) % 361)
                seen.append(ids_of(batch))
        seen = np.concatenate(seen)
        assert len(seen) == 15 * 20 and len(np.unique(seen)) == len(seen)
        epochs.append(seen)
    assert opened[0] == {0, 3} and opened[1] == {1, 2, 4}
    assert not np.array_equal(epochs[0], epochs[1])  # a new order every epoch
    # and a fresh dataset of the same worker plans the same epoch again (resumes are exact)
    again = PositionDataset(numbered_shards, batch_size=20, augment=False, packed=True, seed=3).share_files(1, 2)
    again.set_epoch(1)
    np.testing.assert_array_equal(ids_of(again[0]), ids_of(workers[1].worker_batch(0, 1, 2)))


def test_sharing_files_refuses_what_cannot_be_split(numbered_shards):
    dataset = PositionDataset(numbered_shards, batch_size=20, augment=False)
    with pytest.raises(ValueError, match="6 workers need at least as many position shards; got 5"):
        dataset.share_files(0, 6)
    with pytest.raises(ValueError, match="batch_size 20 must be a multiple of the 3 workers"):
        dataset.share_files(0, 3)
    with pytest.raises(ValueError, match=r"worker must be in \[0, 2\); got 2"):
        dataset.share_files(2, 2)
    dataset.share_files(0, 2)
    with pytest.raises(ValueError, match="holds the shards of worker 0 of 2, not of worker 1 of 2"):
        dataset.worker_batch(0, 1, 2)


def test_multi_worker_shares_deal_out_the_files(numbered_shards, monkeypatch):
    """fit's wrapper for several processes gives a dataset with files its own shards (process 1 of 2)."""
    import shared.training as training

    monkeypatch.setattr(training, "worker_info", lambda: (1, 2))
    dataset = PositionDataset(numbered_shards, batch_size=20, augment=False, packed=True, seed=3)
    shares = training._ProcessShares(dataset)
    assert shares.own_files and dataset.files_of == (1, 2) and len(shares) == 15
    ids = np.concatenate([ids_of(shares[i]) for i in range(len(shares))])
    owned = np.concatenate([np.arange(100, 240), np.arange(290, 320)])  # shards 1, 2 and 4
    assert np.isin(ids, owned).all() and len(np.unique(ids)) == 150
