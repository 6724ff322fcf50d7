"""Per-frame embeddings from any trained backbone; near-duplicate removal and keyframes.

Any ``.keras`` model whose input is one image (H, W, C) works: a ``shared.Classifier``
contributes its backbone, feature maps are average-pooled. A clip classifier built with
``TimeDistributed`` contributes its per-frame backbone. A shot detector (by default the preset
``shot_detector``) contributes its per-frame network, its difference channels set to zero.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from apps.video_analysis.reader import VideoReader, prefetch


def _frame_model(model):
    import keras

    if hasattr(model, "backbone") and isinstance(model.backbone, keras.Model):
        model = model.backbone
    shape = model.input_shape
    if isinstance(shape, list):
        raise ValueError("Embedding needs a single-input model (one image per frame).")
    if len(shape) == 5:  # a clip model: use its per-frame network
        for layer in model._flatten_layers(include_self=False, recursive=True):
            if isinstance(layer, keras.layers.TimeDistributed) and isinstance(layer.layer, keras.Model):
                return _frame_model(layer.layer)
        raise ValueError("This clip model has no TimeDistributed per-frame backbone to embed frames with.")
    if len(shape) != 4:
        raise ValueError(f"Embedding needs a model with image input (H, W, C); got input shape {shape}.")
    output = model.output
    if len(output.shape) == 4:
        output = keras.layers.GlobalAveragePooling2D(name="embed_pool")(output)
        model = keras.Model(model.inputs, output)
    return model


def _detector_embedder(detector):
    """The frame network of a shot detector as an embedder of single frames."""
    import keras

    from apps.video_analysis.models.shots import frame_encoder

    encoder = frame_encoder(detector)
    # the pooled convolution features describe the frame's content; the dense layer after
    # them is tuned to changes between frames
    pooled = keras.Model(encoder.inputs, encoder.get_layer("global_avg_pool").output)
    height, width, _ = encoder.input_shape[1:]
    inputs = keras.Input((height, width, 3), name="frame")
    padded = keras.layers.Concatenate(name="zero_difference")([inputs, keras.ops.zeros_like(inputs)])
    return keras.Model(inputs, pooled(padded), name="frame_embedder")


def load_embedder(model_path=None):
    """(embedding model, scale) for a ``.keras`` path or a preset name (default: the frame network
    of the preset shot detector, as for any shot detector given).

    ``scale`` multiplies uint8 pixels before the model (1/255 when the model has no rescaling
    of its own, 1 when it has).
    """
    import keras

    from apps.video_analysis.detectors.network import is_shot_detector, load_detector_model
    from shared.presets import is_preset, preset_file

    if model_path is None:
        return _detector_embedder(load_detector_model()), 1.0 / 255.0
    path = preset_file(str(model_path)) if is_preset(str(model_path)) else Path(model_path)
    if not path.is_file():
        raise FileNotFoundError(f"Model file not found: {path}")
    try:
        import apps.video_analysis.models.shots  # noqa: F401  (custom layers)

        model = keras.saving.load_model(path, compile=False)
    except Exception as error:  # keras raises several types for a bad file
        raise ValueError(f"Could not load a Keras model from {path}: {error}") from error
    if is_shot_detector(model):
        return _detector_embedder(model), 1.0 / 255.0
    return _frame_model(model), 1.0 / 255.0


def embed_video(source, model=None, scale: float = 1.0 / 255.0, every: int = 1, target_fps=None,
                batch_size: int = 64, grayscale: bool | None = None, progress: bool = False):
    """(embeddings (N, D) float32, frame indices (N,), times (N,)), decoding as a stream."""
    from tqdm import tqdm

    if model is None:
        model, scale = load_embedder(None)
    height, width, channels = model.input_shape[1:]
    reader = VideoReader(source, every=every, target_fps=target_fps, size=(int(width), int(height)))
    grayscale = channels == 1 if grayscale is None else grayscale
    chunks, indices, times = [], [], []
    for images, index, time_s in tqdm(prefetch(reader.batches(batch_size), 4), disable=not progress, desc="embed",
                                     leave=False):  # decode the next batch while this one runs
        x = images.astype(np.float32) * scale
        if grayscale:
            x = x.mean(axis=-1, keepdims=True)
        count = len(x)
        if count < batch_size:  # keep one batch shape: no retracing for the last batch
            x = np.pad(x, ((0, batch_size - count),) + ((0, 0),) * 3)
        chunks.append(np.asarray(model.predict_on_batch(x), np.float32)[:count].reshape(count, -1))
        indices.append(index)
        times.append(time_s)
    if not chunks:
        return np.zeros((0, int(model.output_shape[-1])), np.float32), np.zeros(0, int), np.zeros(0)
    return np.concatenate(chunks), np.concatenate(indices), np.concatenate(times)


def _normalise(embeddings):
    norms = np.linalg.norm(embeddings, axis=1, keepdims=True)
    return embeddings / np.maximum(norms, 1e-12)


def remove_near_duplicates(embeddings, threshold: float = 0.98) -> np.ndarray:
    """Indices of frames kept: a frame is dropped when its cosine similarity to the last kept
    frame is at least ``threshold``."""
    if len(embeddings) == 0:
        return np.zeros(0, int)
    unit = _normalise(np.asarray(embeddings, np.float32))
    kept = [0]
    for i in range(1, len(unit)):
        if float(unit[i] @ unit[kept[-1]]) < threshold:
            kept.append(i)
    return np.array(kept, int)


def select_keyframes(embeddings, count: int, seed: int = 0) -> np.ndarray:
    """``count`` representative frames: k-means on the embeddings, the frame nearest each
    centre, returned in time order."""
    from sklearn.cluster import KMeans

    embeddings = np.asarray(embeddings, np.float32)
    if len(embeddings) == 0:
        return np.zeros(0, int)
    count = max(1, min(int(count), len(embeddings)))
    unit = _normalise(embeddings)
    kmeans = KMeans(n_clusters=count, n_init=4, random_state=seed).fit(unit)
    chosen = []
    for centre in kmeans.cluster_centers_:  # nearest frame not taken yet: ``count`` distinct frames
        order = np.argsort(((unit - centre) ** 2).sum(axis=1))
        chosen.append(int(next(i for i in order if i not in chosen)))
    return np.array(sorted(chosen), int)
