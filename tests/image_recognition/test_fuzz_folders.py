"""Property-based tests of the image folder walker and decoder (hypothesis).

Generated folder trees, flat (``root/<class>/``) or split (``root/train|test/<class>/``), with
class and file names in any script (spaces, dots, leading dots), any extension, nested and
hidden subfolders, symbolic links (loops, dangling, second paths) and file contents that are
valid images, truncated images, random bytes, empty files or oversized headers. The invariant:
scanning raises nothing but a ValueError that names the folder, and every file of the tree is
used, skipped (not decodable) or ignored (not an image) exactly once, each with a named reason.
"""

import os
import shutil
import struct
import tempfile
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import event, given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from apps.image_recognition import data  # noqa: E402

# A folder reported with one of these reasons is not read anywhere: it stands for the files inside.
# (A folder reported as already read, or as a link out of its split, is read through another path.)
FOLDER_REASONS = (data.HIDDEN, data.OUTSIDE_SPLIT_FOLDERS)
FIXED_REASONS = {data.NOT_AN_IMAGE, data.HIDDEN, data.BROKEN_LINK, data.NOT_A_FILE, data.FOLDER_ALREADY_READ,
                 data.OUTSIDE_CLASS_FOLDERS, data.OUTSIDE_SPLIT_FOLDERS, data.LINK_OUT_OF_SPLIT}
SKIP_REASONS = {data.EMPTY_FILE, data.NOT_DECODABLE, data.TOO_LARGE}


def _encode(kind, seed):
    rng = np.random.default_rng(seed)
    shape = (int(rng.integers(1, 24)), int(rng.integers(1, 24)))
    if kind == "png_grey16":
        return cv2.imencode(".png", rng.integers(0, 65535, shape, dtype=np.uint16))[1].tobytes()
    if kind == "png_rgba":
        return cv2.imencode(".png", rng.integers(0, 255, (*shape, 4), dtype=np.uint8))[1].tobytes()
    extension = {"png": ".png", "jpeg": ".jpg", "bmp": ".bmp"}[kind]
    return cv2.imencode(extension, rng.integers(0, 255, (*shape, 3), dtype=np.uint8))[1].tobytes()


def _huge_png():
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", 70_000, 70_000, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 8))


names = st.one_of(
    st.sampled_from(["cat", "dog", "0", "1", " spaced name ", "ça", "猫", "a.b", ".hidden", "..x", "x.png",
                     "train", "test", "val", "e\u0301", "Ω~#%&'", "tab\tname"]),
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="/\x00"), min_size=1, max_size=10),
).filter(lambda name: name not in (".", "..") and len(name.encode()) <= 80)

extensions = st.sampled_from([".png", ".PNG", ".jpg", ".JPEG", ".jpeg", ".bmp", ".gif", ".txt", "", ".webp",
                              ".png.bak", ".Jpg"])


@st.composite
def contents(draw):
    kind = draw(st.sampled_from(["png", "jpeg", "bmp", "png_grey16", "png_rgba", "truncated", "random", "empty",
                                 "huge"]))
    seed = draw(st.integers(0, 2**16))
    if kind == "truncated":
        whole = _encode(draw(st.sampled_from(["png", "jpeg", "bmp"])), seed)
        return whole[:int(len(whole) * draw(st.floats(0.0, 0.95)))]
    if kind == "random":
        return draw(st.binary(max_size=96))
    if kind == "empty":
        return b""
    if kind == "huge":
        return _huge_png()
    return _encode(kind, seed)


def _folder(depth):
    """A folder as {name: bytes (a file) or dict (a subfolder)}."""
    files = st.dictionaries(st.tuples(names, extensions).map("".join), contents(), max_size=5)
    if depth == 0:
        return files
    return st.tuples(files, st.dictionaries(names, _folder(depth - 1), max_size=2)).map(
        lambda pair: {**pair[0], **{k: v for k, v in pair[1].items() if k not in pair[0]}})


@st.composite
def trees(draw):
    """``(tree, links)``: the folder dict of the root, and symbolic links to add as
    ``(folder parts, link name, target)``; a target is "root", "missing" or the parts of a folder
    (an ancestor makes a loop, another folder a second path to it). Links never lead into hidden
    folders: those are reported as one entry and not read, unless a link reads them."""
    classes = st.dictionaries(names, _folder(2), min_size=0, max_size=4)
    if draw(st.booleans()):
        tree = {"train": draw(classes), "test": draw(classes)}
        if draw(st.booleans()):
            tree["val"] = draw(classes)
    else:
        tree = draw(classes)
    loose = draw(st.dictionaries(st.tuples(names, extensions).map("".join), contents(), max_size=2))
    tree.update({k: v for k, v in loose.items() if k not in tree})
    folders = [parts for parts in _folders(tree) if not any(part.startswith(".") for part in parts)]
    links = []
    if folders:
        for _ in range(draw(st.integers(0, 2))):
            target = draw(st.one_of(st.sampled_from(["root", "missing"]), st.sampled_from(folders)))
            links.append((draw(st.sampled_from(folders)), draw(names), target))
    return tree, links


