"""Exact resume of the shot detector's training: Ctrl-C or a crash mid-epoch, then the same call again."""

import functools
import json

import keras
import numpy as np
import pytest

from apps.video_analysis import train as video_train
from tests.testing import stop_fit_during


def _stopping_in(monkeypatch, epoch, error):
    stop_fit_during(monkeypatch, video_train, epoch, error, "fit")


def _windows(videos, windows_per_video, seed):
    """Random 8-frame windows of 12x8 frames with random transition labels (make_windows' shapes)."""
    rng = np.random.default_rng(seed)
    count = videos * windows_per_video
    x = rng.integers(0, 256, (count, 8, 8, 12, 3)).astype("uint8")
    y = rng.integers(0, 5, (count, 8)).astype("int32")
    return x, y, np.where(y > 0, 2.0, 1.0).astype("float32")


def _train(out, checkpoint_dir=None):
    return video_train.train_shot_detector(out=out, videos=4, windows_per_video=4, epochs=3, batch_size=4,
                                           checkpoint_dir=checkpoint_dir, verbose=0, filters=(2, 2, 2))


def test_shot_detector_stopped_by_ctrl_c_then_a_crash_resumes_exactly(tmp_path, monkeypatch):
    # The detector's own layers at a small size, on small random windows: the same training code.
    monkeypatch.setattr(video_train, "make_windows", _windows)
    monkeypatch.setattr(video_train, "build_shot_detector", functools.partial(
        video_train.build_shot_detector, window=8, frame_size=(12, 8), frame_units=4, temporal_filters=4,
        dilations=(1, 2)))
    reference = _train(tmp_path / "reference.keras")
    checkpoint, out = tmp_path / "checkpoints", tmp_path / "detector.keras"
    with monkeypatch.context() as patch:
        _stopping_in(patch, 1, KeyboardInterrupt)
        with pytest.raises(KeyboardInterrupt):
            _train(out, checkpoint)
    with monkeypatch.context() as patch:
        _stopping_in(patch, 2, RuntimeError)
        with pytest.raises(RuntimeError):
            _train(out, checkpoint)
    assert json.loads((checkpoint / "state.json").read_text())["epoch"] == 2
    resumed = _train(out, checkpoint)
    assert {k: v for k, v in resumed.items() if k != "seconds"} == \
        {k: v for k, v in reference.items() if k != "seconds"}
    # The best epoch's model (saved by validation loss) is the same file as in the uninterrupted run.
    best, reference_best = keras.saving.load_model(out), keras.saving.load_model(tmp_path / "reference.keras")
    for a, b in zip(best.get_weights(), reference_best.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_window_order_depends_only_on_seed_and_epoch():
    x, y, w = np.zeros((10, 1)), np.arange(10), np.ones(10)
    walked = video_train.WindowDataset(x, y, w, batch_size=3, seed=4)
    for _ in range(2):
        walked.on_epoch_end()
    jumped = video_train.WindowDataset(x, y, w, batch_size=3, seed=4)
    jumped.set_epoch(2)
    assert walked._order.tolist() == jumped._order.tolist() != sorted(walked._order.tolist())
