"""Self-distillation: a policy network learns its teacher's symmetry-averaged move distribution.

Averaging the 8 board symmetries makes a policy network more accurate, but costs 8 forward
passes per move. A student trained on that average, mixed with the professional move, takes
part of the gain into a single pass, and its own symmetry average can go beyond the teacher's
("born-again networks", Furlanello et al. 2018). The teacher's answers are computed once and
written as chunk files, so a killed run picks up where it stopped.
"""

from __future__ import annotations

import time
from pathlib import Path

import keras
import numpy as np

from apps.go_policy.model.data import dihedral, label_maps, load_positions, pack, predict_with_symmetries, unpack


def soft_targets(labels: np.ndarray, teacher_probabilities: np.ndarray, alpha: float) -> np.ndarray:
    """``alpha`` of the teacher's distribution plus ``1 - alpha`` of the one-hot professional move."""
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha (the teacher's share of the target) must be between 0 and 1, got {alpha}")
    labels = np.asarray(labels)
    targets = alpha * np.asarray(teacher_probabilities, dtype="float32")
    if targets.shape[0] != len(labels):
        raise ValueError(f"{len(labels)} labels but {targets.shape[0]} teacher distributions")
    targets[np.arange(len(labels)), labels] += 1.0 - alpha
    return targets / targets.sum(axis=1, keepdims=True)


def label_with_teacher(predict, paths, folder, max_positions: int, symmetries: int = 8, chunk: int = 2048,
                       seed: int = 0, log=print) -> dict:
    """Write the teacher's ``symmetries``-averaged probabilities for shards ``paths`` to ``folder``.

    Shards are taken in a random order (``seed``) and split in chunks of ``chunk`` positions;
    each chunk becomes ``shard<i>-<start>.npz`` (bit-packed planes, labels, float16
    probabilities). Chunks already in ``folder`` are kept, so a rerun resumes; labelling stops
    after the chunk that reaches ``max_positions``. Returns the positions and the speed.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    order = np.random.default_rng(seed).permutation(len(paths))
    done, computed, start = 0, 0, time.perf_counter()
    for index in order:
        if done >= max_positions:
            break
        x, y, _ = load_positions([paths[index]])
        for begin in range(0, len(y), chunk):
            if done >= max_positions:
                break
            target = folder / f"shard{index:04d}-{begin:06d}.npz"
            if target.exists():
                with np.load(target) as existing:
                    done += len(existing["y"])
                continue
            part_x, part_y = x[begin:begin + chunk], y[begin:begin + chunk]
            probabilities = predict_with_symmetries(predict, part_x, symmetries)
            temporary = target.with_name(target.stem + ".partial.npz")
            np.savez(temporary, x=pack(part_x), y=part_y,
                     p=probabilities.astype(np.float16), planes=part_x.shape[-1])
            temporary.replace(target)  # a killed run never leaves a half-written chunk under the final name
            done += len(part_y)
            computed += len(part_y)
            seconds = time.perf_counter() - start
            log(f"teacher: {done} positions ({computed / seconds:.1f}/s this run)")
    seconds = time.perf_counter() - start
    return {"positions": int(done), "computed_this_run": int(computed), "seconds": round(seconds, 1),
            "positions_per_s": round(computed / seconds, 1) if computed else None}


def load_teacher_labels(folder):
    """(bit-packed x, labels, teacher probabilities float16, planes) of every chunk in ``folder``."""
    files = sorted(Path(folder).glob("shard*-*[0-9].npz"))
    if not files:
        raise ValueError(f"no teacher chunks (shard<i>-<start>.npz) in {folder}: run the labelling first")
    xs, ys, ps, planes = [], [], [], set()
    for file in files:
        with np.load(file) as chunk:
            xs.append(chunk["x"]), ys.append(chunk["y"]), ps.append(chunk["p"])
            planes.add(int(chunk["planes"]))
    if len(planes) != 1:
        raise ValueError(f"teacher chunks in {folder} mix feature sets ({sorted(planes)} planes)")
    return np.concatenate(xs), np.concatenate(ys), np.concatenate(ps), planes.pop()


class DistillationBatches(keras.utils.PyDataset):
    """Random batches of (position, soft target), each position under a random board symmetry.

    A symmetry moves the planes and the target distribution alike: the probability of point
    ``p`` goes to the point ``p`` moves to. Batches are drawn with replacement from a random
    generator keyed by (``seed``, epoch, batch), so an epoch is ``steps`` batches long
    whatever the number of labelled positions.
    """

    def __init__(self, packed_x, labels, teacher_probabilities, planes: int, batch_size: int = 256,
                 alpha: float = 0.5, steps: int = 100, seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        soft_targets(labels[:1], teacher_probabilities[:1], alpha)  # checks alpha and the shapes early
        if len(packed_x) != len(labels) or len(labels) != len(teacher_probabilities):
            raise ValueError(f"{len(packed_x)} positions, {len(labels)} labels and "
                             f"{len(teacher_probabilities)} teacher distributions: they must match")
        self.packed_x, self.labels, self.teacher = packed_x, np.asarray(labels), teacher_probabilities
        self.planes, self.batch_size, self.alpha = int(planes), int(batch_size), float(alpha)
        self.steps, self.seed, self.epoch = int(steps), int(seed), 0

    def __len__(self):
        return self.steps

    def __getitem__(self, index):
        rng = np.random.default_rng([self.seed, self.epoch, int(index)])
        chosen = rng.integers(0, len(self.labels), self.batch_size)
        x = unpack(self.packed_x[chosen], self.planes).astype("float32")
        target = soft_targets(self.labels[chosen], self.teacher[chosen], self.alpha)
        transforms = rng.integers(0, 8, self.batch_size)
        maps = label_maps(x.shape[1])
        out_x, out_target = np.empty_like(x), np.empty_like(target)
        for transform in range(8):
            rows = np.nonzero(transforms == transform)[0]
            if len(rows):
                out_x[rows] = dihedral(x[rows], transform)
                moved = np.empty((len(rows), target.shape[1]), dtype=target.dtype)
                moved[:, maps[transform]] = target[rows]
                out_target[rows] = moved
        return out_x, out_target

    def on_epoch_end(self):
        self.epoch += 1
