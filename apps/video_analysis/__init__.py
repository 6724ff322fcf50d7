"""Video frame analysis: streaming decoding, shot boundaries, frame embeddings, clip classifiers.

Every public name loads on first use, so that ``import apps.video_analysis`` (and
``cnnkit video --help``) starts neither OpenCV nor Keras.
"""

from shared.lazy_names import lazy_attributes

_EXPORTS = {
    **{name: "reader" for name in ("Frame", "VideoInfo", "VideoReadError", "VideoReader", "probe", "read_frames")},
    **{name: "detectors" for name in ("HistogramDetector", "SceneDetectDetector", "ShotDetector", "make_detector")},
    **{name: "models" for name in ("build_clip_classifier", "build_shot_detector")},
    "ShotResult": "shots",
}
__all__ = sorted(_EXPORTS)


__getattr__ = lazy_attributes(__name__, _EXPORTS)
