"""Write an annotated copy of a video: shot number, per-shot label and score, transitions.

The input is decoded and the output written frame by frame with ``cv2.VideoWriter`` (mp4v),
so memory stays constant. Per-shot labels come from a clip classifier (evenly sampled
frames of each shot), or are just the shot numbers without one.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from apps.video_analysis.reader import VideoReader, VideoReadError
from apps.video_analysis.shots import ShotResult


def classify_shots(source, shots, model, class_names=None) -> list[tuple[str, float]]:
    """(label, probability) per shot from a clip classifier; samples its input's frame count."""
    frames, height, width, channels = (int(s) for s in model.input_shape[1:])
    wanted = {}
    for i, shot in enumerate(shots):
        picks = np.linspace(shot["start_frame"], shot["end_frame"], frames).round().astype(int)
        for slot, index in enumerate(picks):
            wanted.setdefault(int(index), []).append((i, slot))
    clips = np.zeros((len(shots), frames, height, width, channels), np.float32)
    for frame in VideoReader(source, size=(width, height)):
        for i, slot in wanted.get(frame.index, ()):
            image = frame.image.astype(np.float32) / 255.0
            clips[i, slot] = image.mean(axis=-1, keepdims=True) if channels == 1 else image
    if not len(shots):
        return []
    probabilities = np.asarray(model.predict(clips, verbose=0))
    names = class_names or [str(k) for k in range(probabilities.shape[1])]
    return [(names[int(np.argmax(p))], float(np.max(p))) for p in probabilities]


def annotate_video(source, out, result: ShotResult, shot_labels=None, fps: float | None = None) -> Path:
    """Draw shots, labels and transitions on every frame of ``source``; write ``out``."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    shots = result.shots
    starts = [s["start_frame"] for s in shots]
    reader = VideoReader(source)
    writer = None
    frames_written = 0
    probabilities = result.probabilities
    try:
        for frame in reader:
            image = cv2.cvtColor(frame.image, cv2.COLOR_RGB2BGR)
            if writer is None:
                height, width = image.shape[:2]
                writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"mp4v"), float(fps or reader.fps),
                                         (width, height))
                if not writer.isOpened():
                    raise VideoReadError(f"OpenCV could not open {out} for writing (codec mp4v).")
                scale = max(0.4, width / 900)
            shot = max(0, int(np.searchsorted(starts, frame.index, side="right")) - 1) if starts else 0
            text = f"shot {shot + 1}/{len(shots)}  t={frame.time_s:.2f}s  frame {frame.index}"
            if shot_labels:
                label, score = shot_labels[shot]
                text += f"  {label} ({score:.2f})"
            cv2.rectangle(image, (0, 0), (image.shape[1], int(28 * scale)), (0, 0, 0), -1)
            cv2.putText(image, text, (6, int(20 * scale)), cv2.FONT_HERSHEY_SIMPLEX, 0.5 * scale, (255, 255, 255),
                        1, cv2.LINE_AA)
            for transition in result.transitions:
                a, b = transition["start_frame"], transition["end_frame"]
                if a - 1 <= frame.index <= b + 1:
                    cv2.rectangle(image, (0, 0), (image.shape[1] - 1, image.shape[0] - 1), (0, 0, 255),
                                  max(2, int(4 * scale)))
                    cv2.putText(image, f"{transition['type']} {transition['confidence']:.2f}",
                                (6, image.shape[0] - int(10 * scale)), cv2.FONT_HERSHEY_SIMPLEX, 0.6 * scale,
                                (0, 0, 255), 2, cv2.LINE_AA)
            if probabilities is not None and frame.index < len(probabilities):
                bar = int(probabilities[frame.index] * (image.shape[1] - 12))
                cv2.rectangle(image, (6, int(32 * scale)), (6 + bar, int(38 * scale)), (0, 200, 255), -1)
            writer.write(image)
            frames_written += 1
    finally:
        if writer is not None:
            writer.release()
    if frames_written == 0:
        raise VideoReadError(f"{source} has no frames to annotate.")
    return out
