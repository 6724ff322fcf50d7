"""The learned detector: the trained TransNet-style network run over a whole video, streaming.

Frames are decoded at 48x27; the per-frame network runs once per frame, in batches, and the
temporal head runs over chunks of the feature sequence with enough context on each side
for its dilated convolutions (zero features beyond the video's ends). Away from the ends
the result equals the windowed network the detector was trained as; memory stays constant.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from apps.video_analysis.presets import DEFAULT_PRESET
from apps.video_analysis.reader import VideoReader, prefetch
from apps.video_analysis.shots import ShotResult, transitions_from_probabilities


def is_shot_detector(model) -> bool:
    """Whether ``model`` is a shot-boundary network (``models.build_shot_detector``)."""
    names = {layer.name for layer in model.layers}
    return {"per_frame", "transition_type"} <= names


def detector_file(path=None) -> Path:
    """The ``.keras`` file of a detector: a file, or a preset name (default: the shipped preset,
    checksum checked)."""
    from shared.presets import is_preset, preset_file, preset_metadata

    spec = DEFAULT_PRESET if path is None else path
    if is_preset(str(spec)):
        app = preset_metadata(str(spec))["app"]
        if app != "video":
            raise ValueError(f"Preset {spec!r} belongs to the {app} app, not a shot detector "
                             "(`cnnkit presets --app video` lists the video presets).")
        path = preset_file(str(spec))
    else:
        path = Path(spec)
        if not path.is_file():
            raise FileNotFoundError(
                f"Shot detector weights not found: {path} is neither a file nor a preset name "
                "(`cnnkit presets --app video`). Train a detector with `cnnkit video train-shots --out PATH`."
            )
    return path


def load_detector_model(path=None):
    """Load a detector: a ``.keras`` file or a preset name (default: the shipped preset, checksum checked)."""
    import keras

    import apps.video_analysis.models.shots  # noqa: F401  (registers FrameDifference)

    path = detector_file(path)
    model = keras.saving.load_model(path, compile=False)
    if not is_shot_detector(model):
        raise ValueError(f"{path} is not a shot detector (it has no per-frame network and transition head); "
                         "expected a model written by `cnnkit video train-shots` or a video preset.")
    return model


def split_detector(model):
    """(frame model, temporal model) sharing the detector's weights.

    The frame model maps (frame, previous frame) thumbnails to per-frame features; the temporal
    model maps a feature sequence of any length to per-frame class probabilities. Running them
    separately computes each frame's features once instead of once per overlapping window.
    """
    import keras

    encoder = model.get_layer("per_frame").layer
    height, width, channels = encoder.input_shape[1:]
    current = keras.Input((height, width, channels // 2), name="frame")
    previous = keras.Input((height, width, channels // 2), name="previous_frame")
    scaled = keras.layers.Rescaling(1.0 / 255.0)(current)
    scaled_previous = keras.layers.Rescaling(1.0 / 255.0)(previous)
    difference = keras.layers.Subtract()([scaled, scaled_previous])
    features = encoder(keras.layers.Concatenate()([scaled, difference]))
    frame_model = keras.Model([current, previous], features, name="frame_features")

    sequence = keras.Input((None, int(encoder.output_shape[-1])), name="features")
    x = sequence
    index = 1
    while True:
        try:
            conv = model.get_layer(f"temporal_conv{index}")
        except ValueError:
            break
        y = conv(x)
        x = y if x.shape[-1] != y.shape[-1] else keras.layers.Add()([x, y])
        index += 1
    outputs = model.get_layer("transition_type")(x)
    temporal_model = keras.Model(sequence, outputs, name="temporal_head")
    dilations = [model.get_layer(f"temporal_conv{i}").dilation_rate for i in range(1, index)]
    return frame_model, temporal_model, temporal_context(dilations)


def temporal_context(dilations) -> int:
    """Frames of context each side that the temporal head's size-3 convolutions of ``dilations`` need."""
    receptive = 1 + sum(2 * int(d[0] if isinstance(d, (list, tuple)) else d) for d in dilations)
    return receptive // 2 + 1


def _open_exported(path, runtime):
    """``(frame model, temporal model, context)`` from the detector file's ONNX export, or None."""
    from apps.video_analysis.presets import INFERENCE_PARTS
    from shared.runtime import open_exported

    parts = open_exported(path, runtime, parts=INFERENCE_PARTS)
    if parts is None:
        return None
    layers = {layer["config"]["name"]: layer["config"] for layer in parts["frame"].config.get("layers", [])}
    if not {"per_frame", "transition_type"} <= set(layers):
        raise ValueError(f"{path} is not a shot detector (it has no per-frame network and transition head).")
    dilations = [layers[name]["dilation_rate"] for name in sorted(layers) if name.startswith("temporal_conv")]
    return parts["frame"], parts["temporal"], temporal_context(dilations)


