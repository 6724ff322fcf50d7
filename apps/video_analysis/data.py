"""Real data of the video app: the clips, their hand-checked shot boundaries, and real shots.

``shot_boundaries.csv`` gives the first frame of each new shot. The Big Buck Bunny fade-in
(frames 0 to about 45) is a gradual opening, not a cut: evaluation treats it as a
don't-care region and the edit generator never uses its frames.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from apps.video_analysis.reader import VideoReader, probe

CLIPS = (
    "bikes_scene_cuts.mp4",
    "big_buck_bunny_0-30s_720p.webm",
    "big_buck_bunny_5s_720p.mp4",
    "chaplin_clip_360p.mp4",
    "carphone_qcif.mp4",
)
ANNOTATIONS = "shot_boundaries.csv"
FADE_IN_END = 45  # last frame of the Big Buck Bunny fade-in (see the data manifest)
REQUIRED_COLUMNS = ("video", "frame_index", "time_s", "fps", "total_frames", "transition")


def clip_path(name: str) -> Path:
    """Local path of one real clip (``shared.data.path('video', name)``)."""
    from shared import data

    return data.path("video", name)


@dataclass(frozen=True)
class Boundary:
    video: str
    frame_index: int
    transition: str
    note: str = ""


def load_boundaries(csv_path=None) -> dict[str, list[Boundary]]:
    """Read ``shot_boundaries.csv`` -> {video: [Boundary, ...]} (every clip present, maybe empty).

    Bad rows raise a ValueError naming the file, the row number and what was expected.
    """
    csv_path = Path(csv_path) if csv_path is not None else clip_path(ANNOTATIONS)
    result: dict[str, list[Boundary]] = {name: [] for name in CLIPS}
    with open(csv_path, newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{csv_path}: missing columns {missing}; expected {list(REQUIRED_COLUMNS)}.")
        for row_number, row in enumerate(reader, start=2):
            try:
                index = int(row["frame_index"])
            except (TypeError, ValueError):
                raise ValueError(
                    f"{csv_path}, row {row_number}: frame_index must be an int, got {row['frame_index']!r}."
                ) from None
            if index < 0:
                raise ValueError(f"{csv_path}, row {row_number}: frame_index must be >= 0, got {index}.")
            result.setdefault(row["video"], []).append(
                Boundary(row["video"], index, row["transition"], row.get("note", ""))
            )
    for items in result.values():
        items.sort(key=lambda b: b.frame_index)
    return result


def true_transitions(video: str, boundaries=None) -> tuple[list[dict], list[tuple[int, int]]]:
    """Ground truth of one real clip for evaluation: (hard cuts, don't-care intervals)."""
    boundaries = boundaries if boundaries is not None else load_boundaries()
    cuts, ignore = [], []
    for item in boundaries.get(video, []):
        if item.transition == "hard_cut":
            cuts.append({"start_frame": item.frame_index, "end_frame": item.frame_index, "type": "hard_cut"})
        else:  # the fade-in that opens Big Buck Bunny: gradual, not a boundary between two shots
            ignore.append((item.frame_index, item.frame_index + FADE_IN_END))
    return cuts, ignore


def real_shot_ranges(boundaries=None, min_length: int = 12) -> list[tuple[str, int, int]]:
    """(clip, first, last) frame ranges of every real single shot, fade-ins removed."""
    boundaries = boundaries if boundaries is not None else load_boundaries()
    ranges = []
    for clip in CLIPS:
        total = probe(clip_path(clip)).frame_count
        starts, first = [0], 0
        for item in boundaries.get(clip, []):
            if item.transition == "hard_cut":
                starts.append(item.frame_index)
            elif item.frame_index == 0:
                first = item.frame_index + FADE_IN_END + 1
        starts = sorted(set(starts))
        edges = starts + [total]
        for a, b in zip(edges[:-1], edges[1:]):
            a = max(a, first)
            if b - a >= min_length:
                ranges.append((clip, a, b - 1))
    return ranges


@lru_cache(maxsize=4)
def load_real_shots(size=(96, 54), min_length: int = 12) -> tuple[np.ndarray, ...]:
    """Decode every real single shot at ``size`` (width, height): a tuple of (N, H, W, 3) arrays."""
    shots = []
    by_clip: dict[str, list[tuple[int, int]]] = {}
    for clip, a, b in real_shot_ranges(min_length=min_length):
        by_clip.setdefault(clip, []).append((a, b))
    for clip, spans in by_clip.items():
        frames = [frame.image for frame in VideoReader(clip_path(clip), size=size)]
        for a, b in spans:
            shots.append(np.stack(frames[a:b + 1]))
    return tuple(shots)


def load_clip_dataset(source: str = "moving-mnist", split: str = "train", count: int = 1000, frames: int = 8,
                      size: int = 32, task: str = "digit_motion", grayscale: bool = False, class_names=None,
                      seed: int = 0, progress: bool = False, ignored: list | None = None):
    """Clips for a clip classifier: ``(x, y, class names, skipped)``.

    ``source`` is ``"moving-mnist"`` (``count`` generated clips; the test split uses
    ``seed + 1``, so it never repeats the training clips) or a folder of videos with one
    subfolder per class (``video_folder.VideoFolder``; ``skipped`` lists the unreadable files as
    ``(path, error)``, and a list given as ``ignored`` receives the folder's entries that are
    not videos as ``(path, reason)``).
    """
    if source == "moving-mnist":
        from apps.video_analysis import moving_mnist

        x, y, names = moving_mnist.generate(count, frames=frames, size=size, task=task, split=split,
                                            seed=seed if split == "train" else seed + 1)
        return x, y, names, []
    from apps.video_analysis.video_folder import VideoFolder

    folder = VideoFolder(source, frames=frames, size=(size, size), grayscale=grayscale, class_names=class_names)
    x, y = folder.to_arrays(progress=progress)
    if ignored is not None:
        ignored.extend(folder.ignored)
    return x, y, folder.class_names, folder.skipped