def _folders(tree, parts=()):
    found = []
    for name, value in tree.items():
        if isinstance(value, dict):
            found.append(parts + (name,))
            found += _folders(value, parts + (name,))
    return found


def _write(root, tree, links):
    """Write the tree; returns the real files written."""
    written = []
    for name, value in tree.items():
        path = root / name
        if isinstance(value, dict):
            path.mkdir()
            written += _write(path, value, [])
        else:
            path.write_bytes(value)
            written.append(path)
    for parts, name, target in links:
        folder = root.joinpath(*parts)
        link = folder / name
        if os.path.lexists(link):
            continue
        destination = {"root": root, "missing": folder / "missing-target"}.get(target)
        os.symlink(destination if destination is not None else root.joinpath(*target), link)
    return written


def _inside(path: str, folder: str) -> bool:
    return path.startswith(folder.rstrip(os.sep) + os.sep)


@given(trees(), st.sampled_from([0.0, 0.3]))
def test_fuzz_every_file_is_used_skipped_or_ignored_with_a_reason(generated, val_split):
    tree, links = generated
    base = Path(tempfile.mkdtemp(prefix="fuzz_folders_"))
    try:
        root = base / "data"
        root.mkdir()
        written = _write(root, tree, links)
        try:
            train, test = data.scan_dataset_folder(root, val_split=val_split, seed=0)
        except ValueError as error:
            event("scan: a clear error")
            assert str(root) in str(error), str(error)
            return
        event("scan: files listed")
        splits = [train] + ([test] if test is not None else [])
        files = [f for split in splits for f in split.files]
        ignored = [item for split in splits for item in split.ignored]
        assert len(set(map(str, files))) == len(files), "a file listed twice"
        assert all(len(split.labels) == len(split.files) for split in splits)
        assert all(0 <= label < len(split.class_names) for split in splits for label in split.labels)

        skipped = data.SkipLog()
        used = [files[i] for indices, batch in data.iterate_files(files, (8, 8), 1, batch_size=4, skipped=skipped)
                for i in indices]
        assert len(used) + skipped.count == len(files)
        assert set(skipped.reasons.values()) <= SKIP_REASONS
        assert all(reason in FIXED_REASONS or reason.startswith("cannot read folder") for _, reason in ignored)

        # Every real file is accounted for exactly once, through whatever path reached it.
        accounted = [os.path.realpath(f) for f in used] + [os.path.realpath(f) for f in skipped.files]
        accounted += [os.path.realpath(path) for path, _ in ignored if not os.path.isdir(path)]
        folders_not_entered = [os.path.realpath(path) for path, reason in ignored
                               if reason in FOLDER_REASONS and os.path.isdir(path) and not os.path.islink(path)]
        for file in written:
            real = os.path.realpath(file)
            times = accounted.count(real) + sum(_inside(real, folder) for folder in folders_not_entered)
            assert times == 1, (file, times)

        # The training stream skips exactly the files that cannot be decoded, and fills its batches.
        if train.files:
            stream_log = data.SkipLog()
            dataset = data.ImageFolderDataset(train.files, train.labels, batch_size=3, image_size=(8, 8),
                                              channels=3, skipped=stream_log)
            undecodable = {str(f) for f in train.files} & set(skipped.files)
            try:
                for batch in range(len(dataset)):
                    x, y = dataset[batch]
                    assert x.shape[1:] == (8, 8, 3) and len(x) == len(y)
            except ValueError as error:   # every file of the split is undecodable
                assert undecodable == {str(f) for f in train.files} and "No readable image" in str(error)
            assert set(stream_log.files) <= undecodable
    finally:
        shutil.rmtree(base, ignore_errors=True)


@given(st.binary(max_size=256), st.sampled_from(["x.png", "x.jpg", "x.bmp", "x.jpeg"]))
def test_fuzz_random_bytes_decode_or_raise_unreadable_image_naming_the_file(content, name):
    try:
        image = data.decode_image(content, name)
    except data.UnreadableImage as error:
        assert str(error).startswith(f"{name}: ") and error.reason in SKIP_REASONS
        return
    assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[-1] in (1, 2, 3, 4)
    assert data.prepare_image(image, (8, 8), 3).shape == (8, 8, 3)
