"""Streaming video decoding with OpenCV: constant memory, index and timestamp on every frame.

Why a generator: a two-hour film must cost the same memory as a ten-second clip, so frames
are decoded, sampled, resized and batched one at a time and never collected.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np


class VideoReadError(ValueError):
    """A file or stream could not be opened or decoded as video."""


class TruncatedVideoWarning(UserWarning):
    """The stream ended before the frame count its header announced."""


@dataclass(frozen=True)
class Frame:
    """One decoded frame: ``image`` is RGB uint8 (H, W, 3); ``index`` counts every decoded frame."""

    index: int
    time_s: float
    image: np.ndarray


@dataclass(frozen=True)
class VideoInfo:
    path: str
    fps: float
    frame_count: int
    width: int
    height: int

    @property
    def duration_s(self) -> float:
        return self.frame_count / self.fps if self.fps else 0.0


def _is_stream(source) -> bool:
    return isinstance(source, int) or (isinstance(source, str) and "://" in source)


def _check_file(source) -> str:
    if _is_stream(source):
        return source
    path = Path(source)
    if not path.exists():
        raise VideoReadError(f"Video file not found: {path}")
    if path.is_dir():
        raise VideoReadError(f"Expected a video file, got a folder: {path}")
    if path.stat().st_size == 0:
        raise VideoReadError(f"Video file is empty (0 bytes): {path}")
    return os.fspath(path)


def _open(source) -> cv2.VideoCapture:
    name = _check_file(source)
    capture = cv2.VideoCapture(name)
    if not capture.isOpened():
        capture.release()
        raise VideoReadError(
            f"OpenCV could not open {source} as a video (not a video, an unsupported codec, or a "
            "truncated/corrupt file)."
        )
    return capture


def probe(source) -> VideoInfo:
    """Header information (fps, frame count, size) without decoding the frames."""
    capture = _open(source)
    try:
        fps = float(capture.get(cv2.CAP_PROP_FPS) or 0.0)
        count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        width = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH) or 0)
        height = int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT) or 0)
    finally:
        capture.release()
    return VideoInfo(str(source), fps if fps > 0 and np.isfinite(fps) else 25.0, max(count, 0), width, height)


class VideoReader:
    """Iterate over a video's frames as :class:`Frame` objects, lazily.

    Args:
        source: a file path, a URL OpenCV can open, or a camera index.
        every: keep every ``every``-th decoded frame.
        target_fps: keep frames nearest to this rate instead (overrides ``every``).
        size: ``(width, height)`` to resize to, or None to keep the original size.
        interpolation: OpenCV interpolation flag for resizing (INTER_AREA suits shrinking).

    After iteration, ``frames_read`` holds how many frames were decoded and ``ended_early``
    whether the stream stopped before the frame count in its header (a warning says so).
    """

    def __init__(self, source, every: int = 1, target_fps: float | None = None, size=None,
                 interpolation: int = cv2.INTER_AREA, start_frame: int = 0, max_frames: int | None = None):
        if every < 1:
            raise ValueError(f"every must be a positive int, got {every!r}.")
        if target_fps is not None and target_fps <= 0:
            raise ValueError(f"target_fps must be positive, got {target_fps!r}.")
        if size is not None and (len(size) != 2 or min(size) < 1):
            raise ValueError(f"size must be (width, height) with positive ints, got {size!r}.")
        self.source = source
        self.info = probe(source)
        self.every = every
        self.target_fps = target_fps
        self.size = None if size is None else (int(size[0]), int(size[1]))
        self.interpolation = interpolation
        self.start_frame = int(start_frame)
        self.max_frames = max_frames
        self.frames_read = 0
        self.ended_early = False

    @property
    def fps(self) -> float:
        return self.info.fps

    def _keep(self, index: int) -> bool:
        if self.target_fps is None or self.target_fps >= self.fps:
            return index % self.every == 0
        # keep the frame whose time first reaches each tick of the target rate
        step = self.fps / self.target_fps
        return int(index // step) != int((index - 1) // step) or index == 0

    def __iter__(self) -> Iterator[Frame]:
        capture = _open(self.source)
        self.frames_read = 0
        self.ended_early = False
        kept = 0
        index = -1
        try:
            while True:
                if index + 1 < self.start_frame:
                    if not capture.grab():
                        break
                    index += 1
                    self.frames_read += 1
                    continue
                ok, image = capture.read()
                if not ok or image is None:
                    break
                index += 1
                self.frames_read += 1
                if not self._keep(index):
                    continue
                if self.size is not None and (image.shape[1], image.shape[0]) != self.size:
                    image = resize(image, self.size, self.interpolation)
                image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
                yield Frame(index, index / self.fps, image)
                kept += 1
                if self.max_frames is not None and kept >= self.max_frames:
                    return
        finally:
            capture.release()
        expected = self.info.frame_count
        if not _is_stream(self.source) and expected and self.frames_read < expected - 1 \
                and self.max_frames is None:
            self.ended_early = True
            warnings.warn(
                f"{self.source}: the stream ended early after {self.frames_read} of {expected} "
                "frames announced by its header; returning the frames that were read.",
                TruncatedVideoWarning, stacklevel=2,
            )

    def batches(self, batch_size: int = 64) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Yield ``(images, indices, times)`` with at most ``batch_size`` frames each."""
        if batch_size < 1:
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}.")
        images, indices, times = [], [], []
        for frame in self:
            images.append(frame.image)
            indices.append(frame.index)
            times.append(frame.time_s)
            if len(images) == batch_size:
                yield np.stack(images), np.array(indices), np.array(times)
                images, indices, times = [], [], []
        if images:
            yield np.stack(images), np.array(indices), np.array(times)


