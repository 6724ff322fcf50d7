import json

import cv2
import pytest

from apps.video_analysis.cli import main
from apps.video_analysis.presets import DEFAULT_PRESET, preset_path
from apps.video_analysis.reader import probe


def _json(capsys):
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_shipped_weights_exist_and_are_small():
    path = preset_path(DEFAULT_PRESET)
    assert path.is_file() and path.stat().st_size < 2_000_000


def test_shots_json_schema_and_contact_sheet(clip_file, tmp_path, capsys):
    sheet = tmp_path / "sheet.png"
    assert main(["shots", str(clip_file("bikes_scene_cuts.mp4")), "--json", "--thumbnails", str(sheet)]) == 0
    data = _json(capsys)
    cuts = [t["start_frame"] for t in data["transitions"] if t["type"] == "hard_cut"]
    assert sum(any(abs(c - true) <= 2 for c in cuts) for true in [30, 76, 137, 187, 242]) >= 4
    for t in data["transitions"]:
        assert {"start_frame", "end_frame", "type", "confidence"} <= set(t)
        if t["type"] == "hard_cut":
            assert t["start_frame"] == t["end_frame"]
    shots = data["shots"]
    assert shots[0]["start_frame"] == 0 and shots[-1]["end_frame"] == 249
    assert all(a["end_frame"] + 1 == b["start_frame"] for a, b in zip(shots[:-1], shots[1:]))
    image = cv2.imread(str(sheet))
    assert image is not None and image.shape[0] > 50


def test_embed_dedup_keyframes(clip_file, tmp_path, capsys):
    out = tmp_path / "emb.npz"
    assert main(["embed", str(clip_file("bikes_scene_cuts.mp4")), "--every", "10", "--keyframes", "3",
                 "--out", str(out), "--json"]) == 0
    data = _json(capsys)
    assert data["frames"] == 25 and 3 <= data["unique_frames"] <= 25 and len(data["keyframes"]) == 3
    import numpy as np

    arrays = np.load(out)
    assert arrays["embeddings"].shape == (25, data["dimension"])
    assert list(arrays["frame_index"][:3]) == [0, 10, 20]
    # a static clip collapses to very few unique frames
    assert main(["embed", str(clip_file("carphone_qcif.mp4")), "--every", "8", "--dedup-threshold", "0.9",
                 "--json"]) == 0
    assert _json(capsys)["unique_frames"] <= 3


def test_train_evaluate_predict_annotate(clip_file, tiny_videos, tmp_path, capsys):
    model = tmp_path / "clip.keras"
    assert main(["train", "--data", str(tiny_videos["folder"]), "--frames", "4", "--size", "16", "--arch", "3d",
                 "--epochs", "1", "--batch-size", "4", "--out", str(model), "--json"]) == 0
    captured = capsys.readouterr()
    trained = json.loads(captured.out.strip().splitlines()[-1])
    assert trained["classes"] == 2 and trained["skipped"] == 1 and model.is_file()
    # the unreadable video and the entry that is not a video are both named on stderr
    assert "broken.avi" in captured.err and f"ignored {tiny_videos['folder'] / 'dark' / 'notes.txt'}" in captured.err
    assert main(["evaluate", "--model", str(model), "--data", str(tiny_videos["folder"]), "--json",
                 "--out", str(tmp_path / "confusion.png")]) == 0
    evaluated = _json(capsys)
    assert evaluated["clips"] == 8 and len(evaluated["confusion_matrix"]) == 2
    assert (tmp_path / "confusion.png").is_file()
    assert main(["predict", str(tiny_videos["folder"] / "bright"), "--model", str(model), "--json"]) == 0
    predicted = _json(capsys)
    assert len(predicted["predictions"]) == 4 and predicted["predictions"][0]["label"] in ("bright", "dark")
    out = tmp_path / "annotated.mp4"
    assert main(["annotate", str(tiny_videos["short"]), "--out", str(out), "--model", str(model),
                 "--json"]) == 0
    annotated = _json(capsys)
    assert probe(out).frame_count == 12 and annotated["shot_labels"][0]["label"] in ("bright", "dark")


def test_moving_mnist_training_command(tmp_path, capsys, data_available):
    model = tmp_path / "mm.keras"
    assert main(["train", "--clips", "64", "--frames", "4", "--size", "24", "--epochs", "1", "--task", "motion",
                 "--arch", "3d", "--out", str(model), "--json"]) == 0
    assert _json(capsys)["classes"] == 4


