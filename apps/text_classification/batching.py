"""Length-bucketed batches: pad each batch only to its own longest text.

Most sentences in MR/SST are far shorter than the longest one, to which a fixed-length
model pads them all; a batch of similar lengths skips most of that padding's convolution
work. Batches are formed from
noisily sorted lengths and shuffled every epoch, so training order stays random.
Only models without a fixed length (the Kim CNN) can use it.
"""

from __future__ import annotations

import numpy as np

from shared.training import EpochSeededDataset


def text_lengths(ids: np.ndarray) -> np.ndarray:
    """Length of each post-padded row of token ids (position of the last non-zero id + 1)."""
    nonzero = ids != 0
    last = ids.shape[1] - np.argmax(nonzero[:, ::-1], axis=1)
    return np.where(nonzero.any(axis=1), last, 0)


class LengthBucketedBatches(EpochSeededDataset):
    """``(ids[:, :L_batch], labels)`` batches; ``L_batch`` rounded up to ``multiple`` (fewer traces).

    The order depends only on ``(seed, epoch)``: ``shared.training.fit`` sets the epoch
    (``set_epoch``), so a resumed run sees the same batches as an uninterrupted one; with
    ``model.fit`` directly it advances one epoch per pass.
    """

    def __init__(self, ids, labels, batch_size=50, min_length=5, multiple=8, seed=0, **kwargs):
        super().__init__(**kwargs)
        self.ids = np.asarray(ids)
        self.labels = np.asarray(labels)
        if len(self.ids) == 0:
            raise ValueError("The training data is empty.")
        self.batch_size = int(batch_size)
        self.min_length = int(min_length)
        self.multiple = int(multiple)
        self.seed = int(seed)
        self.lengths = text_lengths(self.ids)
        self.epoch = None
        self.set_epoch(0)

    def plan_epoch(self, rng):
        """Form and order the batches of the epoch (drawn from ``(seed, epoch)``)."""
        noisy = self.lengths + rng.uniform(-2.0, 2.0, size=len(self.lengths))
        order = np.argsort(noisy, kind="stable")
        batches = [order[i:i + self.batch_size] for i in range(0, len(order), self.batch_size)]
        rng.shuffle(batches)
        # Keras infers the input signature from the first two batches: give them different
        # widths so the length axis is left free (None) instead of fixed to one width.
        widths = [self._width(b) for b in batches]
        for j in range(1, len(batches)):
            if widths[j] != widths[0]:
                batches[1], batches[j] = batches[j], batches[1]
                break
        self.batches = batches

    def _width(self, rows):
        longest = max(int(self.lengths[rows].max()), self.min_length)
        width = min(self.ids.shape[1], -(-longest // self.multiple) * self.multiple)
        return max(width, min(self.min_length, self.ids.shape[1]))

    def __len__(self):
        return len(self.batches)

    def __getitem__(self, index):
        rows = self.batches[index]
        return self.ids[rows, :self._width(rows)], self.labels[rows]

    def worker_batch(self, index, worker, workers):
        """Worker ``worker``'s share of batch ``index`` (every ``workers``-th text), padded as the whole batch."""
        rows = self.batches[index]
        share = rows[worker::workers]
        return self.ids[share, :self._width(rows)], self.labels[share]
