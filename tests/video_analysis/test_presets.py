"""The shot_detector preset: loaded by name in Python and by `--model` (alias `--weights`), its hooks."""

import json

import keras
import pytest

import shared.presets as presets
from apps.video_analysis import presets as video_presets
from apps.video_analysis.cli import main
from apps.video_analysis.detectors import ShotDetector, is_shot_detector
from tests.testing import cli_json, run_cli

BIKES_CUTS = [30, 76, 137, 187, 242]  # shot_boundaries.csv


def test_the_preset_loads_by_name():
    record = presets.preset_metadata("shot_detector")
    assert record["app"] == "video" and record["file"] == "shot_detector.keras"
    assert set(record["metrics"]) == set(video_presets.RECIPES["shot_detector"]["benchmark_metrics"])
    model = presets.load_preset("shot_detector")
    assert is_shot_detector(model) and model.output_shape == (None, 64, 5)
    assert video_presets.preset_path() == presets.preset_file("shot_detector")


def test_shots_takes_the_preset_by_name_and_weights_is_an_alias(clip_file, capsys):
    clip = clip_file("bikes_scene_cuts.mp4")
    by_name = cli_json(main, ["shots", clip, "--model", "shot_detector"], capsys)
    assert [t["start_frame"] for t in by_name["transitions"]] == BIKES_CUTS
    alias = cli_json(main, ["shots", clip, "--weights", "shot_detector"], capsys)
    by_path = cli_json(main, ["shots", clip, "--model", presets.preset_file("shot_detector")], capsys)
    assert alias["transitions"] == by_path["transitions"] == by_name["transitions"]
    code, _, err = run_cli(main, ["shots", clip, "--model", "no_such_detector"], capsys)
    assert code == 2 and "--model no_such_detector: no such file, and not a preset name" in err


def test_embed_and_clip_commands_with_the_preset(clip_file, capsys):
    clip = clip_file("bikes_scene_cuts.mp4")
    default = cli_json(main, ["embed", clip, "--every", "25"], capsys)
    named = cli_json(main, ["embed", clip, "--every", "25", "--model", "shot_detector"], capsys)
    assert named["dimension"] == default["dimension"] and named["keyframes"] == default["keyframes"]
    code, _, err = run_cli(main, ["predict", clip, "--model", "shot_detector"], capsys)
    assert code == 2 and "is not a clip classifier" in err


def _register_copy(tmp_path, monkeypatch, name, app="video"):
    """A copy of the shipped preset, named ``name`` (of ``app``), in a registered folder."""
    monkeypatch.setattr(presets, "_EXTRA_FOLDERS", [])
    tmp_path.mkdir(exist_ok=True)
    weights = tmp_path / f"{name}.keras"
    weights.write_bytes(presets.preset_file("shot_detector").read_bytes())
    record = {**presets.preset_metadata("shot_detector"), "name": name, "app": app, "file": weights.name}
    record.pop("folder")
    presets.write_metadata(record, tmp_path)
    presets.register_folder(tmp_path)
    return weights


def test_a_damaged_or_foreign_preset_is_named(clip_file, tmp_path, monkeypatch, capsys):
    clip = clip_file("carphone_qcif.mp4")
    weights = _register_copy(tmp_path, monkeypatch, "detector_copy")
    assert ShotDetector("detector_copy").detect(clip).frame_count == 120
    weights.write_bytes(weights.read_bytes()[:-10] + b"0123456789")
    code, _, err = run_cli(main, ["shots", clip, "--model", "detector_copy"], capsys)
    assert code == 2 and "Preset 'detector_copy' is damaged" in err
    _register_copy(tmp_path / "other", monkeypatch, "text_thing", app="text")
    code, _, err = run_cli(main, ["shots", clip, "--weights", "text_thing"], capsys)
    assert code == 2 and "--model text_thing is a preset of the text app" in err
    with pytest.raises(ValueError, match="belongs to the text app"):
        ShotDetector("text_thing")


def test_hooks_score_and_recheck_the_real_clips(data_available):
    model = keras.saving.load_model(presets.preset_file("shot_detector"), compile=False)
    metrics = video_presets.score(model, "video_edits")
    assert set(metrics) == {"precision", "recall", "f1"} and all(0.0 <= v <= 1.0 for v in metrics.values())
    recorded = json.loads((video_presets.FOLDER / "shot_detector.json").read_text())["examples"]
    bikes = next(e for e in recorded if e["input"]["file"] == "bikes_scene_cuts.mp4")
    assert bikes["label"] == BIKES_CUTS
    assert video_presets.predict_example(model, bikes) == bikes["prediction"]
    with pytest.raises(ValueError, match="Unknown video preset dataset"):
        video_presets.pick_examples(model, "ucf101")
