"""Self-distillation: soft targets, symmetric batches, resumable teacher labelling."""

import numpy as np
import pytest

from apps.go_policy.model.data import encode_dataset, load_positions, shard_paths
from apps.go_policy.model.distillation import DistillationBatches, label_with_teacher, load_teacher_labels, soft_targets


def test_soft_targets_mix_teacher_and_professional_move():
    teacher = np.array([[0.5, 0.25, 0.25], [0.0, 0.0, 1.0]], dtype="float32")
    labels = np.array([1, 0])
    mixed = soft_targets(labels, teacher, alpha=0.5)
    np.testing.assert_allclose(mixed, [[0.25, 0.625, 0.125], [0.5, 0.0, 0.5]])
    np.testing.assert_allclose(soft_targets(labels, teacher, alpha=0.0), [[0, 1, 0], [1, 0, 0]])
    np.testing.assert_allclose(soft_targets(labels, teacher, alpha=1.0), teacher)
    with pytest.raises(ValueError, match="between 0 and 1"):
        soft_targets(labels, teacher, alpha=1.5)
    with pytest.raises(ValueError, match="2 labels but 1 teacher"):
        soft_targets(labels, teacher[:1], alpha=0.5)


def test_batches_move_the_target_with_the_board():
    # Plane 0 marks the professional move, plane 1 the teacher's favourite: after any symmetry
    # the target's peaks must still sit on the marked points.
    size, count = 19, 64
    rng = np.random.default_rng(3)
    labels = rng.integers(0, size * size, count)
    favourite = (labels + 1 + rng.integers(0, size * size - 1, count)) % (size * size)
    x = np.zeros((count, size, size, 2), dtype=np.uint8)
    x[np.arange(count), labels // size, labels % size, 0] = 1
    x[np.arange(count), favourite // size, favourite % size, 1] = 1
    teacher = np.full((count, size * size), 0.1 / (size * size - 1), dtype="float16")
    teacher[np.arange(count), favourite] = 0.9
    batches = DistillationBatches(np.packbits(x, axis=-1), labels, teacher, planes=2, batch_size=32,
                                  alpha=0.5, steps=3, seed=1)
    assert len(batches) == 3
    for index in range(len(batches)):
        bx, target = batches[index]
        assert bx.shape == (32, size, size, 2) and target.shape == (32, size * size)
        np.testing.assert_allclose(target.sum(axis=1), 1.0, rtol=1e-5)
        professional = bx[..., 0].reshape(32, -1).argmax(axis=1)
        preferred = bx[..., 1].reshape(32, -1).argmax(axis=1)
        np.testing.assert_allclose(target[np.arange(32), professional], 0.5, atol=1e-3)
        np.testing.assert_allclose(target[np.arange(32), preferred], 0.45, atol=1e-3)
    again = DistillationBatches(np.packbits(x, axis=-1), labels, teacher, planes=2, batch_size=32,
                                alpha=0.5, steps=3, seed=1)
    np.testing.assert_array_equal(again[2][1], batches[2][1])  # reproducible from (seed, epoch, batch)
    batches.on_epoch_end()
    assert not np.array_equal(batches[2][1], again[2][1])  # a new epoch draws new batches
    with pytest.raises(ValueError, match="must match"):
        DistillationBatches(np.packbits(x, axis=-1)[:10], labels, teacher, planes=2)


def test_teacher_labelling_resumes_and_stops_at_the_budget(small_sgf_folder, tmp_path):
    manifest = encode_dataset([small_sgf_folder], features="minimal", workers=1, shard_size=100,
                              cache=tmp_path / "cache", progress=False)
    paths = shard_paths(manifest, "train")
    calls = []

    def uniform(batch):  # a stand-in teacher: every point equally likely, calls counted
        calls.append(len(batch))
        return np.full((len(batch), 361), 1.0 / 361, dtype="float32")

    folder = tmp_path / "teacher"
    first = label_with_teacher(uniform, paths, folder, max_positions=150, symmetries=2, chunk=60, log=lambda _: None)
    assert first["positions"] >= 150 and first["positions"] == first["computed_this_run"]
    assert sum(calls) == 2 * first["positions"]  # two symmetries, one call per chunk
    calls.clear()
    resumed = label_with_teacher(uniform, paths, folder, max_positions=150, symmetries=2, chunk=60,
                                 log=lambda _: None)
    assert calls == [] and resumed["positions"] == first["positions"] and resumed["computed_this_run"] == 0
    packed, labels, probabilities, planes = load_teacher_labels(folder)
    assert len(labels) == first["positions"] == len(packed) == len(probabilities)
    assert planes == manifest["planes"] and probabilities.dtype == np.float16
    all_labels = np.concatenate([load_positions([p])[1] for p in paths])
    assert np.isin(labels, all_labels).all()
    with pytest.raises(ValueError, match="no teacher chunks"):
        load_teacher_labels(tmp_path / "empty")
