"""Clip datasets from a folder of videos with one subfolder per class (the UCF101 layout).

``root/<class>/<video>.{avi,mp4,...}``. Each video becomes ``frames`` frames sampled evenly
over its length, resized to ``size``. Files OpenCV cannot open or that hold no frame are
reported, counted in ``skipped`` and left out; one bad file never stops the run. Every other
entry of a class folder (another extension, a hidden file, a subfolder, a broken link) is listed
in ``ignored`` with its reason and named in a warning, so nothing is left out silently.
"""

from __future__ import annotations

import warnings
from collections import Counter
from pathlib import Path

import numpy as np

from apps.video_analysis.reader import VideoReader, VideoReadError, probe

VIDEO_EXTENSIONS = (".avi", ".mp4", ".mkv", ".mov", ".webm", ".mpg", ".mpeg", ".m4v", ".wmv")
NOT_A_VIDEO = f"not a video file (expected {', '.join(VIDEO_EXTENSIONS)})"
HIDDEN = "hidden (name starts with '.')"
SUBFOLDER = "a subfolder (videos are read from the class folder itself)"
NOT_A_FILE = "not a regular file (a broken link, device or pipe)"


def video_inputs(paths) -> tuple[list[Path], list[tuple[str, str]]]:
    """``(files, ignored)``: each path that is not a folder as it is (reading it tells whether it
    is a video), and in place of each folder the video files below it, sorted; the folder's other
    entries are listed in ``ignored`` as ``(path, reason)`` (a hidden folder once, unread)."""
    files, ignored = [], []
    for item in paths:
        root = Path(item)
        if not root.is_dir():
            files.append(root)
            continue
        for path in sorted(root.rglob("*")):
            parts = path.relative_to(root).parts
            hidden = [i for i, part in enumerate(parts) if part.startswith(".")]
            if hidden:
                if hidden[0] == len(parts) - 1:  # inside a hidden folder: named once, as the folder
                    ignored.append((str(path), HIDDEN))
            elif path.is_dir():
                continue
            elif path.suffix.lower() not in VIDEO_EXTENSIONS:
                ignored.append((str(path), NOT_A_VIDEO))
            elif not path.is_file():
                ignored.append((str(path), NOT_A_FILE))
            else:
                files.append(path)
    return files, ignored


def load_clip(path, frames: int = 8, size=(32, 32), grayscale: bool = False) -> np.ndarray:
    """(frames, height, width, channels) float32 in [0, 1], frames sampled evenly.

    Short videos repeat frames; the file is read once, keeping only the chosen frames.
    """
    info = probe(path)
    total = info.frame_count
    if total <= 0:  # header without a count: decode to count
        total = sum(1 for _ in VideoReader(path, size=(8, 8)))
    if total <= 0:
        raise VideoReadError(f"Video has no frames: {path}")
    wanted = np.linspace(0, total - 1, frames).round().astype(int)
    picked = {}
    chosen = set(int(i) for i in wanted)
    last = None
    for frame in VideoReader(path, size=size):
        last = frame.image
        if frame.index in chosen:
            picked[frame.index] = frame.image
        if frame.index >= wanted[-1]:
            break
    if last is None:
        raise VideoReadError(f"Video has no decodable frames: {path}")
    clip = []
    for index in wanted:
        image = picked.get(index)
        if image is None:  # truncated: reuse the nearest earlier frame
            earlier = [k for k in picked if k <= index]
            image = picked[max(earlier)] if earlier else last
        clip.append(image)
    clip = np.stack(clip).astype(np.float32) / 255.0
    if grayscale:
        clip = clip.mean(axis=-1, keepdims=True)
    return clip


class VideoFolder:
    """Index of ``root/<class>/<video>`` files: ``files``, ``labels``, ``class_names``, ``skipped``
    (unreadable videos, filled by :meth:`to_arrays`) and ``ignored`` (every other entry of the
    class folders and of ``root``, as ``(path, reason)``)."""

    def __init__(self, root, frames: int = 8, size=(32, 32), grayscale: bool = False, class_names=None):
        self.root = Path(root)
        if not self.root.is_dir():
            raise FileNotFoundError(f"Video folder not found: {self.root} (expected root/<class>/<video files>).")
        self.ignored = []
        found = []
        for path in sorted(self.root.iterdir()):
            if path.name.startswith("."):
                self.ignored.append((str(path), HIDDEN))
            elif path.is_dir():
                found.append(path.name)
            else:
                self.ignored.append((str(path), "not inside a class folder"))
        self.class_names = list(class_names) if class_names is not None else found
        if not self.class_names:
            raise ValueError(f"{self.root} has no class subfolders (expected root/<class>/<video files>).")
        self.frames, self.size, self.grayscale = frames, tuple(size), grayscale
        self.files, self.labels, self.skipped = [], [], []
        without_videos = []
        for label, name in enumerate(self.class_names):
            folder = self.root / name
            count = len(self.files)
            if folder.is_dir():
                self._scan_class(folder, label)
            if len(self.files) == count:
                without_videos.append(name)
        if not self.files:
            raise ValueError(
                f"{self.root} holds no video files ({', '.join(VIDEO_EXTENSIONS)}) in its class subfolders."
            )
        if without_videos:
            warnings.warn(f"{self.root}: class folder(s) {', '.join(map(repr, without_videos))} hold no video "
                          "file; those classes have no clips.", stacklevel=2)
        if self.ignored:
            counts = Counter(reason for _, reason in self.ignored)
            warnings.warn(f"{self.root}: {len(self.ignored)} entries are not videos and are not used ("
                          + ", ".join(f"{n} {reason}" for reason, n in counts.most_common()) + "; e.g. "
                          + ", ".join(path for path, _ in self.ignored[:3]) + ")", stacklevel=2)

    def _scan_class(self, folder: Path, label: int) -> None:
        for path in sorted(folder.iterdir()):
            if path.name.startswith("."):
                self.ignored.append((str(path), HIDDEN))
            elif path.is_dir():
                self.ignored.append((str(path), SUBFOLDER))
            elif path.suffix.lower() not in VIDEO_EXTENSIONS:
                self.ignored.append((str(path), NOT_A_VIDEO))
            elif not path.is_file():
                self.ignored.append((str(path), NOT_A_FILE))
            else:
                self.files.append(path)
                self.labels.append(label)

    def __len__(self):
        return len(self.files)

    def to_arrays(self, progress: bool = True):
        """Load every clip: (x, y). Unreadable videos are skipped, listed in ``skipped``, warned."""
        from tqdm import tqdm

        xs, ys = [], []
        for path, label in tqdm(list(zip(self.files, self.labels)), desc="clips", disable=not progress,
                                leave=False):
            try:
                xs.append(load_clip(path, self.frames, self.size, self.grayscale))
                ys.append(label)
            except VideoReadError as error:
                self.skipped.append((str(path), str(error)))
        if self.skipped:
            warnings.warn(f"Skipped {len(self.skipped)} of {len(self.files)} videos in {self.root}: "
                          + "; ".join(f"{p} ({e})" for p, e in self.skipped[:5]), stacklevel=2)
        if not xs:
            raise ValueError(f"No readable video in {self.root} ({len(self.skipped)} skipped).")
        return np.stack(xs), np.array(ys, np.int64)
