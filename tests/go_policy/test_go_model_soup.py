"""Policy-network soups: networks with nested input planes average into one that loads and plays."""

import numpy as np
import pytest

from apps.go_policy.model.features import FeatureEncoder
from apps.go_policy.model.network import build_policy_network, extend_input_planes
from apps.go_policy.model.soup import average_policy_networks
from apps.go_policy.play.engine import load_policy
from apps.go_policy.rules.board import Board
from tests.testing import run_model_saving_test


def perturbed(model, seed):
    rng = np.random.default_rng(seed)
    copy = extend_input_planes(model, model.features)
    copy.set_weights([w + rng.normal(scale=0.05, size=w.shape).astype(w.dtype) for w in model.get_weights()])
    return copy


def test_soup_of_small_and_full_plane_networks_reads_the_full_planes(tiny_model, tmp_path):
    small = perturbed(tiny_model, 1)
    full = perturbed(extend_input_planes(tiny_model, "full"), 2)
    soup = average_policy_networks([small, full])
    assert soup.features == FeatureEncoder("full").groups and soup.num_planes == 47
    # the soup's weights are the mean of the full network's and the small one's extended with zeros
    extended = extend_input_planes(small, "full")
    for mean, mine, theirs in zip(soup.get_weights(), extended.get_weights(), full.get_weights()):
        np.testing.assert_allclose(mean, (mine + theirs) / 2, rtol=1e-5, atol=1e-7)
    # the inputs are left as they were
    assert small.num_planes == 22
    board = Board(19)
    for point in (60, 61, 80):
        board.play(point)
    planes = FeatureEncoder("full").encode(board)[None].astype("float32")
    loaded = run_model_saving_test(soup, planes, tmp_path, name="soup.keras")
    assert loaded.features == soup.features


def test_soup_refuses_networks_whose_planes_do_not_nest_or_a_lone_network(tiny_model):
    minimal_only = build_policy_network(["stone_color", "ones", "zeros"], depth=2, filters=4)
    with pytest.raises(ValueError, match=r"plane groups \['zeros'\] that model 0"):
        average_policy_networks([tiny_model, minimal_only])
    with pytest.raises(ValueError, match="two or more policy networks, got 1"):
        average_policy_networks([tiny_model])


def test_go_soup_script_writes_a_run_that_go_preset_can_package(tiny_model, tmp_path):
    import json

    from benchmarks import go_soup
    parent, child = tmp_path / "parent.keras", tmp_path / "child" / "policy.keras"
    tiny_model.save(parent)
    child.parent.mkdir()
    perturbed(tiny_model, 3).save(child)
    (child.parent / "summary.json").write_text(json.dumps(
        {"command": "cnnkit go train --init-model parent.keras", "train_seconds": 60.0,
         "train_positions_seen_this_run": 1000}))
    assert go_soup.main(["--models", str(parent), str(child), "--out", str(tmp_path / "soup")]) == 0
    summary = json.loads((tmp_path / "soup" / "summary.json").read_text())
    assert summary["planes"] == 22 and summary["train_seconds"] == 60.0
    assert summary["train_positions_seen_this_run"] == 1000
    assert [item["record"] for item in summary["soup"]["ingredients"]] == [None, str(child.parent / "summary.json")]
    soup = load_policy(tmp_path / "soup" / "policy.keras")
    for mean, mine, theirs in zip(soup.get_weights(), tiny_model.get_weights(), load_policy(child).get_weights()):
        np.testing.assert_allclose(mean, (mine + theirs) / 2, rtol=1e-5, atol=1e-7)
    with pytest.raises(SystemExit):
        go_soup.main(["--models", str(parent), "--out", str(tmp_path / "one")])
