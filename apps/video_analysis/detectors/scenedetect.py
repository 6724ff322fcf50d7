"""PySceneDetect's ContentDetector / AdaptiveDetector, returned in this app's ShotResult form.

Used as the reference in the benchmark and selectable in ``cnnkit video shots --detector``.
"""

from __future__ import annotations

from apps.video_analysis.reader import probe
from apps.video_analysis.shots import ShotResult

DETECTORS = ("content", "adaptive")


def detect_with_scenedetect(source, detector: str = "content", **options) -> ShotResult:
    """Run PySceneDetect (OpenCV backend) on ``source``; each scene start > 0 is a hard cut."""
    from scenedetect import AdaptiveDetector, ContentDetector, SceneManager, open_video

    if detector not in DETECTORS:
        raise ValueError(f"Unknown PySceneDetect detector {detector!r}; expected one of {DETECTORS}.")
    info = probe(source)  # clear errors for missing / unreadable files
    video = open_video(str(source), backend="opencv")
    manager = SceneManager()
    manager.add_detector(ContentDetector(**options) if detector == "content" else AdaptiveDetector(**options))
    manager.detect_scenes(video, show_progress=False)
    fps = float(video.frame_rate or info.fps)
    frames = int(video.frame_number)
    transitions = []
    for start, _ in manager.get_scene_list(start_in_scene=True)[1:]:
        index = int(start.get_frames())
        transitions.append({
            "start_frame": index, "end_frame": index, "type": "hard_cut", "confidence": 1.0,
            "start_time": round(index / fps, 4), "end_time": round((index + 1) / fps, 4),
        })
    return ShotResult(frames, fps, transitions, str(source), f"pyscenedetect-{detector}")


class SceneDetectDetector:
    """:func:`detect_with_scenedetect` behind the common ``detect(source) -> ShotResult`` interface."""

    def __init__(self, detector: str = "content", **options):
        if detector not in DETECTORS:
            raise ValueError(f"Unknown PySceneDetect detector {detector!r}; expected one of {DETECTORS}.")
        self.detector = detector
        self.options = options

    def detect(self, source) -> ShotResult:
        return detect_with_scenedetect(source, self.detector, **self.options)
