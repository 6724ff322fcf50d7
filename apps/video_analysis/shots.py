"""Shots and transitions: the result of a detector, its JSON form and its contact sheet.

Conventions (those of ``shot_boundaries.csv``): a hard cut has ``start_frame == end_frame``
= the first frame of the new shot. A gradual transition spans ``start_frame..end_frame``;
shots are contiguous and split it at its middle frame, like PySceneDetect's scene list.
A fade that touches the first or last frame of the video opens or closes it
(``fade_in`` / ``fade_out``) and does not split a shot. ``end_time`` is exclusive:
``(end_frame + 1) / fps``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np


@dataclass
class ShotResult:
    """What a detector found in one video."""

    frame_count: int
    fps: float
    transitions: list = field(default_factory=list)
    source: str = ""
    detector: str = ""
    probabilities: np.ndarray | None = None  # per-frame transition probability (CNN only)
    ended_early: bool = False

    @property
    def shots(self) -> list[dict]:
        return shots_from_transitions(self.transitions, self.frame_count, self.fps)

    def to_json(self) -> dict:
        return {
            "video": self.source,
            "detector": self.detector,
            "fps": self.fps,
            "frame_count": self.frame_count,
            "ended_early": self.ended_early,
            "shots": self.shots,
            "transitions": self.transitions,
        }


def split_frame(transition: dict) -> int:
    """The first frame of the new shot for a transition (middle of a gradual one)."""
    a, b = transition["start_frame"], transition["end_frame"]
    return a if a == b else (a + b + 1) // 2


def shots_from_transitions(transitions, frame_count: int, fps: float) -> list[dict]:
    if frame_count <= 0:
        return []
    starts = sorted({split_frame(t) for t in transitions
                     if t["type"] not in ("fade_in", "fade_out") and 0 < split_frame(t) < frame_count})
    edges = [0] + starts + [frame_count]
    shots = []
    for a, b in zip(edges[:-1], edges[1:]):
        shots.append({
            "start_frame": int(a), "end_frame": int(b - 1),
            "start_time": round(a / fps, 4), "end_time": round(b / fps, 4),
        })
    return shots


def transitions_from_probabilities(probabilities, fps: float, threshold: float = 0.5,
                                   types=("none", "hard_cut", "dissolve", "fade", "wipe"),
                                   merge_gap: int = 1, min_shot_length: int = 4) -> list[dict]:
    """Runs of frames whose transition probability (1 - p(none)) exceeds ``threshold``.

    A run's type is the class with the largest summed probability over the run; a cut is
    placed on the frame with the highest cut probability. As PySceneDetect's
    ``min_scene_len``, a cut that would leave a shot shorter than ``min_shot_length`` frames
    (at the start, or after the previous transition) is dropped, keeping the more confident.
    """
    probabilities = np.asarray(probabilities, np.float32)
    if probabilities.ndim != 2 or len(probabilities) == 0:
        return []
    p = 1.0 - probabilities[:, 0]
    above = np.flatnonzero(p > threshold)
    runs = []
    for index in above:
        if runs and index - runs[-1][1] <= merge_gap + 1:
            runs[-1][1] = index
        else:
            runs.append([index, index])
    last = len(probabilities) - 1
    transitions = []
    for a, b in runs:
        kind = types[1 + int(np.argmax(probabilities[a:b + 1, 1:].sum(axis=0)))]
        if kind == "hard_cut":
            a = b = a + int(np.argmax(probabilities[a:b + 1, 1]))
            if a == 0:
                continue  # the first frame cannot start a new shot
        elif kind == "fade" and a == 0:
            kind = "fade_in"
        elif kind == "fade" and b == last:
            kind = "fade_out"
        item = {
            "start_frame": int(a), "end_frame": int(b), "type": kind,
            "confidence": round(float(p[a:b + 1].max()), 4),
            "start_time": round(a / fps, 4), "end_time": round((b + 1) / fps, 4),
        }
        if kind == "hard_cut" and a < min_shot_length:
            continue
        if transitions and a - transitions[-1]["end_frame"] <= min_shot_length:
            if item["confidence"] > transitions[-1]["confidence"]:
                transitions[-1] = item
            continue
        transitions.append(item)
    return transitions


def contact_sheet(source, shots, out, columns: int = 4, thumb_width: int = 240) -> Path:
    """Write a PNG grid with each shot's middle frame, labelled with its number and times.

    The video is decoded once more, keeping only the chosen frames (constant memory).
    """
    from apps.video_analysis.reader import VideoReader

    out = Path(out)
    wanted = {(s["start_frame"] + s["end_frame"]) // 2: i for i, s in enumerate(shots)}
    thumbs = {}
    reader = VideoReader(source)
    height = max(1, int(round(thumb_width * reader.info.height / max(1, reader.info.width))))
    for frame in reader:
        if frame.index in wanted:
            thumbs[wanted[frame.index]] = cv2.resize(frame.image, (thumb_width, height), interpolation=cv2.INTER_AREA)
            if len(thumbs) == len(wanted):
                break
    if not thumbs:
        raise ValueError(f"No keyframes could be read from {source} for a contact sheet.")
    rows = -(-len(shots) // columns)
    sheet = np.full((rows * (height + 24), min(columns, len(shots)) * thumb_width, 3), 255, np.uint8)
    for i, shot in enumerate(shots):
        r, c = divmod(i, columns)
        y, x = r * (height + 24), c * thumb_width
        if i in thumbs:
            sheet[y:y + height, x:x + thumb_width] = thumbs[i]
        label = f"#{i + 1} {shot['start_time']:.2f}-{shot['end_time']:.2f}s"
        cv2.putText(sheet, label, (x + 4, y + height + 17), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 1,
                    cv2.LINE_AA)
    out.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(out), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR)):
        raise ValueError(f"Could not write the contact sheet to {out} (expected a .png path).")
    return out
