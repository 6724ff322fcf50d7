"""Exact resume of DeepDTA training: Ctrl-C or a crash mid-epoch, then the same call again."""

import json

import keras
import numpy as np
import pytest

from shared import training
from tests.testing import stop_fit_during

TINY = dict(smiles_length=20, protein_length=40, embed_dim=8, filters=(4, 6, 8), hidden_units=(16, 8))


def _stopping_in(monkeypatch, epoch, error):
    stop_fit_during(monkeypatch, training, epoch, error, "fit")


def _pairs():
    from apps.drug_target.data import PairData

    rng = np.random.default_rng(3)
    return PairData(drugs=["CCO", "c1ccccc1", "CCN", "CCCl", "OCCO"],
                    proteins=["MKVLLEAGHK", "WYRSTPQNDCFI", "AAAAC", "MKKLLPT"],
                    drug_index=rng.integers(0, 5, 80), protein_index=rng.integers(0, 4, 80),
                    y=rng.normal(6, 1, 80).astype("float32"))


def _train(pair_data, entity_batched, checkpoint_dir=None, log_path=None):
    from apps.drug_target.model import build_deepdta
    from apps.drug_target.train import train

    keras.utils.set_random_seed(0)
    model = build_deepdta("affinity", **TINY)
    model.compile(optimizer=keras.optimizers.Adam(0.01))
    result = train(model, pair_data, np.arange(60), np.arange(60, 80), epochs=4, batch_pairs=12,
                   entity_batched=entity_batched, verbose=0, seed=1, checkpoint_dir=checkpoint_dir,
                   log_path=log_path)
    return model, result


@pytest.mark.parametrize("entity_batched", [True, False], ids=["entity-batches", "pair-batches"])
def test_training_stopped_by_ctrl_c_then_a_crash_resumes_exactly(tmp_path, monkeypatch, entity_batched):
    pair_data = _pairs()
    reference, reference_result = _train(pair_data, entity_batched, log_path=tmp_path / "reference.csv")
    checkpoint, log = tmp_path / "checkpoint", tmp_path / "log.csv"
    with monkeypatch.context() as patch:
        _stopping_in(patch, 1, KeyboardInterrupt)
        with pytest.raises(KeyboardInterrupt):
            _train(pair_data, entity_batched, checkpoint, log)
    with monkeypatch.context() as patch:
        _stopping_in(patch, 2, RuntimeError)
        with pytest.raises(RuntimeError):
            _train(pair_data, entity_batched, checkpoint, log)
    assert json.loads((checkpoint / "state.json").read_text())["epoch"] == 2
    resumed, resumed_result = _train(pair_data, entity_batched, checkpoint, log)
    # The best validation epoch's weights are restored at the end, as in the uninterrupted run.
    assert resumed_result["best_epoch"] == reference_result["best_epoch"]
    assert resumed_result["epochs_run"] == 4 and resumed_result["epochs_this_run"] == 2
    drop_seconds = lambda records: [{k: v for k, v in r.items() if k != "seconds"} for r in records]  # noqa: E731
    assert drop_seconds(resumed_result["records"]) == drop_seconds(reference_result["records"])
    for a, b in zip(reference.get_weights(), resumed.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert len(log.read_text().splitlines()) == 5  # a header and one row per epoch
