"""The inference commands of every app on ONNX Runtime (``--runtime onnx``): the same answers as
with Keras on real inputs, and neither Keras nor TensorFlow imported (``shared.runtime``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from tests.testing import run_cli

ROOT = Path(__file__).resolve().parent.parent
PRESETS = ("mnist_convnet", "kim_rand_trec", "deepdta_davis", "shot_detector", "policy_small")
pytestmark = pytest.mark.skipif(keras.backend.backend() != "tensorflow",
                                reason="the presets are exported to ONNX with TensorFlow")

# Runs one command in a fresh interpreter and reports which heavy modules it imported.
PROBE = """
import json, sys
from apps.cli import main
code = main(sys.argv[1:])
sys.stdout.flush()
heavy = sorted(m for m in ("keras", "tensorflow", "jax", "torch") if m in sys.modules)
print("PROBE " + json.dumps({"code": code, "heavy": heavy}))
"""


@pytest.fixture(scope="module")
def exported(tmp_path_factory, data_available):
    """A cache holding the ONNX exports of the presets these tests run."""
    from apps.presets_cli import export_preset

    cache = tmp_path_factory.mktemp("cache")
    previous = os.environ.get("CNNKIT_CACHE")
    os.environ["CNNKIT_CACHE"] = str(cache)
    try:
        for name in PRESETS:
            export_preset(name)
    finally:
        if previous is None:
            os.environ.pop("CNNKIT_CACHE")
        else:
            os.environ["CNNKIT_CACHE"] = previous
    return cache


@pytest.fixture
def use_cache(exported, monkeypatch):
    monkeypatch.setenv("CNNKIT_CACHE", str(exported))
    return exported


def light(argv, cache, stdin=None):
    """``cnnkit ARGV --runtime onnx`` in a fresh interpreter: ``(stdout without the probe line, heavy modules)``."""
    env = {**os.environ, "CNNKIT_CACHE": str(cache), "PYTHONPATH": str(ROOT)}
    env.pop("CNNKIT_RUNTIME", None)
    done = subprocess.run([sys.executable, "-c", PROBE, *map(str, argv), "--runtime", "onnx"], input=stdin,
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    lines = done.stdout.splitlines()
    assert lines and lines[-1].startswith("PROBE "), done.stderr
    probe = json.loads(lines[-1][len("PROBE "):])
    assert probe["code"] == 0, done.stderr
    return "\n".join(lines[:-1]), probe["heavy"]


def test_text_predict(use_cache, capsys):
    from apps.text_classification.cli import main

    argv = ["text", "predict", "--model", "kim_rand_trec", "How far is it from Denver to Aspen ?",
            "Who wrote Hamlet ?", "What is the capital of France ?"]
    out, heavy = light(argv, use_cache)
    assert heavy == []
    code, expected, err = run_cli(main, [*argv[1:], "--runtime", "keras"], capsys)
    assert code == 0, err
    assert [line.split("\t")[0] for line in out.splitlines()] == ["NUM", "HUM", "LOC"]
    assert [line.split("\t")[0] for line in out.splitlines()] == [line.split("\t")[0] for line in expected.splitlines()]


def test_image_predict(use_cache, capsys, tmp_path):
    import cv2

    from apps.image_recognition.cli import main
    from apps.image_recognition.data import load_mnist

    data = load_mnist(limit=20, test_limit=20)
    files = []
    for index, image in enumerate(data.x_test[:6]):
        files.append(tmp_path / f"digit{index}_{int(data.y_test[index])}.png")
        cv2.imwrite(str(files[-1]), image)
    argv = ["image", "predict", "--model", "mnist_convnet", "--format", "csv", *files]
    out, heavy = light(argv, use_cache)
    assert heavy == []
    code, expected, err = run_cli(main, [*argv[1:], "--runtime", "keras"], capsys)
    assert code == 0, err
    rows = [line.split(",") for line in out.splitlines()[1:]]
    assert [row[1] for row in rows] == [f.stem.split("_")[1] for f in files]  # the true digits
    keras_rows = [line.split(",") for line in expected.splitlines()[1:]]
    assert [row[1] for row in rows] == [row[1] for row in keras_rows]
    np.testing.assert_allclose([float(r[2]) for r in rows], [float(r[2]) for r in keras_rows], atol=1e-3)


def test_dta_predict(use_cache, capsys, tmp_path, data_available):
    from apps.drug_target.cli import main

    proteins = json.loads((data_available / "dta" / "davis" / "proteins.txt").read_text())
    ligands = json.loads((data_available / "dta" / "davis" / "ligands_can.txt").read_text())
    sequences, smiles = list(proteins.values())[:3], list(ligands.values())[:2]
    pairs = tmp_path / "pairs.csv"
    pairs.write_text("smiles,sequence\n" + "".join(f"{s},{p}\n" for s in smiles for p in sequences)
                     + "not-a-smiles,MKV\n")
    _, heavy = light(["dta", "predict", "--model", "deepdta_davis", "--pairs", pairs, "--out", tmp_path / "onnx.csv",
                      "--batch-size", "4"], use_cache)
    assert heavy == []
    code, _, err = run_cli(main, ["predict", "--model", "deepdta_davis", "--pairs", pairs, "--out",
                                  tmp_path / "keras.csv", "--runtime", "keras"], capsys)
    assert code == 0, err
    import pandas as pd

    fast, slow = pd.read_csv(tmp_path / "onnx.csv"), pd.read_csv(tmp_path / "keras.csv")
    assert len(fast) == 7 and fast["prediction"].isna().tolist() == [False] * 6 + [True]
    assert fast["error"].fillna("").tolist() == slow["error"].fillna("").tolist()
    np.testing.assert_allclose(fast["prediction"][:6], slow["prediction"][:6], rtol=1e-4)


def test_video_shots(use_cache, capsys, data_available):
    from apps.video_analysis.cli import main

    clip = data_available / "video" / "bikes_scene_cuts.mp4"
    out, heavy = light(["video", "shots", clip, "--format", "csv"], use_cache)
    assert heavy == []
    code, expected, err = run_cli(main, ["shots", clip, "--format", "csv", "--runtime", "keras"], capsys)
    assert code == 0, err

    def boundaries(text):
        return [line.split(",")[1:4] for line in text.splitlines() if ",hard_cut," in line or ",shot," in line]

    assert boundaries(out) == boundaries(expected)
    assert len([b for b in boundaries(out) if b[0] == "hard_cut"]) == 5  # the clip's five hand-checked cuts


def test_go_gtp_and_the_engine(use_cache):
    from apps.go_policy.play.engine import PolicyEngine, load_policy
    from apps.go_policy.rules.board import Board, gtp_to_point
    from shared.presets import preset_file
    from shared.runtime import open_exported

    out, heavy = light(["go", "gtp", "--model", "policy_small"], use_cache,
                       stdin="name\nboardsize 9\nplay b E5\ngenmove w\nquit\n")
    assert heavy == []
    replies = [line for line in out.splitlines() if line.startswith("=")]
    assert replies[0] == "= cnnkit-go" and len(replies) == 5
    move = replies[3][2:]
    assert move != "E5" and move[0] in "ABCDEFGHJ" and 1 <= int(move[1:]) <= 9
    path = preset_file("policy_small")
    board = Board(9)
    board.play(gtp_to_point("E5", 9))
    fast = PolicyEngine(open_exported(path, "onnx"), symmetries=8).probabilities(board)
    slow = PolicyEngine(load_policy(path), symmetries=8).probabilities(board)
    np.testing.assert_allclose(fast, slow, atol=1e-5)


def test_runtime_onnx_without_an_export_says_how_to_make_one(tmp_path, capsys, monkeypatch):
    from apps.text_classification.cli import main

    monkeypatch.setenv("CNNKIT_CACHE", str(tmp_path / "empty_cache"))
    code, _, err = run_cli(main, ["predict", "--model", "kim_rand_trec", "--runtime", "onnx", "Who wrote Hamlet ?"],
                           capsys)
    assert code == 2
    assert "has no ONNX export yet; make it with `cnnkit presets --export NAME`" in err


@pytest.mark.parametrize("app, preset, graphs", [("text", "kim_rand_trec", 1), ("dta", "deepdta_davis", 1),
                                                 ("video", "shot_detector", 2), ("go", "policy_small", 1)])
def test_export_command(app, preset, graphs, tmp_path, capsys, monkeypatch):
    """`cnnkit <app> export --model M --out DIR`: the same command in every app; the export lands in the
    cache the inference commands read, and a copy in --out."""
    import importlib

    from apps.cli import APPS
    from shared.presets import preset_file
    from shared.runtime import exported_path
    from tests.testing import cli_json

    monkeypatch.setenv("CNNKIT_CACHE", str(tmp_path / "cache"))
    main = importlib.import_module(f"apps.{APPS[app][0]}.cli").main
    result = cli_json(main, ["export", "--model", preset, "--out", tmp_path / "copy"], capsys)
    copies = sorted((tmp_path / "copy").glob("*.onnx"))
    assert len(copies) == graphs
    if graphs == 1:
        assert result["onnx"] == str(exported_path(preset_file(preset)))
    else:
        assert set(result["onnx"]) == {"frame", "temporal"}
    code, _, err = run_cli(main, ["export", "--model", "mnist_convnet"], capsys)
    assert code == 2 and f"is a preset of the image app; cnnkit {app} takes" in err
