"""Exact resume of Go policy training: Ctrl-C or a crash mid-epoch, then the same call again."""

import json

import keras
import numpy as np
import pytest

from shared import training
from tests.testing import stop_fit_during


def _stopping_in(monkeypatch, epoch, error):
    stop_fit_during(monkeypatch, training, epoch, error, "fit")


def _train(sgf_folder, out, device_augmentation):
    from apps.go_policy.model.train import train_policy

    return train_policy([sgf_folder], out, features="minimal", depth=1, filters=2, batch_size=16, epochs=3,
                        steps_per_epoch=3, workers=1, loader_workers=2, seed=2, progress=False, verbose=0,
                        ema_momentum=0.9, device_augmentation=device_augmentation, validation_positions=64,
                        test_positions=64)


@pytest.mark.parametrize("device_augmentation", [False, True], ids=["host-symmetries", "device-symmetries"])
def test_training_stopped_by_ctrl_c_then_a_crash_resumes_exactly(small_sgf_folder, tmp_path, monkeypatch,
                                                                 device_augmentation):
    monkeypatch.setenv("CNNKIT_CACHE", str(tmp_path / "cache"))
    reference = _train(small_sgf_folder, tmp_path / "reference", device_augmentation)
    out = tmp_path / "run"
    with monkeypatch.context() as patch:
        _stopping_in(patch, 1, KeyboardInterrupt)
        with pytest.raises(KeyboardInterrupt):
            _train(small_sgf_folder, out, device_augmentation)
    with monkeypatch.context() as patch:
        _stopping_in(patch, 2, RuntimeError)
        with pytest.raises(RuntimeError):
            _train(small_sgf_folder, out, device_augmentation)
    assert json.loads((out / "checkpoints" / "state.json").read_text())["epoch"] == 2
    resumed = _train(small_sgf_folder, out, device_augmentation)
    assert len(reference["history"]["loss"]) == 3
    for key in ("history", "validation", "test", "epochs_run"):
        assert resumed.get(key) == reference.get(key), key
    saved, reference_saved = (keras.saving.load_model(path / "policy.keras") for path in (out, tmp_path / "reference"))
    for a, b in zip(reference_saved.get_weights(), saved.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_position_batches_depend_only_on_seed_and_epoch(small_sgf_folder, tmp_path, monkeypatch):
    from apps.go_policy.model.data import encode_dataset, shard_paths
    from apps.go_policy.model.dataset import PositionDataset

    monkeypatch.setenv("CNNKIT_CACHE", str(tmp_path / "cache"))
    manifest = encode_dataset([small_sgf_folder], features="minimal", workers=1, progress=False)
    paths = shard_paths(manifest, "train")
    walked = PositionDataset(paths, batch_size=16, seed=3, max_batches=4)
    for _ in range(2):
        walked.on_epoch_end()
    jumped = PositionDataset(paths, batch_size=16, seed=3, max_batches=4)
    jumped.set_epoch(2)
    for index in (3, 0):  # the order threads ask for batches in does not matter
        for a, b in zip(walked[index], jumped[index], strict=True):
            np.testing.assert_array_equal(a, b)
