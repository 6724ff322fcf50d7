import numpy as np
import pytest

from apps.video_analysis.reader import write_video


@pytest.fixture(scope="session")
def clip_file(data_available):
    from apps.video_analysis.data import clip_path

    return clip_path


@pytest.fixture(scope="session")
def tiny_videos(tmp_path_factory):
    """A few small synthetic videos: 1 frame, 12 frames, and a folder of 2 classes (UCF layout)."""
    root = tmp_path_factory.mktemp("videos")
    rng = np.random.default_rng(0)
    single = write_video(root / "single.mp4", [rng.integers(0, 255, (36, 64, 3), dtype=np.uint8)], fps=10)
    frames = [np.full((36, 64, 3), 20 * i, np.uint8) for i in range(12)]
    short = write_video(root / "short.mp4", frames, fps=10)
    folder = root / "ucf"
    for label, name in enumerate(["bright", "dark"]):
        for k in range(4):
            level = 200 if label == 0 else 30
            clip = [np.clip(rng.normal(level, 20, (32, 32, 3)), 0, 255).astype(np.uint8) for _ in range(6)]
            write_video(folder / name / f"{name}_{k}.mp4", clip, fps=10)
    (folder / "dark" / "broken.avi").write_bytes(b"not a video at all")
    (folder / "dark" / "notes.txt").write_text("ignored: not a video extension")
    return {"root": root, "single": single, "short": short, "folder": folder}
