"""The command line end to end on small slices of the real data."""

import json

import pytest

from apps.go_policy.cli import main
from tests.testing import cli_json, run_cli


def last_json(capsys):
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_train_then_evaluate_json(small_sgf_folder, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CNNKIT_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "run"
    code = main(["train", "--sgf", str(small_sgf_folder), "--out", str(out), "--depth", "2", "--filters", "4",
                 "--epochs", "1", "--steps-per-epoch", "2", "--batch-size", "32", "--workers", "1",
                 "--max-minutes", "30", "--anneal", "--ema-momentum", "0.9", "--json"])
    assert code == 0
    summary = last_json(capsys)
    assert summary["anneal_over_time_budget"] is True and not summary["stopped_by_time_budget"]
    assert summary["ema_momentum"] == 0.9
    assert summary["dataset"]["games_used"] == 4
    assert summary["dataset"]["skipped_by_reason"]["malformed sgf"] == 1
    assert summary["train_positions_seen_this_run"] == 64
    assert (out / "policy.keras").exists() and (out / "training_log.csv").exists()

    code = main(["evaluate", "--model", str(out / "policy.keras"), "--sgf", str(small_sgf_folder),
                 "--max-games", "3", "--workers", "1", "--json"])
    assert code == 0
    metrics = last_json(capsys)
    assert 0.0 <= metrics["top1"] <= metrics["top5"] <= 1.0
    low, high = metrics["top1_ci95"]
    assert low <= metrics["top1"] <= high
    assert set(metrics["by_phase"]) <= {"opening", "middlegame", "endgame"}
    assert metrics["by_phase"]["opening"]["positions"] > 0
    assert metrics["games"]["games_read"] == 3


def _continue_training(model, sgf_folder, out, monkeypatch, *options) -> int:
    """``cnnkit go train --init-model`` (``model`` saved beside ``out``) for 2 tiny steps; its exit code."""
    monkeypatch.setenv("CNNKIT_CACHE", str(out.parent / "cache"))
    start = out.parent / "start.keras"
    model.save(start)
    return main(["train", "--sgf", str(sgf_folder), "--out", str(out), "--init-model", str(start), *options,
                 "--epochs", "1", "--steps-per-epoch", "2", "--batch-size", "32", "--workers", "1", "--json"])


def test_continue_training_a_model_in_mixed_precision_on_later_games(small_sgf_folder, tiny_model, tmp_path,
                                                                       monkeypatch, capsys):
    import numpy as np

    from apps.go_policy.play.engine import load_policy

    out = tmp_path / "continued"
    code = _continue_training(tiny_model, small_sgf_folder, out, monkeypatch, "--mixed-precision", "--skip-games",
                              "1", "--depth", "9", "--filters", "99", "--learning-rate", "0")
    assert code == 0
    summary = last_json(capsys)
    assert (summary["depth"], summary["filters"], summary["parameters"]) == (2, 4, tiny_model.count_params())
    assert summary["dtype_policy_while_training"].startswith("mixed_")
    assert summary["skip_games"] == 1
    assert summary["dataset"]["games_read"] == 5 and summary["dataset"]["games_used"] == 3
    continued = load_policy(out / "policy.keras")
    assert {layer.dtype_policy.name for layer in continued.backbone.layers} == {"float32"}
    x = np.random.default_rng(3).integers(0, 2, (2, 19, 19, 22)).astype("float32")
    # learning rate 0: the saved weights are the initial model's, through the bfloat16 round trip unchanged
    np.testing.assert_array_equal(continued.predict(x, verbose=0), tiny_model.predict(x, verbose=0))


def test_continue_training_on_more_planes_extends_the_models_input(small_sgf_folder, tiny_model, tmp_path,
                                                                     monkeypatch, capsys):
    from apps.go_policy.play.engine import load_policy

    out = tmp_path / "full"
    code = _continue_training(tiny_model, small_sgf_folder, out, monkeypatch, "--features", "full")
    assert code == 0
    summary = last_json(capsys)
    assert summary["planes"] == 47 and summary["features"] == load_policy(out / "policy.keras").features
    assert summary["parameters"] == tiny_model.count_params() + 25 * 25 * 4


def test_train_refuses_an_ema_momentum_outside_zero_one_before_encoding(small_sgf_folder, tmp_path, monkeypatch,
                                                                        capsys):
    monkeypatch.setenv("CNNKIT_CACHE", str(tmp_path / "cache"))
    code = main(["train", "--sgf", str(small_sgf_folder), "--out", str(tmp_path / "run"), "--ema-momentum", "1.5"])
    assert code == 2
    assert "ema_momentum must be between 0 and 1" in capsys.readouterr().err
    assert not (tmp_path / "cache").exists()


def test_evaluate_shipped_preset_on_a_held_out_shard_slice(data_available, capsys):
    from apps.go_policy.presets import DEFAULT_PRESET

    if not DEFAULT_PRESET.exists():
        pytest.skip("no preset shipped yet")
    shard = data_available / "go" / "cwi_pro" / "cwi_pro_19x19_part12.tar.gz"
    assert main(["evaluate", "--sgf", str(shard), "--max-games", "4", "--max-positions", "400",
                 "--workers", "1", "--json"]) == 0
    metrics = last_json(capsys)
    assert metrics["positions"] == 400 and metrics["symmetries"] == 1
    assert metrics["top1"] > 0.3  # far better than chance (1/361)
    assert main(["evaluate", "--sgf", str(shard), "--max-games", "4", "--max-positions", "400",
                 "--workers", "1", "--symmetries", "8", "--json"]) == 0
    averaged = last_json(capsys)
    assert averaged["symmetries"] == 8 and averaged["positions"] == 400 and averaged["top1"] > 0.3


def test_bench_json_and_table(capsys):
    assert main(["bench", "--size", "9", "--moves", "500", "--json"]) == 0
    assert last_json(capsys)["moves_per_s"] > 100
    code, out, _ = run_cli(main, ["bench", "--size", "9", "--moves", "500"], capsys)
    assert code == 0
    rows = dict(line.split(maxsplit=1) for line in out.strip().splitlines())
    assert rows["size"] == "9" and rows["moves"] == "500" and float(rows["moves_per_s"]) > 100


def test_train_records_its_command_line(small_sgf_folder, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CNNKIT_CACHE", str(tmp_path / "cache"))
    argv = ["train", "--sgf", small_sgf_folder, "--out", tmp_path / "run", "--depth", "1", "--filters", "2",
            "--epochs", "1", "--steps-per-epoch", "1", "--batch-size", "8", "--workers", "1"]
    summary = cli_json(main, argv, capsys)
    assert summary["command"] == "cnnkit go " + " ".join(map(str, argv + ["--json"]))
    assert summary["seconds"] > 0


def test_errors_name_the_bad_input(tmp_path, capsys):
    assert main(["evaluate", "--sgf", str(tmp_path / "missing.zip"), "--model", str(tmp_path / "m.keras")]) == 2
    assert "m.keras" in capsys.readouterr().err
    bad = tmp_path / "games.rar"
    bad.write_bytes(b"x")
    assert main(["encode", "--sgf", str(bad)]) == 2
    assert "games.rar" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    assert "--seed" in capsys.readouterr().out


def test_playing_commands_average_eight_symmetries_and_evaluate_scores_the_raw_network():
    from apps.go_policy.cli import build_parser

    parser = build_parser()
    assert parser.parse_args(["gtp"]).symmetries == 8
    assert parser.parse_args(["match"]).symmetries == 8
    assert parser.parse_args(["evaluate", "--sgf", "x.zip"]).symmetries == 1
    assert parser.parse_args(["gtp", "--symmetries", "1"]).symmetries == 1
    with pytest.raises(SystemExit):
        parser.parse_args(["gtp", "--symmetries", "9"])


def test_size_scores_and_trains_on_small_boards_and_the_19x19_default_says_so(data_available, tmp_path, monkeypatch,
                                                                             capsys):
    # The fully convolutional network takes any board: --size picks the games of that size.
    from apps.go_policy.play.engine import load_policy
    from apps.go_policy.presets import DEFAULT_PRESET

    monkeypatch.setenv("CNNKIT_CACHE", str(tmp_path / "cache"))
    archive = data_available / "go" / "cwi_pro_small_boards" / "cwi_9x9_13x13.tar.gz"
    assert main(["evaluate", "--sgf", str(archive), "--max-games", "30", "--workers", "1", "--json"]) == 2
    error = capsys.readouterr().err
    assert "no 19x19 positions" in error and "unsupported board size 30" in error and "--size" in error

    assert main(["evaluate", "--sgf", str(archive), "--size", "9", "--max-games", "30", "--workers", "1",
                 "--json"]) == 0
    metrics = last_json(capsys)
    report = metrics["games"]
    assert report["games_read"] == 30 and report["games_used"] > 0
    assert report["games_used"] + report["skipped_by_reason"].get("unsupported board size", 0) == 30
    assert metrics["model"].endswith(DEFAULT_PRESET.name)
    assert metrics["top1"] > 0.3  # the 19x19 preset predicts 9x9 professional moves far above chance (1/81)

    out = tmp_path / "nine"
    assert main(["train", "--sgf", str(archive), "--size", "9", "--max-games", "30", "--out", str(out),
                 "--depth", "2", "--filters", "4", "--epochs", "1", "--steps-per-epoch", "2", "--batch-size", "16",
                 "--workers", "1", "--json"]) == 0
    summary = last_json(capsys)
    assert summary["dataset"]["games_used"] == report["games_used"]
    assert summary["train_positions_seen_this_run"] == 32
    assert load_policy(out / "policy.keras").board_size == 9
