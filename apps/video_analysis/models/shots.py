"""TransNet-style shot-boundary network: a window of small frames -> per-frame transition class.

Soucek et al. (TransNet 2019, TransNet V2 2020) classify every frame of a 100-frame window of
48x27 thumbnails. Here the per-frame features come from ``shared.Backbone`` applied with
``TimeDistributed`` to each frame and its difference from the previous frame; dilated
temporal convolutions then look +-15 frames around each frame, and a softmax over
``edits.TYPES`` (none, hard_cut, dissolve, fade, wipe) gives both the transition
probability (1 - p(none)) and its type.
"""

from __future__ import annotations

import keras
from keras import ops

from shared import Backbone

FRAME_SIZE = (48, 27)  # (width, height) of the thumbnails, as in TransNet
WINDOW = 64
CONTEXT = 16  # frames of context each side that a window's outputs are not trusted for


@keras.saving.register_keras_serializable(package="cnnkit")
class FrameDifference(keras.layers.Layer):
    """Append ``x[t] - x[t-1]`` (zero for the first frame) to the channels of a frame sequence."""

    def call(self, inputs):
        previous = ops.concatenate([inputs[:, :1], inputs[:, :-1]], axis=1)
        return ops.concatenate([inputs, inputs - previous], axis=-1)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (input_shape[-1] * 2,)


def build_shot_detector(window: int = WINDOW, frame_size=FRAME_SIZE, filters=(8, 16, 32),
                        frame_units: int = 64, temporal_filters: int = 64, dilations=(1, 2, 4, 8),
                        num_classes: int = 5, learning_rate: float = 1e-3) -> keras.Model:
    """The detector: (batch, window, height, width, 3) uint8-range RGB -> (batch, window, classes)."""
    width, height = frame_size
    inputs = keras.Input((window, height, width, 3), name="frames")
    x = keras.layers.Rescaling(1.0 / 255.0, name="rescale")(inputs)
    x = FrameDifference(name="frame_difference")(x)
    frame_backbone = Backbone(
        (height, width, 6), filters=list(filters), pooling="max", batch_norm=True,
        global_pooling="avg", dense_units=(frame_units,), name="frame_backbone",
    )
    x = keras.layers.TimeDistributed(frame_backbone, name="per_frame")(x)
    for i, rate in enumerate(dilations):
        y = keras.layers.Conv1D(temporal_filters, 3, dilation_rate=rate, padding="same",
                                activation="relu", name=f"temporal_conv{i + 1}")(x)
        x = y if x.shape[-1] != temporal_filters else keras.layers.Add(name=f"temporal_add{i + 1}")([x, y])
    # float32 even under a mixed policy: a bfloat16 softmax rounds the small transition probabilities
    outputs = keras.layers.Conv1D(num_classes, 1, activation="softmax", dtype="float32", name="transition_type")(x)
    model = keras.Model(inputs, outputs, name="shot_detector")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                  loss=keras.losses.SparseCategoricalCrossentropy(),
                  weighted_metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")])
    return model


def frame_encoder(model: keras.Model) -> keras.Model:
    """The per-frame backbone inside a detector (a model from one frame+difference to features)."""
    return model.get_layer("per_frame").layer
