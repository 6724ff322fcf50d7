"""The Go presets in the registry: loading by name, ``--model NAME``, the packing hooks, the training records."""

import io
import json

import numpy as np
import pytest

from apps.go_policy import presets as go_presets
from apps.go_policy.cli import main
from apps.go_policy.model.network import PolicyNetwork
from shared import presets
from tests.testing import register_preset, run_cli

HELD_OUT = "cwi_pro_19x19_part12.tar.gz"
FIRST_GAME = f"{HELD_OUT}:AJ1st/01/9.sgf"
FIRST_GAME_MOVES = ["C9", "E10", "L12", "T17", "O8"]  # the professionals' moves 20, 43, 72, 100 and 131


@pytest.fixture
def tiny_preset(tiny_model, tmp_path, monkeypatch):
    """A 2-layer network packed as preset ``go_tiny_test`` in a registered temporary folder."""
    folder = tmp_path / "presets"
    tiny_model.save(tmp_path / "tiny.keras")
    recipe = go_presets.RECIPES["policy_small"]
    register_preset(tmp_path / "tiny.keras", folder, monkeypatch, "go_tiny_test", "go",
                    **{key: recipe[key] for key in ("task", "module", "input", "output", "dataset")})
    return folder / "go_tiny_test.keras"


def test_shipped_presets_load_by_name_as_policy_networks():
    model = PolicyNetwork.from_preset("policy_small")
    assert isinstance(model, PolicyNetwork)
    assert (model.depth, model.filters, model.num_planes) == (6, 32, 22)
    loaded = go_presets.preset_path("policy_small")
    from apps.go_policy.play.engine import load_policy

    for by_name, by_path in zip(load_policy("policy_small").get_weights(), load_policy(loaded).get_weights()):
        np.testing.assert_array_equal(by_name, by_path)
    assert all(presets.preset_metadata(name)["weights_dtype"] == "float32" for name in go_presets.PRESETS)
    assert all(path.stat().st_size <= presets.MAX_PLAIN_BYTES for path in go_presets.PRESETS.values())


def test_recorded_examples_are_held_out_positions_the_preset_predicts_again(data_available):
    record = presets.preset_metadata("policy_small")
    assert [example["input"]["source"] for example in record["examples"]] == [FIRST_GAME] * 5
    assert [example["input"]["move_number"] for example in record["examples"]] == list(go_presets.EXAMPLE_MOVES)
    assert [example["label"] for example in record["examples"]] == FIRST_GAME_MOVES
    model = presets.load_preset("policy_small")
    assert [go_presets.predict_example(model, example) for example in record["examples"]] == [
        example["prediction"] for example in record["examples"]]


