"""benchmarks.speed_vs_plain and benchmarks.precision (issue 38): statistics on fixed numbers, and
both scripts end to end on tiny slices (``--quick``) into a temporary results folder."""

import json

import pytest

from benchmarks import precision, speed_vs_plain
from shared import benchmarking

# --------------------------------------------------------------------------- helpers on known numbers

def test_spread_gives_median_min_max():
    assert speed_vs_plain.spread([3.0, 1.0, 2.0, 10.0]) == {"median": 2.5, "min": 1.0, "max": 10.0}
    assert precision.spread([0.5]) == {"median": 0.5, "min": 0.5, "max": 0.5}
    with pytest.raises(ValueError):
        speed_vs_plain.spread([])


def test_compare_is_the_ratio_of_the_medians_with_the_per_round_spread():
    result = speed_vs_plain.compare([200.0, 300.0, 100.0], [100.0, 100.0, 100.0])
    assert result["ratio"] == pytest.approx(2.0)
    assert result["round_ratio_median"] == pytest.approx(2.0)
    assert result["round_ratio_min"] == pytest.approx(1.0)
    assert result["round_ratio_max"] == pytest.approx(3.0)
    # medians, not means: one slow round does not move the ratio
    result = speed_vs_plain.compare([120.0, 120.0, 12.0], [100.0, 100.0, 100.0])
    assert result["ratio"] == pytest.approx(1.2)
    assert result["round_ratio_min"] == pytest.approx(0.12)
    with pytest.raises(ValueError):
        speed_vs_plain.compare([1.0, 2.0], [1.0])


def test_verdict_needs_a_margin_and_every_round_agreeing():
    assert speed_vs_plain.verdict_of(1.3, {"min": 1.1, "max": 1.5}) == "faster"
    assert speed_vs_plain.verdict_of(1.3, {"min": 0.9, "max": 1.5}).startswith("level")
    assert speed_vs_plain.verdict_of(1.02, {"min": 1.01, "max": 1.03}).startswith("level")
    assert speed_vs_plain.verdict_of(0.7, {"min": 0.6, "max": 0.8}) == "slower"


def test_compare_precisions_speedup_and_noise():
    result = precision.compare_precisions([100.0, 110.0, 90.0], [150.0, 176.0, 117.0],
                                          [0.90, 0.92, 0.91], [0.905, 0.90, 0.915])
    assert result["speedup"] == pytest.approx(1.5)
    assert result["round_speedup"] == {"median": pytest.approx(1.5), "min": pytest.approx(1.3),
                                       "max": pytest.approx(1.6)}
    assert result["score_difference"] == pytest.approx(-0.005)
    assert result["float32_score_spread"] == pytest.approx(0.02)
    assert result["within_noise"] is True
    result = precision.compare_precisions([1.0, 1.0, 1.0], [1.0, 1.0, 1.0], [0.90, 0.91, 0.905], [0.80, 0.82, 0.81])
    assert result["score_difference"] == pytest.approx(-0.095)
    assert result["within_noise"] is False
    with pytest.raises(ValueError):
        precision.compare_precisions([1.0], [1.0, 2.0], [0.5], [0.5])


# --------------------------------------------------------------------------- end to end, tiny slices

@pytest.fixture
def results(tmp_path, monkeypatch):
    monkeypatch.setattr(benchmarking, "RESULTS", tmp_path / "results")
    return tmp_path / "results"


def test_speed_vs_plain_quick_writes_every_model(results, tmp_path):
    path = speed_vs_plain.main(["--quick", "--go-cache", str(tmp_path / "go_cache")])
    assert path == results / "speed_vs_plain.json"
    record = json.loads(path.read_text())
    assert record["rounds"] == 2 and record["quick"] is True and record["precision"] == "float32"
    assert set(record["metrics"]) == set(speed_vs_plain.MODELS)
    for name, metrics in record["metrics"].items():
        assert metrics["parameters"] > 0
        for side in speed_vs_plain.SIDES:
            for kind in ("train", "predict"):
                stats = metrics[f"{side}_{kind}_per_s"]
                assert 0 < stats["min"] <= stats["median"] <= stats["max"]
                assert len(metrics["rounds"][side][kind]) == 2
                assert all(rate > 0 for rate in metrics["rounds"][side][kind])
        for kind in ("train", "predict"):
            expected = metrics[f"cnnkit_{kind}_per_s"]["median"] / metrics[f"plain_{kind}_per_s"]["median"]
            assert metrics[f"{kind}_ratio"] == pytest.approx(expected, rel=0.01)
            spread = metrics[f"{kind}_round_ratio"]
            assert spread["min"] <= spread["median"] <= spread["max"]
            cpu = metrics[f"cnnkit_{kind}_per_cpu_s"] / metrics[f"plain_{kind}_per_cpu_s"]
            assert metrics[f"{kind}_ratio_cpu_time"] == pytest.approx(cpu, rel=0.01)
        assert record["references"][name]["train_ratio"] == speed_vs_plain.TARGET
    padding = record["metrics"]["kim_cnn"]["padding"]
    assert padding["mean_length"] <= padding["max_length"]
    assert record["notes"] and "mnist_convnet train" in record["notes"]
    table = (results / "speed_vs_plain.md").read_text()
    assert "| mnist_convnet.train_ratio |" in table and "≥ 1.0x (issue 38)" in table


def test_precision_quick_writes_every_app(results, tmp_path):
    path = precision.main(["--quick", "--rounds", "1", "--go-cache", str(tmp_path / "go_cache")])
    assert path == results / "precision.json"
    record = json.loads(path.read_text())
    assert set(record["metrics"]) == set(precision.APPS)
    for name, metrics in record["metrics"].items():
        metric = metrics["metric"]
        for policy in precision.PRECISIONS:
            assert metrics[f"{policy}_train_per_s"]["median"] > 0
            assert metrics[f"{policy}_train_per_cpu_s"]["median"] > 0
            assert 0.0 <= metrics[f"{policy}_{metric}"]["median"] <= 1.0
            assert len(metrics["rounds"][policy]["train_per_s"]) == 1
        expected = metrics["mixed_bfloat16_train_per_s"]["median"] / metrics["float32_train_per_s"]["median"]
        assert metrics["speedup"] == pytest.approx(expected, rel=0.01)
        assert metrics["speedup_cpu_time"] > 0
        assert isinstance(metrics["within_noise"], bool)
        assert f"{metric}_difference" in metrics and metrics["recipe"] and 0 < metrics["chance"] < 1
    import keras

    assert keras.mixed_precision.global_policy().name == "float32"  # reset after every run
    assert "| image.speedup |" in (results / "precision.md").read_text()
