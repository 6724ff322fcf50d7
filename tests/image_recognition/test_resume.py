"""Exact resume of image training: Ctrl-C or a crash mid-epoch, then the same call again."""

import json

import numpy as np
import pytest

from apps.image_recognition.train import train
from tests.testing import StopDuring


def _assert_same_run(reference, resumed, out):
    (reference_model, _, reference_metrics), (resumed_model, _, resumed_metrics) = reference, resumed
    for a, b in zip(reference_model.get_weights(), resumed_model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    keys = [k for k in reference_metrics if k.startswith("final_")]
    assert keys and {k: resumed_metrics[k] for k in keys} == {k: reference_metrics[k] for k in keys}
    log = (out / "training_log.csv").read_text().splitlines()
    assert [row.split(",")[0] for row in log[1:]] == ["0", "1", "2"]


@pytest.mark.parametrize("source", ["mnist", "folder"])
def test_training_stopped_by_ctrl_c_then_a_crash_resumes_exactly(tmp_path, image_tree, source, capfd):
    # Arrays (mnist, with random augmentation layers) and a streamed folder (ImageFolderDataset).
    data = "mnist" if source == "mnist" else str(image_tree)
    kwargs = dict(arch="lenet5", epochs=3, batch_size=16, limit=96, test_limit=32, verbose=0,
                  augment="translate" if source == "mnist" else None,
                  image_size=(28, 28) if source == "folder" else None, channels=1 if source == "folder" else None)
    reference = train(data, out_dir=tmp_path / "reference", **kwargs)
    out = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        train(data, out_dir=out, callbacks=[StopDuring(1, KeyboardInterrupt)], **kwargs)
    with pytest.raises(RuntimeError):
        train(data, out_dir=out, callbacks=[StopDuring(2, RuntimeError)], **kwargs)
    assert json.loads((out / "checkpoints" / "state.json").read_text())["epoch"] == 2
    capfd.readouterr()
    resumed = train(data, out_dir=out, **kwargs)
    assert "resuming from epoch 3 of 3" in capfd.readouterr().err
    _assert_same_run(reference, resumed, out)
    assert json.loads((out / "history.json").read_text()) == json.loads((tmp_path / "reference" / "history.json")
                                                                         .read_text())
