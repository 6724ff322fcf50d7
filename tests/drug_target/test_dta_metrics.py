import numpy as np
import pytest

from apps.drug_target.metrics import (
    classification_metrics,
    concordance_index,
    concordance_index_bruteforce,
    regression_metrics,
    rm2,
)


@pytest.mark.parametrize("n", [2, 3, 10, 57, 400])
def test_ci_matches_bruteforce_with_ties(n):
    rng = np.random.default_rng(n)
    for _ in range(10):
        y = rng.integers(0, 6, n).astype(float)  # many ties in y
        p = rng.integers(0, 4, n).astype(float)  # many ties in predictions
        fast, slow = concordance_index(y, p), concordance_index_bruteforce(y, p)
        if np.isnan(slow):
            assert np.isnan(fast)
        else:
            assert fast == pytest.approx(slow, abs=1e-12)


def test_ci_continuous_matches_bruteforce():
    rng = np.random.default_rng(0)
    y = rng.normal(size=600)
    p = y + rng.normal(size=600)
    assert concordance_index(y, p) == pytest.approx(concordance_index_bruteforce(y, p), abs=1e-12)


def test_ci_known_values():
    assert concordance_index([1, 2, 3], [1, 2, 3]) == 1.0
    assert concordance_index([1, 2, 3], [3, 2, 1]) == 0.0
    assert concordance_index([1, 2, 3], [5, 5, 5]) == 0.5
    # pairs (y): (1,2) concordant, (1,3) tie in p -> 0.5, (2,3) discordant -> 1.5/3
    assert concordance_index([1, 2, 3], [0, 1, 0]) == pytest.approx(0.5)
    assert np.isnan(concordance_index([2, 2, 2], [1, 2, 3]))


def test_ci_is_n_log_n_fast_on_large_input():
    import time

    rng = np.random.default_rng(1)
    y = rng.normal(size=50_000)
    start = time.perf_counter()
    value = concordance_index(y, y + rng.normal(size=y.size))
    assert time.perf_counter() - start < 10
    assert 0.7 < value < 0.8


def test_regression_metrics_and_rm2():
    y = np.array([5.0, 6.0, 7.0, 8.0, 9.0])
    metrics = regression_metrics(y, y)
    assert metrics["ci"] == 1.0 and metrics["mse"] == 0.0
    assert metrics["pearson"] == pytest.approx(1.0) and metrics["spearman"] == pytest.approx(1.0)
    assert metrics["rm2"] == pytest.approx(1.0)
    assert rm2(y, y + 0.5) < 1.0
    with pytest.raises(ValueError, match="differ in length"):
        regression_metrics([1, 2], [1, 2, 3])
    with pytest.raises(ValueError, match="finite"):
        regression_metrics([1, np.nan], [1, 2])


def test_classification_metrics_from_sklearn():
    metrics = classification_metrics([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    assert metrics["auroc"] == pytest.approx(0.75)
    assert metrics["auprc"] == pytest.approx(0.8333333, abs=1e-6)
    assert metrics["accuracy"] == pytest.approx(0.75)
    with pytest.raises(ValueError, match="0 or 1"):
        classification_metrics([0, 2], [0.1, 0.2])


def test_spread_calibration_on_known_errors():
    from apps.drug_target.metrics import spread_calibration

    rng = np.random.default_rng(0)
    spread = rng.uniform(0.1, 2.0, 20000)
    y_pred = rng.normal(size=spread.size)
    calibrated = spread_calibration(y_pred + rng.normal(size=spread.size) * spread, y_pred, spread, bins=4)
    assert calibrated["within_1_spread"] == pytest.approx(0.683, abs=0.01)   # normal errors of the spread's size
    assert calibrated["within_2_spreads"] == pytest.approx(0.954, abs=0.01)
    assert calibrated["spearman_spread_error"] > 0.3
    rmse = [b["rmse"] for b in calibrated["bins"]]
    assert rmse == sorted(rmse) and [b["pairs"] for b in calibrated["bins"]] == [5000] * 4
    for b in calibrated["bins"]:
        assert b["rmse"] == pytest.approx(b["mean_spread"], rel=0.1)
    blind = spread_calibration(y_pred + rng.normal(size=spread.size), y_pred, spread, bins=4)  # spread says nothing
    assert abs(blind["spearman_spread_error"]) < 0.03
    with pytest.raises(ValueError, match="The 'bins' parameter of spread_calibration must be in"):
        spread_calibration([1.0, 2.0], [1.0, 2.0], [0.1, 0.1], bins=3)


def test_spread_scale_widens_a_too_narrow_spread_to_the_errors():
    from apps.drug_target.metrics import spread_calibration, spread_scale

    rng = np.random.default_rng(1)
    spread = rng.uniform(0.1, 2.0, 20000)
    y_pred = rng.normal(size=spread.size)
    y_true = y_pred + rng.normal(size=spread.size) * 3 * spread   # errors three times the spread
    scale = spread_scale(y_true, y_pred, spread)
    assert scale == pytest.approx(3.0, rel=0.03)
    assert spread_calibration(y_true, y_pred, scale * spread)["within_1_spread"] == pytest.approx(0.683, abs=0.001)
    assert spread_scale(y_true, y_pred, spread, coverage=0.954) == pytest.approx(6.0, rel=0.05)
    # known values: errors 1, 2, 3, 4 with spread 1 -> the 50% factor is the second error's
    assert spread_scale([1, 2, 3, 4], [0, 0, 0, 0], [1, 1, 1, 1], coverage=0.5) == 2.0
    assert spread_scale([0, 0, 1], [0, 0, 0], [0, 0, 1], coverage=0.5) == 0.0   # no error, no spread: covered


def test_spread_scale_rejects_bad_input():
    from apps.drug_target.metrics import spread_scale

    with pytest.raises(ValueError, match=r"The 'coverage' parameter of spread_scale must be in \(0, 1\); got 1.5"):
        spread_scale([1.0], [0.0], [1.0], coverage=1.5)
    with pytest.raises(ValueError, match="The 'spread' parameter of spread_scale must be >= 0 everywhere; got 1"):
        spread_scale([1.0, 2.0], [0.0, 0.0], [1.0, -1.0])
    with pytest.raises(ValueError, match="have an error but no spread"):
        spread_scale([1.0, 2.0, 3.0], [0.0, 0.0, 0.0], [0.0, 0.0, 1.0])