def test_go_commands_take_a_preset_name_for_model(data_available, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CNNKIT_CACHE", str(tmp_path / "cache"))
    code, out, err = run_cli(main, ["evaluate", "--model", "policy_small", "--sgf",
                                    data_available / "go" / "cwi_pro" / HELD_OUT, "--max-games", "1",
                                    "--max-positions", "60", "--workers", "1", "--json"], capsys)
    assert code == 0, err
    metrics = json.loads(out.strip().splitlines()[-1])
    assert metrics["model"] == "policy_small" and metrics["positions"] == 60
    monkeypatch.setattr("sys.stdin", io.StringIO("boardsize 9\ngenmove b\nquit\n"))
    code, out, _ = run_cli(main, ["gtp", "--model", "policy_small", "--symmetries", "1"], capsys)
    assert code == 0 and out.startswith("=\n\n= ") and len(out.split("\n\n")[1]) > 2  # "= E5"-like vertex


def test_help_says_model_takes_a_preset_name(capsys):
    with pytest.raises(SystemExit):
        main(["gtp", "--help"])
    assert "a .keras file or a preset name" in " ".join(capsys.readouterr().out.split())


def test_unknown_and_damaged_presets_are_named(tiny_preset, monkeypatch, capsys):
    code, _, err = run_cli(main, ["gtp", "--model", "no_such_net"], capsys)
    assert code == 2
    assert "--model no_such_net: no such file, and not a preset name" in err and "policy_small" in err
    assert isinstance(PolicyNetwork.from_preset("go_tiny_test"), PolicyNetwork)
    monkeypatch.setattr("sys.stdin", io.StringIO("boardsize 9\ngenmove b\nquit\n"))
    assert run_cli(main, ["gtp", "--model", "go_tiny_test", "--symmetries", "1"], capsys)[0] == 0

    with open(tiny_preset, "ab") as handle:
        handle.write(b"x")
    code, _, err = run_cli(main, ["gtp", "--model", "go_tiny_test"], capsys)
    assert code == 2 and "Preset 'go_tiny_test' is damaged" in err
    with pytest.raises(presets.PresetError, match="'go_tiny_test' is damaged"):
        PolicyNetwork.from_preset("go_tiny_test")


def test_hooks_score_and_pick_real_held_out_positions(data_available, tiny_model, monkeypatch):
    from apps.go_policy.rules.records import read_games

    monkeypatch.setattr(go_presets, "SCORE_GAMES", 2)
    metrics = go_presets.score(tiny_model, "go_pro")
    games = list(read_games(data_available / "go" / "cwi_pro" / HELD_OUT, max_games=2))
    assert metrics["test_positions"] == sum(point is not None for game in games for _, point in game.moves)
    assert 0.0 <= metrics["test_top1_accuracy"] <= metrics["test_top5_accuracy"] <= 1.0
    assert set(metrics) == set(go_presets.RECIPES["policy_large"]["benchmark_metrics"])

    examples = go_presets.pick_examples(tiny_model, "go_pro", count=3)
    assert [e["input"]["move_number"] for e in examples] == list(go_presets.EXAMPLE_MOVES[:3])
    assert [e["label"] for e in examples] == FIRST_GAME_MOVES[:3]
    assert [e["input"]["to_play"] for e in examples] == ["white", "black", "white"]  # moves 20, 43, 72
    for example in examples:
        assert json.loads(json.dumps(example)) == example
        assert go_presets.predict_example(tiny_model, example) == example["prediction"]

    with pytest.raises(ValueError, match="'go_pro'"):
        go_presets.score(tiny_model, "mr")
    with pytest.raises(ValueError, match="'ARCHIVE:GAME.sgf'"):
        go_presets.predict_example(tiny_model, {"input": {"source": "AJ1st/01/9.sgf", "move_number": 20}})
    with pytest.raises(ValueError, match="no stone played at move 999"):
        go_presets.predict_example(tiny_model, {"input": {"source": FIRST_GAME, "move_number": 999}})


def test_training_records_are_read_from_the_metadata():
    for name in go_presets.PRESETS:
        metadata, training = presets.preset_metadata(name), go_presets.preset_record(name)
        assert training == metadata["training"] and training["parameters"] == metadata["parameters"]
        # the benchmark figures of the metadata are the held-out accuracy go_accuracy wrote into the record
        held_out = training["measured_accuracy_held_out"]
        assert metadata["benchmark_metrics"]["test_top1_accuracy"] == held_out["top1"]
        assert metadata["benchmark_metrics"]["test_positions"] == held_out["positions"]
    assert go_presets.preset_record()["depth"] == 12  # the default preset: policy_large


def test_training_record_readers_and_writer_take_old_and_packed_files(tmp_path):
    flat, packed = tmp_path / "flat.keras", tmp_path / "packed.keras"
    flat.with_suffix(".json").write_text(json.dumps({"depth": 3}))
    packed.with_suffix(".json").write_text(json.dumps({"name": "packed", "sha256": "abc", "training": {"depth": 3}}))
    assert go_presets.preset_record(flat) == go_presets.preset_record(packed) == {"depth": 3}
    go_presets.update_preset_record(packed, measured_accuracy_held_out={"top1": 0.5})
    go_presets.update_preset_record(flat, measured_accuracy_held_out={"top1": 0.5})
    assert json.loads(packed.with_suffix(".json").read_text()) == {
        "name": "packed", "sha256": "abc", "training": {"depth": 3, "measured_accuracy_held_out": {"top1": 0.5}}}
    assert go_presets.preset_record(flat) == {"depth": 3, "measured_accuracy_held_out": {"top1": 0.5}}


def test_benchmark_readers_of_the_training_records():
    from benchmarks import go_soup
    from benchmarks.go_common import preset_line
    from benchmarks.tables.go_policy import presets as presets_table

    held_out = go_presets.preset_record("policy_large")["measured_accuracy_held_out"]
    assert f"12x96, {100 * held_out['top1']:.1f}% held-out top-1" in preset_line()
    table = presets_table()
    assert "| `policy_small` | 6x32 | 63,905 |" in table and "| `policy_large` | 12x96 | 966,433 |" in table
    ingredient = go_soup.ingredient_record(go_presets.preset_path("policy_medium"))
    assert ingredient["command"].startswith("CNNKIT_DATA=../shared/data cnnkit go train")
    assert ingredient["measured_accuracy_held_out"]["positions"] == 41794
