"""Edited-video generator: real shots joined by cuts, dissolves, fades and wipes, exact truth.

Why: five clips hold only eight real cuts, far too few to train or to measure gradual
transitions. Joining real single shots (split at the hand-checked cuts) with known edits
gives unlimited labelled video; flashes, fast camera motion and fast objects inside shots
are the hard negatives a detector must not fire on. A seed fixes every choice, so the
training set (seeds from 0) and the benchmark (seeds from 10_000) never overlap.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

TYPES = ("none", "hard_cut", "dissolve", "fade", "wipe")
TYPE_INDEX = {name: i for i, name in enumerate(TYPES)}
BENCHMARK_SEED = 10_000


@dataclass
class EditedVideo:
    """Frames (N, H, W, 3) uint8 RGB, the transitions, the hard negatives and per-frame labels."""

    frames: np.ndarray
    transitions: list = field(default_factory=list)  # {start_frame, end_frame, type}
    negatives: list = field(default_factory=list)  # {start_frame, end_frame, type}
    seed: int = 0

    @property
    def labels(self) -> np.ndarray:
        """Per-frame class index into TYPES: a cut marks the first frame of the new shot."""
        labels = np.zeros(len(self.frames), np.int32)
        for item in self.transitions:
            labels[item["start_frame"]:item["end_frame"] + 1] = TYPE_INDEX[item["type"]]
        return labels

    def truth(self) -> dict:
        return {"seed": self.seed, "frames": int(len(self.frames)), "transitions": self.transitions,
                "negatives": self.negatives}


def _resize_all(frames, size):
    if frames.shape[2] == size[0] and frames.shape[1] == size[1]:
        return frames
    return np.stack([cv2.resize(f, size, interpolation=cv2.INTER_AREA) for f in frames])


def _segment(shot, rng, length):
    """A sub-range of a real shot, sometimes played 2-3x faster (fast motion, still one shot)."""
    speed = int(rng.choice([1, 1, 1, 2, 3]))
    while speed > 1 and len(shot) // speed < 16:
        speed -= 1
    length = min(length, max(1, len(shot) // speed))
    start = int(rng.integers(0, len(shot) - length * speed + 1))
    segment = shot[start:start + length * speed:speed].copy()
    if rng.random() < 0.5:
        segment = segment[:, :, ::-1].copy()
    return segment


def _camera_motion(segment, rng):
    """Fast pan / zoom inside one shot: a moving crop of an enlarged frame."""
    n, h, w, _ = segment.shape
    scale = rng.uniform(1.3, 1.8)
    big_w, big_h = int(w * scale), int(h * scale)
    speed = rng.uniform(0.04, 0.12) * w * rng.choice([-1, 1])
    vertical = rng.uniform(-0.03, 0.03) * h
    x0, y0 = rng.uniform(0, big_w - w), rng.uniform(0, big_h - h)
    out = np.empty_like(segment)
    for i, frame in enumerate(segment):
        big = cv2.resize(frame, (big_w, big_h), interpolation=cv2.INTER_LINEAR)
        x = int(np.clip(x0 + speed * i, 0, big_w - w))
        y = int(np.clip(y0 + vertical * i, 0, big_h - h))
        out[i] = big[y:y + h, x:x + w]
    return out


def _fast_object(segment, donor, rng):
    """A patch of another shot crossing the frame in a few frames (a fast object)."""
    n, h, w, _ = segment.shape
    ph, pw = int(h * rng.uniform(0.3, 0.6)), int(w * rng.uniform(0.2, 0.45))
    patch_frame = donor[int(rng.integers(len(donor)))]
    py, px = int(rng.integers(0, h - ph + 1)), int(rng.integers(0, w - pw + 1))
    patch = patch_frame[py:py + ph, px:px + pw]
    steps = int(rng.integers(3, 9))
    first = int(rng.integers(0, max(1, n - steps)))
    y = int(rng.integers(0, h - ph + 1))
    direction = rng.choice([-1, 1])
    out = segment.copy()
    for k in range(steps):
        if first + k >= n:
            break
        t = (k + 0.5) / steps
        x = int((t if direction > 0 else 1 - t) * (w + pw)) - pw
        a, b = max(0, x), min(w, x + pw)
        if b > a:
            out[first + k, y:y + ph, a:b] = patch[:, a - x:b - x]
    return out, (first, min(n - 1, first + steps - 1))


def _flash(segment, rng):
    n = len(segment)
    length = int(rng.integers(1, 4))
    first = int(rng.integers(0, max(1, n - length)))
    strength = rng.uniform(0.4, 0.9)
    out = segment.astype(np.float32)
    out[first:first + length] = out[first:first + length] * (1 - strength) + 255 * strength
    return np.clip(out, 0, 255).astype(np.uint8), (first, min(n - 1, first + length - 1))


def _blend(a, b, weights):
    weights = np.asarray(weights, np.float32)[:, None, None, None]
    return (a.astype(np.float32) * (1 - weights) + b.astype(np.float32) * weights).round().astype(np.uint8)


def _wipe(a, b, rng):
    n, h, w, _ = a.shape
    direction = rng.choice(["left", "right", "up", "down"])
    out = a.copy()
    for i in range(n):
        t = (i + 1) / (n + 1)
        if direction in ("left", "right"):
            edge = int(round(t * w))
            cols = slice(0, edge) if direction == "right" else slice(w - edge, w)
            out[i][:, cols] = b[i][:, cols]
        else:
            edge = int(round(t * h))
            rows = slice(0, edge) if direction == "down" else slice(h - edge, h)
            out[i][rows] = b[i][rows]
    return out


def generate_edit(shots, seed: int, size=(96, 54), segments: tuple[int, int] = (4, 7),
                  segment_length: tuple[int, int] = (16, 70), negative_rate: float = 0.5,
                  type_weights=(0.45, 0.25, 0.15, 0.15)) -> EditedVideo:
    """One edited video from real ``shots`` (arrays (N, H, W, 3)) with known transitions.

    ``type_weights`` are the chances of hard_cut, dissolve, fade (out to black and back in),
    wipe. Each segment gets a hard negative (flash, camera motion or fast object) with
    probability ``negative_rate``.
    """
    rng = np.random.default_rng(seed)
    shots = [_resize_all(np.asarray(s), size) for s in shots]
    count = int(rng.integers(segments[0], segments[1] + 1))
    pieces, negatives = [], []
    previous = -1
    for _ in range(count):
        choice = int(rng.integers(len(shots)))
        if choice == previous and len(shots) > 1:
            choice = (choice + 1 + int(rng.integers(len(shots) - 1))) % len(shots)
        previous = choice
        segment = _segment(shots[choice], rng, int(rng.integers(segment_length[0], segment_length[1] + 1)))
        neg = None
        if rng.random() < negative_rate and len(segment) >= 8:
            kind = rng.choice(["flash", "camera_motion", "fast_object"])
            if kind == "flash":
                segment, span = _flash(segment, rng)
            elif kind == "camera_motion":
                segment, span = _camera_motion(segment, rng), (0, len(segment) - 1)
            else:
                donor = shots[int(rng.integers(len(shots)))]
                segment, span = _fast_object(segment, donor, rng)
            neg = (str(kind), span)
        pieces.append((segment, neg))

    frames = []
    transitions = []
    last_end = -1  # transitions never overlap: each keeps >= 4 clean frames after the last one
    names = ("hard_cut", "dissolve", "fade", "wipe")
    for i, (segment, neg) in enumerate(pieces):
        offset = len(frames)
        if i == 0:
            frames.extend(segment)
        else:
            kind = str(rng.choice(names, p=np.asarray(type_weights) / np.sum(type_weights)))
            if kind == "hard_cut":
                transitions.append({"start_frame": offset, "end_frame": offset, "type": kind})
                frames.extend(segment)
            elif kind in ("dissolve", "wipe"):
                length = int(rng.integers(6, 21))
                length = min(length, len(segment) - 8, len(frames) - last_end - 5)
                if length < 3:
                    transitions.append({"start_frame": offset, "end_frame": offset, "type": "hard_cut"})
                    frames.extend(segment)
                else:
                    tail = np.stack(frames[-length:])
                    head = segment[:length]
                    if kind == "dissolve":
                        mixed = _blend(tail, head, (np.arange(length) + 1) / (length + 1))
                    else:
                        mixed = _wipe(tail, head, rng)
                    start = len(frames) - length
                    frames[start:] = list(mixed)
                    offset = start
                    transitions.append({"start_frame": start, "end_frame": start + length - 1, "type": kind})
                    frames.extend(segment[length:])
            else:  # fade out to black, optional black hold, fade in
                out_len, in_len, hold = int(rng.integers(4, 13)), int(rng.integers(4, 13)), int(rng.integers(0, 4))
                out_len = max(1, min(out_len, len(frames) - last_end - 5))
                in_len = max(1, min(in_len, len(segment) - 8))
                start = len(frames) - out_len
                tail = np.stack(frames[start:])
                frames[start:] = list(_blend(tail, np.zeros_like(tail), (np.arange(out_len) + 1) / (out_len + 1)))
                frames.extend(np.zeros((hold,) + segment.shape[1:], np.uint8))
                head = segment[:in_len]
                frames.extend(_blend(np.zeros_like(head), head, (np.arange(in_len) + 1) / (in_len + 1)))
                end = len(frames) - 1
                frames.extend(segment[in_len:])
                transitions.append({"start_frame": start, "end_frame": end, "type": "fade"})
                offset = len(frames) - (len(segment) - in_len) - in_len
        if transitions:
            last_end = transitions[-1]["end_frame"]
        if neg is not None:
            kind, (a, b) = neg
            negatives.append({"start_frame": offset + a, "end_frame": offset + b, "type": kind})
    return EditedVideo(np.stack(frames), transitions, negatives, seed)


def write_benchmark(folder, shots, count: int = 12, seed: int = BENCHMARK_SEED, size=(160, 90),
                    fps: float = 25.0) -> list[tuple[Path, dict]]:
    """Write ``count`` edited videos (mp4v) + ground-truth JSON; reuse files already there."""
    from apps.video_analysis.reader import write_video

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    items = []
    for i in range(count):
        video = folder / f"edit_{seed + i}.mp4"
        truth_path = folder / f"edit_{seed + i}.json"
        if not (video.exists() and truth_path.exists()):
            edit = generate_edit(shots, seed + i, size=size)
            write_video(video, edit.frames, fps=fps)
            truth_path.write_text(json.dumps(edit.truth(), indent=1))
        items.append((video, json.loads(truth_path.read_text())))
    return items