@pytest.mark.parametrize("command", ["shots", "info", "embed", "annotate"])
def test_errors_name_the_file(command, tmp_path, capsys):
    missing = tmp_path / "missing_clip.mp4"
    assert main([command, str(missing)]) == 2
    assert "missing_clip.mp4" in capsys.readouterr().err


def test_single_frame_and_non_video(tiny_videos, tmp_path, capsys):
    assert main(["shots", str(tiny_videos["single"]), "--json"]) == 0
    data = _json(capsys)
    assert data["frame_count"] == 1 and data["shots"] == [
        {"start_frame": 0, "end_frame": 0, "start_time": 0.0, "end_time": 0.1}] and data["transitions"] == []
    bogus = tmp_path / "bogus.webm"
    bogus.write_text("definitely not a video")
    assert main(["shots", str(bogus)]) == 2
    assert "bogus.webm" in capsys.readouterr().err


def test_shots_of_several_files_one_json_line_each_and_failures_counted(clip_file, tmp_path, capsys):
    clips = [clip_file("carphone_qcif.mp4"), clip_file("big_buck_bunny_5s_720p.mp4")]
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"not a video at all")
    out = tmp_path / "shots.jsonl"
    code = main(["shots", *map(str, clips), str(junk), "--json", "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 0
    lines = [json.loads(line) for line in captured.out.strip().splitlines()]
    assert [line["video"] for line in lines[:-1]] == list(map(str, clips))
    assert all(line["frame_count"] > 100 and line["shots"] for line in lines[:-1])
    summary = lines[-1]
    assert summary["files"] == 3 and summary["processed"] == 2 and summary["failed"] == 1
    assert summary["failures"][0]["file"] == str(junk)
    assert f"skipped {junk}" in captured.err and "1 of 3 file(s) could not be read as video" in captured.err
    assert [json.loads(line) for line in out.read_text().splitlines()] == lines[:-1]


def test_shots_of_a_folder_as_csv_names_what_it_leaves_out(clip_file, tmp_path, capsys):
    folder = tmp_path / "clips"
    folder.mkdir()
    for name in ("carphone_qcif.mp4", "big_buck_bunny_5s_720p.mp4"):
        (folder / name).symlink_to(clip_file(name))
    (folder / "notes.txt").write_text("not a video")
    (folder / "broken.avi").write_bytes(b"\x00" * 64)
    code = main(["shots", str(folder), "--detector", "histogram", "--format", "csv"])
    captured = capsys.readouterr()
    assert code == 0
    rows = captured.out.strip().splitlines()
    assert rows[0] == "file,kind,start_frame,end_frame,start_time,end_time,confidence"
    files = [row.split(",")[0] for row in rows[1:]]
    assert sorted(set(files)) == [str(folder / "big_buck_bunny_5s_720p.mp4"), str(folder / "carphone_qcif.mp4")]
    assert files == sorted(files)  # the folder's videos in sorted order, each file's rows together
    assert f"ignored {folder / 'notes.txt'}: not a video file" in captured.err
    assert f"skipped {folder / 'broken.avi'}" in captured.err
    junk_only = tmp_path / "junk"
    junk_only.mkdir()
    (junk_only / "broken.mp4").write_bytes(b"nothing")
    assert main(["shots", str(junk_only), "--detector", "histogram"]) == 2
    assert "none of the 1 file(s) could be read as video" in capsys.readouterr().err


def test_help_for_every_command(capsys):
    for command in ["info", "shots", "embed", "train", "evaluate", "predict", "annotate", "train-shots"]:
        with pytest.raises(SystemExit) as exit_info:
            main([command, "--help"])
        assert exit_info.value.code == 0
        text = capsys.readouterr().out
        assert "--seed" in text and "--json" in text and "--out" in text


def test_bare_thumbnails_flag_writes_sheet_next_to_out(clip_file, tmp_path, capsys):
    out = tmp_path / "bikes.json"
    assert main(["shots", str(clip_file("bikes_scene_cuts.mp4")), "--json", "--thumbnails", "--out", str(out)]) == 0
    data = _json(capsys)
    assert data["thumbnails"] == str(tmp_path / "bikes.png")
    assert (tmp_path / "bikes.png").stat().st_size > 1000
    assert json.loads(out.read_text())["shots"] == data["shots"]
