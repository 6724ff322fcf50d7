"""The seeds' ensemble benchmark: members from the cache, one network or several together."""

import json

import numpy as np
import pytest

from benchmarks import dta_ensemble
from shared import benchmarking


@pytest.mark.usefixtures("data_available")
def test_an_ensemble_of_two_networks_averages_every_seed_of_each(tmp_path, monkeypatch):
    from apps.drug_target.data import load_dataset

    monkeypatch.setenv("CNNKIT_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(benchmarking, "RESULTS", tmp_path)
    pair_data, split = load_dataset("davis", "setting1", full_train=True)
    y = pair_data.y[split["test"]]
    rng = np.random.default_rng(0)
    for arch in ("deepdta", "ecfp"):
        for seed in (0, 1):
            folder = tmp_path / "cache" / "drug_target" / "bench" / dta_ensemble.run_name("davis", seed, arch)
            folder.mkdir(parents=True)
            np.save(folder / "test_predictions.npy", y + rng.normal(0, 0.5, size=y.shape))  # no training
    assert dta_ensemble.main(["--data", "davis", "--arch", "deepdta", "ecfp", "--seeds", "0", "1"]) == 0
    record = json.loads((tmp_path / "dta_ensemble_davis_deepdta_ecfp.json").read_text())
    assert list(record["seeds"]) == ["deepdta/0", "deepdta/1", "ecfp/0", "ecfp/1"]
    assert record["runs"] == ["davis_seed0", "davis_seed1", "davis_ecfp_seed0", "davis_ecfp_seed1"]
    # four independent errors of variance 0.25 average to about 0.25 / 4
    assert record["metrics"]["ensemble_mse"] == pytest.approx(0.25 / 4, rel=0.15)
    assert all(record["metrics"]["ensemble_mse"] < member["mse"] for member in record["seeds"].values())
    # independent members disagree more than their mean errs: the fitted factor narrows the spread, and a
    # factor fitted on one half of the test pairs covers 68% of the other half
    metrics = record["metrics"]
    assert metrics["within_1_spread"] > 0.8 and metrics["spread_scale"] < 1
    assert metrics["within_1_scaled_spread"] == pytest.approx(0.683, abs=0.03)
    assert all(scale == pytest.approx(metrics["spread_scale"], rel=0.1) for scale in
               record["scaled_spread"]["half_scales"])
    groups = record["scaled_spread"]["within_1_scaled_spread_by_spread_group"]
    assert len(groups) == 5 and groups == sorted(groups)   # the errors do not grow with this spread
    assert record["trained_in_this_run"] == [] and "No seed was trained in this run" in record["notes"]
    assert dta_ensemble.main(["--data", "davis", "--arch", "ecfp", "--seeds", "0", "1"]) == 0
    assert list(json.loads((tmp_path / "dta_ensemble_davis_ecfp.json").read_text())["seeds"]) == ["0", "1"]
