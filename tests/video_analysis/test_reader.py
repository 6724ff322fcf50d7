
import numpy as np
import pytest

from apps.video_analysis.reader import TruncatedVideoWarning, VideoReader, VideoReadError, probe, read_all


def test_every_frame_has_index_and_timestamp(clip_file):
    reader = VideoReader(clip_file("carphone_qcif.mp4"), size=(48, 27))
    frames = list(reader)
    assert len(frames) == 120 == reader.frames_read
    assert [f.index for f in frames] == list(range(120))
    assert frames[30].time_s == pytest.approx(30 / 29.97, abs=1e-3)
    assert frames[0].image.shape == (27, 48, 3) and frames[0].image.dtype == np.uint8
    assert not reader.ended_early


def test_sampling_every_and_target_fps(clip_file):
    path = clip_file("carphone_qcif.mp4")
    assert [f.index for f in VideoReader(path, every=10)] == list(range(0, 120, 10))
    sampled = list(VideoReader(path, target_fps=10, size=(16, 16)))
    assert 38 <= len(sampled) <= 42  # 4 s at 10 fps
    assert np.all(np.diff([f.time_s for f in sampled]) > 0.09)


def test_batches_are_bounded(clip_file):
    sizes = [len(images) for images, indices, times in
             VideoReader(clip_file("carphone_qcif.mp4"), size=(8, 8)).batches(50)]
    assert sizes == [50, 50, 20]


def test_missing_file_names_it(tmp_path):
    with pytest.raises(VideoReadError, match="not found.*nothere.mp4"):
        VideoReader(tmp_path / "nothere.mp4")


def test_empty_and_non_video_files(tmp_path):
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(VideoReadError, match="empty.*empty.mp4"):
        probe(empty)
    text = tmp_path / "notes.mp4"
    text.write_text("hello, I am not a video")
    with pytest.raises(VideoReadError, match="notes.mp4"):
        VideoReader(text)


def test_truncated_stream_returns_what_was_read_and_says_so(clip_file, tmp_path):
    source = clip_file("big_buck_bunny_0-30s_720p.webm")
    cut = tmp_path / "cut.webm"
    cut.write_bytes(source.read_bytes()[:300_000])
    reader = VideoReader(cut, size=(16, 9))
    with pytest.warns(TruncatedVideoWarning, match="ended early"):
        frames = list(reader)
    assert 0 < len(frames) < 720 and reader.ended_early


def test_single_frame_video(tiny_videos):
    frames, reader = read_all(tiny_videos["single"])
    assert frames.shape == (1, 36, 64, 3)
    assert not reader.ended_early
