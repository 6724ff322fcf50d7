"""Shot-boundary detectors, one module each, all with ``detect(source) -> ShotResult``.

* ``cnn`` (:class:`ShotDetector`, ``network.py``): the learned TransNet-style network.
* ``histogram`` (:class:`HistogramDetector`, ``histogram.py``): HSV colour-histogram distance.
* ``content`` / ``adaptive`` (:class:`SceneDetectDetector`, ``scenedetect.py``): PySceneDetect.
"""

from __future__ import annotations

from apps.video_analysis.detectors.histogram import HistogramDetector
from apps.video_analysis.detectors.network import ShotDetector, is_shot_detector, load_detector_model, split_detector
from apps.video_analysis.detectors.scenedetect import SceneDetectDetector, detect_with_scenedetect

DETECTORS = ("cnn", "histogram", "content", "adaptive")

__all__ = [
    "DETECTORS", "HistogramDetector", "SceneDetectDetector", "ShotDetector", "detect_with_scenedetect",
    "is_shot_detector", "load_detector_model", "make_detector", "split_detector",
]


def make_detector(name: str = "cnn", weights=None, threshold: float | None = None, runtime: str = "keras"):
    """The detector called ``name`` (one of :data:`DETECTORS`).

    ``weights`` (a ``.keras`` path or preset name) is for ``cnn`` only; ``threshold`` overrides
    the detector's own default (``cnn``: transition probability, ``histogram``: HSV distance);
    ``runtime`` is ``ShotDetector``'s (``cnn`` only).
    """
    if name not in DETECTORS:
        raise ValueError(f"Unknown shot detector {name!r}; expected one of {DETECTORS}.")
    options = {} if threshold is None else {"threshold": threshold}
    if name == "cnn":
        return ShotDetector(weights, runtime=runtime, **options)
    if name == "histogram":
        return HistogramDetector(**options)
    return SceneDetectDetector(name)
