"""Property-based tests of the video reader and the class-folder index (hypothesis).

Random bytes and truncated real videos, named like videos: the reader decodes some frames (and
warns when the stream ends early) or raises a VideoReadError naming the file, never anything
else. A generated class-per-folder tree: every entry is a video used or skipped with its error,
or ignored with a named reason.
"""

import functools
import shutil
import tempfile
import warnings
from pathlib import Path

import cv2
import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import event, given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from apps.video_analysis import video_folder  # noqa: E402
from apps.video_analysis.reader import VideoReader, VideoReadError, probe, read_all, write_video  # noqa: E402


@functools.cache
def _real_video(kind: str) -> bytes:
    """The bytes of a small real video: mp4v in .mp4, or MJPG in .avi."""
    folder = Path(tempfile.mkdtemp(prefix="fuzz_video_"))
    try:
        rng = np.random.default_rng(0)
        frames = [rng.integers(0, 255, (24, 32, 3), dtype=np.uint8) for _ in range(10)]
        if kind == "mp4":
            return write_video(folder / "clip.mp4", frames, fps=10).read_bytes()
        writer = cv2.VideoWriter(str(folder / "clip.avi"), cv2.VideoWriter_fourcc(*"MJPG"), 10, (32, 24))
        for frame in frames:
            writer.write(frame)
        writer.release()
        return (folder / "clip.avi").read_bytes()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@st.composite
def video_bytes(draw):
    kind = draw(st.sampled_from(["random", "truncated", "whole", "empty", "damaged"]))
    if kind == "random":
        return draw(st.binary(max_size=512))
    if kind == "empty":
        return b""
    whole = _real_video(draw(st.sampled_from(["mp4", "avi"])))
    if kind == "whole":
        return whole
    if kind == "truncated":
        return whole[:int(len(whole) * draw(st.floats(0.0, 1.0)))]
    start = draw(st.integers(0, len(whole) - 1))   # overwrite a stretch with random bytes
    patch = draw(st.binary(min_size=1, max_size=64))
    return whole[:start] + patch + whole[start + len(patch):]


def _check_reads(path: Path):
    """Every reader entry point: frames of the right shape, or a VideoReadError naming ``path``."""
    try:
        info = probe(path)
        frames, reader = read_all(path, size=(8, 6))
        assert frames.shape[1:] == (6, 8, 3) and frames.dtype == np.uint8
        assert reader.frames_read >= len(frames) and info.fps > 0
        clip = video_folder.load_clip(path, frames=3, size=(8, 8))
        assert clip.shape == (3, 8, 8, 3) and 0.0 <= clip.min() and clip.max() <= 1.0
        sampled = list(VideoReader(path, every=2, max_frames=3))
        assert len(sampled) <= 3
        return "read"
    except VideoReadError as error:
        assert str(path) in str(error), str(error)
        return "error"


@given(video_bytes(), st.sampled_from(["clip.mp4", "clip.avi", "clip.mkv", "clip.MP4"]))
def test_fuzz_damaged_video_gives_frames_or_a_video_read_error_naming_it(content, name):
    folder = Path(tempfile.mkdtemp(prefix="fuzz_video_"))
    try:
        path = folder / name
        path.write_bytes(content)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")   # TruncatedVideoWarning is allowed: it says the stream ended early
            event(f"reader: {_check_reads(path)}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


names = st.one_of(st.sampled_from(["walk", "run", " two words ", "çà", "跑", ".hidden", "a.b"]),
                  st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="/\x00"),
                          min_size=1, max_size=8)).filter(lambda n: n not in (".", "..") and len(n.encode()) < 60)
entries = st.dictionaries(
    st.tuples(names, st.sampled_from([".mp4", ".avi", ".AVI", ".mkv", ".txt", "", ".gif"])).map("".join),
    st.one_of(video_bytes(), st.just("folder")), max_size=4)


@given(st.dictionaries(names, entries, max_size=3), st.dictionaries(names, video_bytes(), max_size=1))
def test_fuzz_video_folder_uses_skips_or_ignores_every_entry(classes, loose):
    base = Path(tempfile.mkdtemp(prefix="fuzz_video_folder_"))
    try:
        root = base / "videos"
        root.mkdir()
        expected = set()
        for class_name, files in classes.items():
            (root / class_name).mkdir()
            for file_name, content in files.items():
                path = root / class_name / file_name
                path.mkdir() if content == "folder" else path.write_bytes(content)
                if not class_name.startswith("."):
                    expected.add(str(path))
        for file_name, content in loose.items():
            if not (root / file_name).exists():
                (root / file_name).write_bytes(content)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                folder = video_folder.VideoFolder(root, frames=2, size=(8, 8))
            except ValueError as error:
                event("folder: a clear error")
                assert str(root) in str(error)
                return
            event("folder: videos listed")
            listed = [str(f) for f in folder.files]
            ignored = dict(folder.ignored)
            assert len(set(listed)) == len(listed) and not set(listed) & set(ignored)
            # every entry of a (not hidden) class folder is a video to read or ignored with a reason
            assert expected <= set(listed) | set(ignored)
            assert all(reason for reason in ignored.values())
            try:
                x, y = folder.to_arrays(progress=False)
            except ValueError as error:
                assert str(root) in str(error) and len(folder.skipped) == len(listed)
                return
        assert len(x) == len(y) and len(x) + len(folder.skipped) == len(listed)
        assert all(path in listed and str(path) in message for path, message in folder.skipped)
    finally:
        shutil.rmtree(base, ignore_errors=True)
