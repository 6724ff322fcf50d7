"""The video app's networks: the shot-boundary detector and the clip classifiers."""

from apps.video_analysis.models.clips import (
    ARCHITECTURES,
    build_clip_classifier,
    clip_backbone,
    load_clip_classifier,
    metadata_path,
    save_clip_classifier,
)
from apps.video_analysis.models.shots import (
    CONTEXT,
    FRAME_SIZE,
    WINDOW,
    FrameDifference,
    build_shot_detector,
    frame_encoder,
)

__all__ = [
    "ARCHITECTURES", "CONTEXT", "FRAME_SIZE", "WINDOW", "FrameDifference", "build_clip_classifier",
    "build_shot_detector", "clip_backbone", "frame_encoder", "load_clip_classifier", "metadata_path",
    "save_clip_classifier",
]
