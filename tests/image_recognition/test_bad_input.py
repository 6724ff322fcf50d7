"""What a new user meets with bad input: a model without its class names, damaged files, odd
folder trees and out-of-range options. Every case ends in a clear message naming the file, folder
or option, or in a counted, named skip; none needs training or the data folder."""

import json
import os
import struct
import zlib

import cv2
import numpy as np
import pytest

from apps.image_recognition import data
from apps.image_recognition.cli import main

RNG = np.random.default_rng(0)


def _png(shape=(28, 28)):
    return cv2.imencode(".png", (RNG.random(shape) * 255).astype(np.uint8))[1].tobytes()


def _jpeg(shape=(28, 28)):
    return cv2.imencode(".jpg", (RNG.random(shape) * 255).astype(np.uint8))[1].tobytes()


def _huge_png(side=100_000):
    """A PNG whose header declares side x side pixels (over OpenCV's decoding limit)."""
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 16))
            + chunk(b"IEND", b""))


def _tree(root, classes=("0", "1"), per_class=4):
    for name in classes:
        (root / name).mkdir(parents=True, exist_ok=True)
        for index in range(per_class):
            (root / name / f"img{index}.png").write_bytes(_png())
    return root


def _last_json(capsys):
    captured = capsys.readouterr()
    return json.loads(captured.out.strip().splitlines()[-1]), captured.err


@pytest.fixture(scope="module")
def saved_model(tmp_path_factory):
    """An untrained LeNet-5 for 28x28 grey images with classes "0" and "1", saved with its names."""
    from apps.image_recognition.model import build_classifier, save_classifier

    folder = tmp_path_factory.mktemp("model")
    model = build_classifier("lenet5", (28, 28, 1), 2)
    save_classifier(model, folder / "model.keras", ["0", "1"], extra={"arch": "lenet5"})
    return folder / "model.keras"


@pytest.fixture(scope="module")
def old_style_model(tmp_path_factory):
    """The same LeNet-5 saved as models were before class names moved inside them: no names in
    the model, none beside it."""
    from apps.image_recognition.model import build_classifier

    path = tmp_path_factory.mktemp("old_style") / "model.keras"
    build_classifier("lenet5", (28, 28, 1), 2).save(path)
    return path


@pytest.fixture
def unnamed_model(old_style_model, tmp_path):
    """A copy of the old-style model, without class names in it or a class_names.json beside it."""
    target = tmp_path / "unnamed" / "model.keras"
    target.parent.mkdir()
    target.write_bytes(old_style_model.read_bytes())
    return target


# --------------------------------------------------------------------------- the model's class names

@pytest.mark.parametrize("command", ["predict", "evaluate", "explain", "finetune", "export"])
def test_model_without_class_names_warns_once_and_in_json(command, unnamed_model, tmp_path, capsys):
    image = tmp_path / "digit.png"
    image.write_bytes(_png())
    folder = _tree(tmp_path / "data", per_class=4)
    argv = {
        "predict": ["predict", "--model", str(unnamed_model), str(image)],
        "evaluate": ["evaluate", "--model", str(unnamed_model), "--data", str(folder), "--out", str(tmp_path / "e")],
        "explain": ["explain", "--model", str(unnamed_model), str(image), "--out", str(tmp_path / "x")],
        "finetune": ["finetune", "--model", str(unnamed_model), "--data", str(folder), "--val-split", "0.5",
                     "--epochs", "0", "--no-compare-scratch", "--out", str(tmp_path / "f")],
        "export": ["export", "--model", str(unnamed_model), "--out", str(tmp_path / "k")],
    }[command]
    assert main(argv + ["--json"]) == 0
    result, err = _last_json(capsys)
    missing = unnamed_model.with_name("class_names.json")
    lines = [line for line in err.splitlines() if "class_names.json" in line]
    assert len(lines) == 1, err
    assert str(unnamed_model) in lines[0] and str(missing) in lines[0] and "output indices 0..1" in lines[0]
    assert len(result["warnings"]) == 1 and str(missing) in result["warnings"][0]


def test_model_carries_its_class_names_without_the_json_file(old_style_model, tmp_path, capsys):
    """``save_classifier`` puts the names in the model: its ``.keras`` alone still names its classes."""
    from apps.image_recognition.model import load_classifier, save_classifier

    model, _ = load_classifier(old_style_model)
    path = save_classifier(model, tmp_path / "named" / "model.keras", ["cat", "dog"])
    path.with_name("class_names.json").unlink()
    image = tmp_path / "digit.png"
    image.write_bytes(_png())
    assert main(["predict", "--model", str(path), str(image), "--json"]) == 0
    result, err = _last_json(capsys)
    assert result["warnings"] == [] and "warning" not in err
    assert {row["label"] for row in result["predictions"][0]["top"]} == {"cat", "dog"}


