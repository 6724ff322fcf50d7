"""Video frame analysis: streaming decoding, shot boundaries, frame embeddings, clip classifiers.

Public names are imported lazily by the submodules; ``import apps.video_analysis`` stays light.
"""

from apps.video_analysis.reader import Frame, VideoInfo, VideoReadError, VideoReader, probe, read_frames

__all__ = ["Frame", "VideoInfo", "VideoReadError", "VideoReader", "probe", "read_frames"]
