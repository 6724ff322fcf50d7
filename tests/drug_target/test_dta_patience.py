"""The affinity patience benchmark: what each patience makes of one run, and a killed run resumed."""

import json

import pytest

from benchmarks import dta_patience
from shared import benchmarking, training
from tests.testing import stop_fit_during

# Validation MSE falls to epoch 2, rises, falls again to epoch 5, then rises to the end.
RUN = {"epochs": 8, "validation_mse": [1.0, 0.8, 0.9, 0.85, 0.7, 0.75, 0.76, 0.77],
       "test_at_improvement": {"1": {"ci": 0.70, "mse": 0.9}, "2": {"ci": 0.75, "mse": 0.8},
                               "5": {"ci": 0.80, "mse": 0.6}, "8": {"ci": 0.79, "mse": 0.65}}}


def test_each_patience_stops_and_keeps_as_dta_train_would():
    assert dta_patience.patience_view(RUN, 2) == {"epochs": 4, "kept_epoch": 2, "valid_mse": 0.8, "ci": 0.75,
                                                  "mse": 0.8}
    assert dta_patience.patience_view(RUN, 3) == {"epochs": 8, "kept_epoch": 5, "valid_mse": 0.7, "ci": 0.80,
                                                  "mse": 0.6}
    assert dta_patience.patience_view(RUN, 10)["kept_epoch"] == 5       # no stop: the best epoch of the curve
    assert dta_patience.patience_view(RUN, None) == {"epochs": 8, "kept_epoch": 8, "valid_mse": 0.77, "ci": 0.79,
                                                     "mse": 0.65}
    metrics = dta_patience.summarise([RUN, {**RUN, "validation_mse": RUN["validation_mse"][:2] + [0.9] * 6}], [2])
    assert metrics["patience2"]["test_ci_mean"] == pytest.approx(0.75) and metrics["patience2"]["epochs_mean"] == 4
    assert set(metrics) == {"patience2", "no_early_stopping"}


def test_a_killed_benchmark_resumes_to_the_same_record(data_available, tmp_path, monkeypatch):
    monkeypatch.setenv("CNNKIT_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(benchmarking, "RESULTS", tmp_path / "results")
    (tmp_path / "results").mkdir()
    argv = ["--seeds", "0", "--epochs", "2", "--limit", "300", "--patiences", "1"]
    reference = json.loads(dta_patience.main(argv).read_text())
    run = reference["runs"][0]
    assert run["epochs"] == 2 and len(run["validation_mse"]) == 2 and "2" in run["test_at_improvement"]
    assert run["pairs"] == {"train": 300, "valid": 300, "test": 300}
    assert set(reference["metrics"]) == {"patience1", "no_early_stopping"}

    monkeypatch.setenv("CNNKIT_CACHE", str(tmp_path / "cache2"))
    with monkeypatch.context() as patch:
        stop_fit_during(patch, training, 1, KeyboardInterrupt, "fit")
        with pytest.raises(KeyboardInterrupt):
            dta_patience.main(argv)
    resumed = json.loads(dta_patience.main(argv).read_text())
    assert resumed["runs"][0]["validation_mse"] == run["validation_mse"]
    assert resumed["runs"][0]["test_at_improvement"] == run["test_at_improvement"]
