"""``python -m benchmarks.dta_cold`` on Human's cold split: the interaction metrics over seeds, the
forest beside them, finished runs read back from the cache, and a split the dataset lacks refused."""

import json

import pytest

from benchmarks import dta_cold
from shared import benchmarking


@pytest.mark.usefixtures("data_available")
def test_cold_benchmark_on_human_reports_auroc_next_to_the_forest(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CNNKIT_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(benchmarking, "RESULTS", tmp_path / "results")
    argv = ["--data", "human", "--seeds", "0", "--epochs", "1", "--limit", "48"]
    assert dta_cold.main(argv) == 0
    assert "saved" in capsys.readouterr().out  # train_and_save prints "saved ..." when it trains
    record = json.loads((tmp_path / "results" / "dta_cold_human.json").read_text())
    (run,) = record["runs"]
    assert run["split"] == "cold" and run["seed"] == 0 and run["train_pairs"] == run["test_pairs"] == 48
    assert 0 <= run["auroc"] <= 1 and 0 <= run["forest_auroc"] <= 1 and "ci" not in run
    assert record["metrics"]["cold_auroc_mean"] == pytest.approx(run["auroc"])
    assert record["metrics"]["cold_auroc_std"] == 0.0  # one seed: no spread
    assert record["references"]["cold_auprc_mean"] == pytest.approx(run["forest_auprc"])
    assert "DrugBAN's cold split" in record["notes"] and "float32" in record["notes"]
    # A finished seed is read back from the cache, not trained again.
    done = tmp_path / "cache" / "drug_target" / "bench" / "human_cold_seed0" / "cold_run.json"
    assert json.loads(done.read_text()) == run
    assert dta_cold.main(argv) == 0
    assert "saved" not in capsys.readouterr().out


def test_cold_benchmark_refuses_a_split_the_dataset_lacks(capsys):
    with pytest.raises(SystemExit) as stop:
        dta_cold.main(["--data", "human", "--splits", "cold-drug"])
    assert stop.value.code == 2
    assert "--splits for human must be among cold; got cold-drug" in capsys.readouterr().err
