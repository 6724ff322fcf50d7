"""Test-time augmentation: average the predictions of a few transformed copies of each image.

``flip`` averages the image and its mirror; ``flip_translate`` is airbench's evaluation (Jordan
2024): half the flip average plus half the flip average of the image shifted one pixel up-left
and one pixel down-right (reflect padding). ``translate`` is the same without mirrors, for
images whose mirror is another class or none (digits, letters): half the image's prediction
plus half the average of its two shifted copies.
"""

from __future__ import annotations

import numpy as np

from apps.image_recognition.presets import TTA_MODES
from shared.runtime import predict_in_batches


def predict_arrays(model, x, batch_size=256):
    """Class probabilities of an image array, as float32 input (a Keras model or an ONNX export)."""
    return predict_in_batches(model, np.asarray(x, dtype="float32"), batch_size)


def _flip_average(model, x, batch_size, plain=None):
    plain = predict_arrays(model, x, batch_size) if plain is None else plain
    return 0.5 * (plain + predict_arrays(model, x[:, :, ::-1], batch_size))


def tta_probabilities(model, x, modes=TTA_MODES, batch_size=256) -> dict:
    """``{mode: probabilities}`` for each of ``modes``; every view is predicted only once."""
    unknown = [mode for mode in modes if mode not in TTA_MODES]
    if unknown:
        raise ValueError(f"Unknown test-time augmentation {unknown[0]!r}; expected one of {', '.join(TTA_MODES)}.")
    x = np.asarray(x)
    if x.ndim != 4:
        raise ValueError(f"Test-time augmentation needs images shaped (N, H, W, C), got {x.shape}.")
    results = {}
    plain = predict_arrays(model, x, batch_size)
    if "none" in modes:
        results["none"] = plain
    if "flip" in modes or "flip_translate" in modes:
        flip = _flip_average(model, x, batch_size, plain)
        if "flip" in modes:
            results["flip"] = flip
        if "flip_translate" in modes:
            translated = np.mean([_flip_average(model, view, batch_size) for view in _shifted_views(x)], axis=0)
            results["flip_translate"] = 0.5 * flip + 0.5 * translated
    if "translate" in modes:
        translated = np.mean([predict_arrays(model, view, batch_size) for view in _shifted_views(x)], axis=0)
        results["translate"] = 0.5 * plain + 0.5 * translated
    return results


def _shifted_views(x):
    """``x`` shifted one pixel up-left and one pixel down-right, reflect-padded (airbench's views)."""
    height, width = x.shape[1:3]
    padded = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)), mode="reflect")
    return [padded[:, :height, :width], padded[:, 2:height + 2, 2:width + 2]]


def predict_with_tta(model, x, mode="flip", batch_size=256):
    """Class probabilities of ``x`` (N, H, W, C) averaged over the views of ``mode``."""
    return tta_probabilities(model, x, (mode,), batch_size)[mode]