class ShotDetector:
    """CNN shot-boundary detector (``detect(source) -> ShotResult``), PySceneDetect-style.

    Args:
        model: a detector model, a path to its ``.keras`` file or a preset name (default: the
            shipped preset).
        threshold: transition probability above which frames belong to a transition (the
            default was chosen on validation edits, ``python -m benchmarks.video_threshold``).
        batch_size: frames per forward pass of the per-frame network.
        chunk: frames per pass of the temporal head (plus context on each side).
        runtime: ``auto`` runs a file's ONNX export when there is one (no Keras import,
            ``shared.runtime``), ``onnx`` requires it, ``keras`` loads the model with Keras.
    """

    def __init__(self, model=None, threshold: float = 0.8, batch_size: int = 64, chunk: int = 256,
                 runtime: str = "keras"):
        self.threshold = threshold
        self.batch_size = batch_size
        self.chunk = chunk
        self.runtime = "keras"
        if model is None or isinstance(model, (str, Path)):
            exported = _open_exported(detector_file(model), runtime)
            if exported is not None:
                self.frame_model, self.temporal_model, self.context = exported
                self.runtime = "onnx"
                _, height, width, _ = self.frame_model.input_shapes[0]
                self.frame_size = (int(width), int(height))
                self.classes = int(self.temporal_model.session.get_outputs()[0].shape[-1])
                return
            model = load_detector_model(model)
        self.frame_size = (int(model.input_shape[3]), int(model.input_shape[2]))
        self.classes = int(model.output_shape[-1])
        self.frame_model, self.temporal_model, self.context = split_detector(model)

    def _features(self, frames):
        """Per-frame features for an iterable of thumbnails, in batches (a generator)."""
        previous_last = None
        batch = []

        def run(images, previous_last):
            current = np.stack(images).astype("float32")
            previous = np.concatenate([current[:1] if previous_last is None else previous_last[None], current[:-1]])
            count = len(current)
            if count < self.batch_size:  # one fixed batch shape: no retracing for the last batch
                pad = ((0, self.batch_size - count),) + ((0, 0),) * 3
                current, previous = np.pad(current, pad), np.pad(previous, pad)
            return np.asarray(self.frame_model.predict_on_batch([current, previous]), np.float32)[:count]

        for image in frames:
            batch.append(image)
            if len(batch) == self.batch_size:
                yield run(batch, previous_last)
                previous_last = np.asarray(batch[-1], np.float32)
                batch = []
        if batch:
            yield run(batch, previous_last)

    def probabilities_from_frames(self, frames):
        """Per-frame class probabilities (N, classes) for an iterable of (H, W, 3) thumbnails.

        Features stream through the temporal head in chunks with ``context`` frames of overlap
        each side; the video's ends are padded with zero features, close to the zero ("same")
        padding at the edges of the training windows.
        """
        c = self.context
        buffer = None  # features not yet emitted, with c frames of left context in front
        outputs = []
        total = 0
        for features in self._features(frames):
            total += len(features)
            if buffer is None:  # zeros, like the "same" padding the network was trained with
                buffer = np.concatenate([np.zeros((c,) + features.shape[1:], features.dtype), features])
            else:
                buffer = np.concatenate([buffer, features])
            while len(buffer) >= self.chunk + 2 * c:
                window = buffer[:self.chunk + 2 * c]
                result = np.asarray(self.temporal_model.predict_on_batch(window[None]))[0]
                outputs.append(result[c:c + self.chunk])
                buffer = buffer[self.chunk:]
        if buffer is None:
            return np.zeros((0, self.classes), np.float32)
        remaining = len(buffer) - c
        if remaining > 0:  # pad to the usual chunk length (same shape, no retracing)
            window = np.concatenate([buffer, np.zeros((self.chunk + 2 * c - len(buffer),) + buffer.shape[1:],
                                                      buffer.dtype)])
            result = np.asarray(self.temporal_model.predict_on_batch(window[None]))[0]
            outputs.append(result[c:c + remaining])
        return np.concatenate(outputs)[:total]

    def detect(self, source, threshold: float | None = None) -> ShotResult:
        reader = VideoReader(source, size=self.frame_size)
        probabilities = self.probabilities_from_frames(prefetch((frame.image for frame in reader), 2 * self.batch_size))
        transitions = transitions_from_probabilities(
            probabilities, reader.fps, self.threshold if threshold is None else threshold
        )
        result = ShotResult(int(reader.frames_read), reader.fps, transitions, str(source), "cnn",
                            ended_early=reader.ended_early)
        result.probabilities = 1.0 - probabilities[:, 0] if len(probabilities) else np.zeros(0)
        result.class_probabilities = probabilities
        return result