def resize(image: np.ndarray, size, interpolation: int = cv2.INTER_AREA) -> np.ndarray:
    """Resize to ``size`` (width, height). Large reductions go through a bilinear step to 4x the
    target first: INTER_AREA over a 720p frame costs more than decoding it."""
    width, height = size
    if interpolation == cv2.INTER_AREA and image.shape[1] > 8 * width and image.shape[0] > 8 * height:
        image = cv2.resize(image, (4 * width, 4 * height), interpolation=cv2.INTER_LINEAR)
    return cv2.resize(image, (width, height), interpolation=interpolation)


def prefetch(iterable, size: int = 64):
    """Iterate over ``iterable`` in a background thread, at most ``size`` items ahead.

    Decoding (OpenCV) and inference (the Keras backend) both release the GIL, so a detector
    that prefetches frames decodes the next batch while the network runs on this one. The
    bounded queue keeps memory constant; an exception in the thread is re-raised here.
    """
    import queue
    import threading

    items: queue.Queue = queue.Queue(maxsize=size)
    stop = threading.Event()
    done = object()

    def work():
        try:
            for item in iterable:
                while not stop.is_set():
                    try:
                        items.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            items.put(done)
        except BaseException as error:  # handed to the consumer
            items.put(error)

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    try:
        while True:
            item = items.get()
            if item is done:
                break
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join(timeout=5)


def read_frames(source, **kwargs) -> Iterator[Frame]:
    """Shorthand for ``iter(VideoReader(source, **kwargs))``."""
    return iter(VideoReader(source, **kwargs))


def read_all(source, **kwargs) -> tuple[np.ndarray, VideoReader]:
    """Decode a short clip into one array (N, H, W, 3). Only for clips that fit in memory."""
    reader = VideoReader(source, **kwargs)
    frames = [frame.image for frame in reader]
    if not frames:
        size = reader.size or (reader.info.width, reader.info.height)
        return np.zeros((0, size[1], size[0], 3), np.uint8), reader
    return np.stack(frames), reader


def write_video(path, frames, fps: float = 25.0) -> Path:
    """Write RGB frames (iterable of (H, W, 3) uint8) to ``path`` with the mp4v codec."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = None
    count = 0
    try:
        for image in frames:
            image = np.asarray(image, np.uint8)
            if writer is None:
                height, width = image.shape[:2]
                writer = cv2.VideoWriter(os.fspath(path), cv2.VideoWriter_fourcc(*"mp4v"), float(fps),
                                         (width, height))
                if not writer.isOpened():
                    raise VideoReadError(f"OpenCV could not open {path} for writing (codec mp4v).")
            writer.write(cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
            count += 1
    finally:
        if writer is not None:
            writer.release()
    if count == 0:
        raise ValueError(f"No frames to write to {path}.")
    return path
