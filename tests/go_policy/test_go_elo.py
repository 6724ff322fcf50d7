"""Elo-style ratings of the preset stages from their saved games: the formulas on known values."""

import math

import pytest

from benchmarks import go_elo


def test_elo_of_a_win_rate_is_the_logistic_difference():
    assert go_elo.elo(0.5) == 0.0
    assert go_elo.elo(10 / 11) == pytest.approx(400.0)          # 10 wins a loss: +400
    assert go_elo.elo(0.24) == pytest.approx(-go_elo.elo(0.76))
    assert go_elo.elo(0.0) is None and go_elo.elo(1.0) is None  # infinite: no finite rating


def test_rating_carries_the_wilson_interval_through_the_same_formula():
    from apps.go_policy.play.match import wilson_interval

    verdicts = {1: True, 2: False, 3: True, 4: True, 5: True, 6: False}
    rated = go_elo.rating(verdicts)
    assert (rated["games"], rated["wins"]) == (6, 4)
    assert rated["elo"] == pytest.approx(400 * math.log10(2))
    low, high = wilson_interval(4, 6)
    assert rated["elo_ci95"] == [pytest.approx(go_elo.elo(low)), pytest.approx(go_elo.elo(high))]
    assert rated["elo_ci95"][0] < rated["elo"] < rated["elo_ci95"][1]


def test_paired_difference_counts_only_the_games_one_side_won():
    later = {1: True, 2: True, 3: True, 4: False, 5: True, 9: True}
    earlier = {1: True, 2: False, 3: False, 4: True, 5: False, 7: False}
    paired = go_elo.paired_difference(later, earlier)
    assert paired["paired_games"] == 5 and (paired["won_only_by_this"], paired["won_only_by_other"]) == (3, 1)
    assert paired["elo_difference"] == pytest.approx(400 * math.log10(3))
    low, high = paired["elo_difference_ci95"]
    assert low < paired["elo_difference"] < high
    tied = go_elo.paired_difference({1: True, 2: False}, {1: True, 2: False})
    assert tied["elo_difference"] == 0.0 and tied["elo_difference_ci95"] == [None, None]


def test_the_committed_record_rates_every_set_up():
    from benchmarks.report import result

    metrics = result("go_elo")["metrics"]
    for name, _ in go_elo.SETUPS:
        entry = metrics[name]
        assert entry["games"] >= 32 and 0 < entry["wins"] < entry["games"]
        assert entry["elo"] == pytest.approx(go_elo.elo(entry["wins"] / entry["games"]))
