"""Streaming image folders for training: a ``keras.utils.PyDataset`` over image files."""

from __future__ import annotations

import keras
import numpy as np

from apps.image_recognition.data import SkipLog, UnreadableImage, load_image


class ImageFolderDataset(keras.utils.PyDataset):
    """Streams batches of images from files: OpenCV decode, resize, channel conversion.

    Unreadable files are skipped (named in the log and kept in ``skipped``); the batch is
    refilled from the following files so every batch stays full. Pixels stay in 0-255:
    the model normalises them itself.
    """

    def __init__(self, files, labels=None, batch_size=32, image_size=(64, 64), channels=3,
                 shuffle=False, seed=0, skipped: SkipLog | None = None, **kwargs):
        super().__init__(**kwargs)
        if not len(files):
            raise ValueError("ImageFolderDataset needs at least one image file.")
        self.files = [str(f) for f in files]
        self.labels = None if labels is None else np.asarray(labels, dtype=np.int32)
        self.batch_size = int(batch_size)
        self.image_size = tuple(int(s) for s in image_size)
        self.channels = int(channels)
        self.shuffle = shuffle
        self.skipped = skipped if skipped is not None else SkipLog()
        self._rng = np.random.default_rng(seed)
        self._order = np.arange(len(self.files))
        if shuffle:
            self._rng.shuffle(self._order)

    def __len__(self):
        return -(-len(self.files) // self.batch_size)

    def select(self, rows):
        """A dataset of the files ``rows`` only, read, batched and shuffled as this one is."""
        rows = np.asarray(rows, dtype=np.int64)
        return ImageFolderDataset([self.files[i] for i in rows], None if self.labels is None else self.labels[rows],
                                  batch_size=self.batch_size, image_size=self.image_size, channels=self.channels,
                                  shuffle=self.shuffle, seed=int(self._rng.integers(2**31)), skipped=self.skipped)

    def on_epoch_end(self):
        if self.shuffle:
            self._rng.shuffle(self._order)

    def _read(self, index):
        name = self.files[index]
        if name in self.skipped:
            return None
        try:
            return load_image(name, self.image_size, self.channels)
        except UnreadableImage as error:
            self.skipped.add(name, error.reason)
            return None

    def __getitem__(self, batch):
        return self._read_batch(self._order[batch * self.batch_size:(batch + 1) * self.batch_size],
                                (batch + 1) * self.batch_size)

    def worker_batch(self, batch, worker, workers):
        """Worker ``worker``'s share of batch ``batch`` (every ``workers``-th file): only those files are read.

        An unreadable file is replaced by a file after the batch, as in ``__getitem__``; two workers
        may then pick the same one.
        """
        wanted = self._order[batch * self.batch_size:(batch + 1) * self.batch_size]
        return self._read_batch(wanted[worker::workers], (batch + 1) * self.batch_size + worker)

    def _read_batch(self, wanted, position):
        images, labels = [], []
        queue = list(wanted)
        tries = 0
        while queue and tries < len(self.files) + len(wanted):
            index = queue.pop(0)
            tries += 1
            image = self._read(index)
            if image is None:
                # Refill from the next files so the batch stays full.
                queue.append(self._order[position % len(self.files)])
                position += 1
                continue
            images.append(image)
            if self.labels is not None:
                labels.append(self.labels[index])
        if not images:
            raise ValueError(f"No readable image among {len(self.files)} files "
                             f"({self.skipped.count} unreadable, e.g. {self.skipped.files[:3]}).")
        x = np.stack(images).astype("float32")
        if self.labels is None:
            return (x,)
        return x, np.asarray(labels, dtype=np.int32)
