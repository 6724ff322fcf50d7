"""Classic baseline: HSV color-histogram distance between consecutive frames.

A cut is declared where the Bhattacharyya distance between the HSV histograms of a frame
and the previous one exceeds ``threshold``, at least ``min_shot_length`` frames after the
previous cut. It cannot see gradual transitions and fires on flashes: that is the point
of the comparison.
"""

from __future__ import annotations

import cv2
import numpy as np

from apps.video_analysis.reader import VideoReader
from apps.video_analysis.shots import ShotResult


class HistogramDetector:
    def __init__(self, threshold: float = 0.4, min_shot_length: int = 8, bins=(16, 4, 4),
                 size=(96, 54)):
        self.threshold = threshold
        self.min_shot_length = min_shot_length
        self.bins = bins
        self.size = size

    def histogram(self, image: np.ndarray) -> np.ndarray:
        hsv = cv2.cvtColor(image, cv2.COLOR_RGB2HSV)
        hist = cv2.calcHist([hsv], [0, 1, 2], None, list(self.bins), [0, 180, 0, 256, 0, 256])
        return cv2.normalize(hist, hist).flatten()

    def distances(self, source, progress: bool = False):
        """(frame indices, distance to the previous frame) over the whole stream."""
        reader = VideoReader(source, size=self.size)
        indices, values, previous = [], [], None
        for frame in reader:
            hist = self.histogram(frame.image)
            values.append(0.0 if previous is None else cv2.compareHist(previous, hist, cv2.HISTCMP_BHATTACHARYYA))
            indices.append(frame.index)
            previous = hist
        return np.array(indices, int), np.array(values, np.float32), reader

    def detect(self, source) -> ShotResult:
        indices, values, reader = self.distances(source)
        transitions, last = [], -10 ** 9
        for index, value in zip(indices, values):
            if index > 0 and value > self.threshold and index - last >= self.min_shot_length:
                transitions.append({
                    "start_frame": int(index), "end_frame": int(index), "type": "hard_cut",
                    "confidence": round(float(min(1.0, value)), 4),
                    "start_time": round(index / reader.fps, 4), "end_time": round((index + 1) / reader.fps, 4),
                })
                last = index
        return ShotResult(int(reader.frames_read), reader.fps, transitions, str(source), "histogram",
                          ended_early=reader.ended_early)
