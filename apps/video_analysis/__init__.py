"""Video frame analysis: streaming decoding, shot boundaries, frame embeddings, clip classifiers.

Every public name loads on first use, so that ``import apps.video_analysis`` (and
``cnnkit video --help``) starts neither OpenCV nor Keras.
"""

import importlib

_EXPORTS = {name: "reader" for name in ("Frame", "VideoInfo", "VideoReadError", "VideoReader", "probe", "read_frames")}
__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name in _EXPORTS:
        module = importlib.import_module(f"apps.video_analysis.{_EXPORTS[name]}")
        return getattr(module, name)
    raise AttributeError(f"module 'apps.video_analysis' has no attribute {name!r}")
