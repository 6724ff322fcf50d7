import numpy as np
import pytest

from apps.video_analysis import moving_mnist
from apps.video_analysis.data import load_boundaries, real_shot_ranges, true_transitions
from apps.video_analysis.video_folder import VideoFolder, load_clip


def test_real_annotations(data_available):
    boundaries = load_boundaries()
    assert [b.frame_index for b in boundaries["bikes_scene_cuts.mp4"]] == [30, 76, 137, 187, 242]
    cuts, ignore = true_transitions("big_buck_bunny_0-30s_720p.webm", boundaries)
    assert [c["start_frame"] for c in cuts] == [283, 376, 551] and ignore == [(0, 45)]
    assert true_transitions("chaplin_clip_360p.mp4", boundaries) == ([], [])
    ranges = real_shot_ranges(boundaries)
    assert ("big_buck_bunny_0-30s_720p.webm", 46, 282) in ranges  # fade-in left out
    assert all(b - a + 1 >= 12 for _, a, b in ranges)


def test_bad_annotation_row_is_named(tmp_path):
    bad = tmp_path / "cuts.csv"
    bad.write_text("video,frame_index,time_s,fps,total_frames,transition\nx.mp4,ten,0,25,100,hard_cut\n")
    with pytest.raises(ValueError, match="row 2.*frame_index"):
        load_boundaries(bad)


def test_moving_mnist_clips_show_motion(data_available):
    x, y, names = moving_mnist.generate(40, frames=6, size=32, seed=0, split="test")
    assert x.shape == (40, 6, 32, 32, 1) and len(names) == 40 and y.max() < 40
    for clip, label in zip(x[:10], y[:10]):
        motion = moving_mnist.MOTIONS[label % 4]
        axis = 0 if motion in ("left", "right") else 1  # left/right: profile over columns
        centre = [np.average(np.arange(32), weights=f[..., 0].sum(axis=axis) + 1e-9) for f in clip]
        assert (centre[-1] > centre[0]) == (motion in ("right", "down"))


def test_video_folder_skips_and_counts_bad_files(tiny_videos):
    folder = VideoFolder(tiny_videos["folder"], frames=4, size=(16, 16))
    assert folder.class_names == ["bright", "dark"] and len(folder) == 9
    with pytest.warns(UserWarning, match="Skipped 1 of 9"):
        x, y = folder.to_arrays(progress=False)
    assert x.shape == (8, 4, 16, 16, 3) and list(np.bincount(y)) == [4, 4]
    assert "broken.avi" in folder.skipped[0][0]
    assert x[y == 0].mean() > x[y == 1].mean()


def test_load_clip_of_short_video_repeats_frames(tiny_videos):
    clip = load_clip(tiny_videos["single"], frames=5, size=(8, 8))
    assert clip.shape == (5, 8, 8, 3)
    np.testing.assert_allclose(clip[0], clip[4])