def test_model_with_class_names_has_no_warning(saved_model, tmp_path, capsys):
    image = tmp_path / "digit.png"
    image.write_bytes(_png())
    assert main(["predict", "--model", str(saved_model), str(image), "--json"]) == 0
    result, err = _last_json(capsys)
    assert result["warnings"] == [] and "class_names.json" not in err


@pytest.mark.parametrize("content, expected", [
    ("{broken", "not valid JSON"),
    ('{"arch": "lenet5"}', 'no "class_names" list'),
    ('{"class_names": "0,1"}', 'no "class_names" list'),
    ('["a", "b", "c"]', "3 class names but the model has 2 outputs"),
])
def test_damaged_class_names_file_is_named(content, expected, unnamed_model, tmp_path, capsys):
    names_file = unnamed_model.with_name("class_names.json")
    names_file.write_text(content)
    image = tmp_path / "digit.png"
    image.write_bytes(_png())
    assert main(["predict", "--model", str(unnamed_model), str(image)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {names_file}: ") and expected in err and "Traceback" not in err


def test_a_plain_list_of_class_names_is_accepted(unnamed_model, tmp_path, capsys):
    unnamed_model.with_name("class_names.json").write_text('["cat", "dog"]')
    image = tmp_path / "digit.png"
    image.write_bytes(_png())
    assert main(["predict", "--model", str(unnamed_model), str(image), "--json"]) == 0
    result, _ = _last_json(capsys)
    assert {row["label"] for row in result["predictions"][0]["top"]} == {"cat", "dog"}


def test_a_model_that_does_not_take_images_is_a_clear_error(tmp_path, capsys):
    import keras

    inputs = keras.Input((10,))
    path = tmp_path / "text.keras"
    keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(inputs)).save(path)
    image = tmp_path / "digit.png"
    image.write_bytes(_png())
    assert main(["predict", "--model", str(path), str(image)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: --model {path}: ") and "(None, 10)" in err and "Traceback" not in err


# --------------------------------------------------------------------------- damaged image files

@pytest.mark.parametrize("name, content, reason", [
    ("zero.png", b"", "empty file (0 bytes)"),
    ("text.jpg", b"hello, not an image", "not a readable PNG/JPEG/BMP image"),
    ("truncated.jpg", _jpeg((60, 80))[:300], "not a readable PNG/JPEG/BMP image"),
    ("truncated.png", _png((60, 80))[:200], "not a readable PNG/JPEG/BMP image"),
    ("huge.png", _huge_png(), "image too large"),
])
def test_damaged_file_is_skipped_with_its_reason(name, content, reason, tmp_path):
    file = tmp_path / name
    file.write_bytes(content)
    with pytest.raises(data.UnreadableImage) as caught:
        data.load_image(file, (28, 28), 1)
    assert str(caught.value).startswith(f"{file}: ") and reason in caught.value.reason
    good = tmp_path / "good.png"
    good.write_bytes(_png())
    skipped = data.SkipLog()
    used = [i for indices, _ in data.iterate_files([good, file], (28, 28), 1, skipped=skipped) for i in indices]
    assert used == [0] and skipped.files == [str(file)] and reason in skipped.reasons[str(file)]
    assert sum(skipped.reason_counts().values()) == 1


def test_predict_skips_a_huge_dimension_header(saved_model, tmp_path, capsys):
    huge, good = tmp_path / "huge.png", tmp_path / "good.png"
    huge.write_bytes(_huge_png())
    good.write_bytes(_png())
    assert main(["predict", "--model", str(saved_model), str(huge), str(good), "--json"]) == 0
    result, err = _last_json(capsys)
    assert result["images"] == 1 and result["skipped_files"] == 1 and result["skipped_names"] == [str(huge)]
    [(reason, count)] = result["skipped_reasons"].items()
    assert reason.startswith("image too large") and count == 1 and "huge.png" in err


# --------------------------------------------------------------------------- folder trees

def test_files_that_are_not_images_are_counted_with_a_reason(tmp_path):
    root = _tree(tmp_path / "pets", ("cat", "dog"), per_class=2)
    (root / "cat" / "notes.txt").write_text("x")
    (root / "cat" / "anim.gif").write_bytes(b"GIF89a")
    (root / "cat" / ".thumb.png").write_bytes(_png())
    (root / "dog" / ".cache").mkdir()
    (root / "dog" / ".cache" / "a.png").write_bytes(_png())
    (root / "loose.png").write_bytes(_png())
    os.symlink(root / "nowhere.png", root / "dog" / "dangling.png")
    split = data.scan_class_folder(root)
    assert len(split.files) == 4
    reasons = dict(split.ignored)
    assert reasons == {
        str(root / "cat" / "anim.gif"): data.NOT_AN_IMAGE,
        str(root / "cat" / "notes.txt"): data.NOT_AN_IMAGE,
        str(root / "cat" / ".thumb.png"): data.HIDDEN,
        str(root / "dog" / ".cache"): data.HIDDEN,
        str(root / "dog" / "dangling.png"): data.BROKEN_LINK,
        str(root / "loose.png"): data.OUTSIDE_CLASS_FOLDERS,
    }


def test_a_symlink_loop_is_read_once_and_reported(tmp_path):
    root = _tree(tmp_path / "pets", ("cat", "dog"), per_class=2)
    os.symlink(root / "cat", root / "cat" / "again")       # a loop inside a class folder
    os.symlink(root, root / "dog" / "up")                  # a loop back to the root
    (tmp_path / "more").mkdir()
    (tmp_path / "more" / "extra.png").write_bytes(_png())
    os.symlink(tmp_path / "more", root / "dog" / "more")   # a linked folder elsewhere is followed
    split = data.scan_class_folder(root)
    assert sorted(f.relative_to(root).as_posix() for f in split.files) == [
        "cat/img0.png", "cat/img1.png", "dog/img0.png", "dog/img1.png", "dog/more/extra.png"]
    assert dict(split.ignored) == {str(root / "cat" / "again"): data.FOLDER_ALREADY_READ,
                                   str(root / "dog" / "up"): data.FOLDER_ALREADY_READ}


def test_links_out_of_the_train_split_do_not_leak_test_images(tmp_path):
    root = tmp_path / "pets"
    _tree(root / "train", ("cat", "dog"), per_class=2)
    _tree(root / "test", ("cat", "dog"), per_class=1)
    os.symlink(root / "test" / "cat", root / "train" / "cat" / "more")   # into the test split
    os.symlink(root, root / "train" / "dog" / "everything")               # to the dataset root
    (root / "extra").mkdir()
    (root / "README.txt").write_text("x")
    train, test = data.scan_dataset_folder(root)
    assert len(train.files) == 4 and len(test.files) == 2
    assert not {f.resolve() for f in train.files} & {f.resolve() for f in test.files}
    assert dict(train.ignored) == {
        str(root / "train" / "cat" / "more"): data.LINK_OUT_OF_SPLIT,
        str(root / "train" / "dog" / "everything"): data.FOLDER_ALREADY_READ,
        str(root / "extra"): data.OUTSIDE_SPLIT_FOLDERS,
        str(root / "README.txt"): data.OUTSIDE_CLASS_FOLDERS,
    }


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads every file")
def test_unreadable_files_and_folders_are_counted(tmp_path):
    root = _tree(tmp_path / "pets", ("cat", "dog"), per_class=2)
    locked = root / "dog" / "locked"
    locked.mkdir()
    (locked / "a.png").write_bytes(_png())
    locked.chmod(0)
    (root / "cat" / "img0.png").chmod(0)
    try:
        split = data.scan_class_folder(root)
        assert dict(split.ignored)[str(locked)].startswith("cannot read folder")
        skipped = data.SkipLog()
        list(data.iterate_files(split.files, (28, 28), 1, skipped=skipped))
        assert skipped.files == [str(root / "cat" / "img0.png")]
    finally:
        locked.chmod(0o755)


def test_folder_with_zero_images_names_what_it_holds(tmp_path, capsys):
    root = tmp_path / "pets"
    (root / "cat").mkdir(parents=True)
    (root / "dog").mkdir()
    (root / "cat" / "readme.txt").write_text("x")
    assert main(["train", "--data", str(root), "--epochs", "1", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "'cat', 'dog' contain no images" in err and "readme.txt" in err and "not an image" in err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["train", "--data", str(empty), "--epochs", "1", "--out", str(tmp_path / "o")]) == 2
    assert f"error: {empty}: no class subfolders" in capsys.readouterr().err


def test_ignored_files_are_reported_by_evaluate_and_predict(saved_model, tmp_path, capsys):
    root = _tree(tmp_path / "digits", per_class=3)
    (root / "1" / "notes.txt").write_text("x")
    (root / "0" / "zero.png").write_bytes(b"")
    assert main(["evaluate", "--model", str(saved_model), "--data", str(root), "--out", str(tmp_path / "e"),
                 "--json"]) == 0
    result, err = _last_json(capsys)
    assert result["images"] == 6 and result["skipped_files"] == 1 and result["ignored_files"] == 1
    assert result["ignored_reasons"] == {data.NOT_AN_IMAGE: 1}
    assert result["ignored_names"] == [str(root / "1" / "notes.txt")] and "notes.txt" in err
    assert main(["predict", "--model", str(saved_model), str(root), "--json"]) == 0
    result, _ = _last_json(capsys)
    assert result["images"] == 6 and result["skipped_files"] == 1 and result["ignored_files"] == 1


# --------------------------------------------------------------------------- options

@pytest.mark.parametrize("argv, option", [
    (["--val-split", "1.5"], "--val-split"),
    (["--val-split", "-0.2"], "--val-split"),
    (["--val-split", "nan"], "--val-split"),
    (["--image-size", "0"], "--image-size"),
    (["--image-size", "abc"], "--image-size"),
    (["--image-size", "64x"], "--image-size"),
    (["--image-size", "100000"], "--image-size"),
    (["--batch-size", "0"], "--batch-size"),
    (["--limit", "-3"], "--limit"),
    (["--limit", "0"], "--limit"),
    (["--test-limit", "0"], "--test-limit"),
    (["--epochs", "0"], "--epochs"),
    (["--learning-rate", "0"], "--learning-rate"),
    (["--learning-rate", "inf"], "--learning-rate"),
    (["--label-smoothing", "1"], "--label-smoothing"),
    (["--weight-decay", "-1"], "--weight-decay"),
])
def test_train_options_out_of_range_name_the_option(argv, option, tmp_path, capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["train", "--data", "digits", "--out", str(tmp_path / "o"), *argv])
    err = capsys.readouterr().err
    assert stopped.value.code == 2 and f"argument {option}: " in err and "Traceback" not in err


@pytest.mark.parametrize("argv, option", [
    (["predict", "--top-k", "0", "x.png"], "--top-k"),
    (["evaluate", "--data", "digits", "--worst", "-1"], "--worst"),
    (["finetune", "--data", "digits", "--epochs", "-1"], "--epochs"),
    (["finetune", "--data", "digits", "--unfreeze-epochs", "-1"], "--unfreeze-epochs"),
])
def test_other_options_out_of_range_name_the_option(argv, option, capsys):
    with pytest.raises(SystemExit) as stopped:
        main([argv[0], "--model", "m.keras", *argv[1:]])
    assert stopped.value.code == 2 and f"argument {option}: " in capsys.readouterr().err


def test_val_split_too_large_for_the_folder_names_the_option(tmp_path, capsys):
    root = _tree(tmp_path / "pets", ("cat", "dog"), per_class=1)
    with pytest.raises(ValueError, match=r"--val-split 0\.9 of the 2 images in .*pets leaves no training image"):
        data.scan_dataset_folder(root, val_split=0.9)
    with pytest.raises(ValueError, match="--val-split must be"):
        data.scan_dataset_folder(root, val_split=1.0)


def test_small_val_split_falls_back_to_an_unstratified_split(tmp_path):
    root = _tree(tmp_path / "pets", ("cat", "dog", "fox"), per_class=4)
    train, test = data.scan_dataset_folder(root, val_split=0.1, seed=0)   # 2 test images, 3 classes
    assert len(test.files) == 2 and len(train.files) == 10
    assert not set(train.files) & set(test.files)


@pytest.mark.parametrize("data_source, classes, expected", [
    ("digits", "0,zebra", "--classes: 'zebra' is not a class of digits"),
    ("digits", "1,1", "--classes: '1' is named twice"),
    ("folder", "cat", "--classes picks classes of a named dataset"),
])
def test_classes_that_cannot_be_used_are_a_clear_error(data_source, classes, expected, tmp_path, capsys):
    source = str(_tree(tmp_path / "pets", ("cat", "dog"), per_class=2)) if data_source == "folder" else data_source
    code = main(["train", "--data", source, "--classes", classes, "--epochs", "1", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and expected in err, err
    if data_source == "folder":
        assert source in err and "cat, dog" in err
