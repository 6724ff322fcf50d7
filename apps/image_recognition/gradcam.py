"""Grad-CAM (Selvaraju et al. 2017) and first-layer filters / feature maps.

The classifier is split at the backbone's last convolution: ``features = to_conv(x)`` and
``logits = head(features)``, both plain Keras models. The gradient of the class logit with
respect to ``features`` is taken with the active backend's autodiff (``tf.GradientTape`` on
TensorFlow, ``jax.grad`` on JAX); other backends get a clear error.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import keras
import numpy as np

from apps.image_recognition import data as image_data
from apps.image_recognition import model as image_model


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


class GradCAM:
    """Class-activation heatmaps for a classifier built on a ``shared.Backbone``.

    Example::

        cam = GradCAM(model)
        heatmaps, predicted = cam(images)     # images: (N, H, W, C) raw pixels
    """

    def __init__(self, model, layer_name=None):
        self.model = model
        self.backbone = image_model.find_backbone(model)
        front = model.backbone
        self.pre_layers = []
        if front is not self.backbone:
            for layer in front.layers:
                if layer is self.backbone:
                    break
                if not isinstance(layer, keras.layers.InputLayer):
                    self.pre_layers.append(layer)
        self.head_layers = []
        seen_front = False
        for layer in model.layers:
            if layer is front:
                seen_front = True
                continue
            if seen_front and layer.name != "predictions":
                self.head_layers.append(layer)
        if not seen_front or not self.head_layers or self.head_layers[-1].name != "logits":
            raise ValueError(f"Model {model.name!r} is not a shared.Classifier with a 'logits' layer.")
        self.layer_name = layer_name or image_model.last_feature_map_layer(self.backbone)
        conv_output = self.backbone.get_layer(self.layer_name).output
        self.to_conv = keras.Model(self.backbone.input, conv_output, name="gradcam_features")
        self.tail = keras.Model(conv_output, self.backbone.output, name="gradcam_tail")

    def features(self, images):
        x = keras.ops.convert_to_tensor(np.asarray(images, dtype="float32"))
        for layer in self.pre_layers:
            x = layer(x, training=False)
        return self.to_conv(x, training=False)

    def logits(self, features):
        x = self.tail(features, training=False)
        for layer in self.head_layers:
            x = layer(x, training=False)
        return x

    def gradients(self, features, class_index):
        backend = keras.backend.backend()
        class_index = np.asarray(class_index, dtype="int32")
        if backend == "tensorflow":
            import tensorflow as tf

            with tf.GradientTape() as tape:
                tape.watch(features)
                logits = self.logits(features)
                score = tf.reduce_sum(tf.gather(logits, class_index, axis=1, batch_dims=1))
            return tape.gradient(score, features)
        if backend == "jax":
            import jax
            import jax.numpy as jnp

            def score(f):
                logits = self.logits(f)
                return jnp.sum(jnp.take_along_axis(logits, jnp.asarray(class_index)[:, None], axis=1))

            return jax.grad(score)(features)
        raise ValueError(f"Grad-CAM supports the tensorflow and jax backends; KERAS_BACKEND is {backend!r}.")

    def __call__(self, images, class_index=None):
        """Heatmaps in [0, 1] at the input resolution, and the class each one explains."""
        images = np.asarray(images, dtype="float32")
        features = self.features(images)
        if class_index is None:
            class_index = keras.ops.convert_to_numpy(self.logits(features)).argmax(axis=1)
        class_index = np.broadcast_to(np.asarray(class_index, dtype="int32"), (len(images),))
        grads = keras.ops.convert_to_numpy(self.gradients(features, class_index))
        maps = keras.ops.convert_to_numpy(features)
        weights = grads.mean(axis=(1, 2), keepdims=True)
        cams = np.maximum((weights * maps).sum(axis=-1), 0.0)
        height, width = images.shape[1:3]
        heatmaps = []
        for cam in cams:
            top = cam.max()
            cam = cam / top if top > 0 else cam
            heatmaps.append(cv2.resize(cam.astype("float32"), (width, height), interpolation=cv2.INTER_LINEAR))
        return np.clip(np.stack(heatmaps), 0.0, 1.0), np.asarray(class_index)


def overlay(image, heatmap, alpha=0.45):
    """Blend a jet-colored heatmap over an RGB/grey uint8 image (returns RGB uint8)."""
    image = image_data.convert_channels(np.asarray(image, dtype=np.uint8), 3)
    color = cv2.applyColorMap(np.uint8(255 * heatmap), cv2.COLORMAP_JET)
    color = cv2.cvtColor(color, cv2.COLOR_BGR2RGB)
    return np.uint8(np.clip((1 - alpha) * image + alpha * color, 0, 255))


def first_conv_layer(backbone):
    for layer in backbone.layers:
        if isinstance(layer, keras.layers.Conv2D):
            return layer
    raise ValueError(f"Backbone {backbone.name!r} has no Conv2D layer.")


def plot_filters(model, path, limit=64):
    """The first convolution's kernels as small images (RGB for color input)."""
    plt = _plt()
    conv = first_conv_layer(image_model.find_backbone(model))
    kernel = keras.ops.convert_to_numpy(conv.kernel)  # (kh, kw, in, out)
    def draw(axis, index):
        k = kernel[..., index]
        k = (k - k.min()) / (k.max() - k.min() + 1e-8)
        axis.imshow(k[..., 0] if k.shape[-1] != 3 else k, cmap="gray" if k.shape[-1] != 3 else None)

    return _save_grid(plt, min(limit, kernel.shape[-1]), 1.2, draw,
                      f"{conv.name}: {kernel.shape[0]}x{kernel.shape[1]} filters", path)


def plot_feature_maps(model, image, path, limit=32):
    """The first convolution block's activations for one image."""
    plt = _plt()
    cam = GradCAM(model)
    backbone = cam.backbone
    conv = first_conv_layer(backbone)
    label = conv.name[: -len("_conv")] if conv.name.endswith("_conv") else conv.name
    try:
        target = backbone.get_layer(f"{label}_act").output
    except ValueError:
        target = conv.output
    probe = keras.Model(backbone.input, target)
    x = keras.ops.convert_to_tensor(np.asarray(image, dtype="float32")[None])
    for layer in cam.pre_layers:
        x = layer(x, training=False)
    maps = keras.ops.convert_to_numpy(probe(x, training=False))[0]
    return _save_grid(plt, min(limit, maps.shape[-1]), 1.4,
                      lambda axis, index: axis.imshow(maps[..., index], cmap="viridis"),
                      "first-layer feature maps", path)


def _save_grid(plt, count, cell_inches, draw, title, path):
    """A PNG grid of ``count`` panels, 8 per row; ``draw(axis, index)`` fills one panel."""
    columns = min(8, count)
    rows = -(-count // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(cell_inches * columns, cell_inches * rows), squeeze=False)
    for index, axis in enumerate(axes.ravel()):
        axis.axis("off")
        if index < count:
            draw(axis, index)
    figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return Path(path)


def explain_files(model, class_names, files, out_dir, class_name=None):
    """Grad-CAM overlay PNG per file, plus first-layer filters and feature maps."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    image_size, channels = image_model.model_input_spec(model)
    skipped = image_data.SkipLog()
    images, kept = [], []
    for indices, batch in image_data.iterate_files(files, image_size, channels, skipped=skipped):
        images.append(batch)
        kept += [files[i] for i in indices]
    if not images:
        raise ValueError(f"None of the {len(files)} files could be read as images: {skipped.files[:5]}.")
    images = np.concatenate(images)
    target = None
    if class_name is not None:
        if class_name not in class_names:
            raise ValueError(f"--class {class_name!r} is not a model class; classes are {class_names}.")
        target = class_names.index(class_name)
    cam = GradCAM(model)
    heatmaps, explained = cam(images, target)
    probabilities = model.predict(images.astype("float32"), verbose=0)
    plt = _plt()
    rows = []
    for index, (file, image, heatmap) in enumerate(zip(kept, images, heatmaps)):
        label = class_names[int(explained[index])]
        figure, axes = plt.subplots(1, 2, figsize=(6, 3.2))
        axes[0].imshow(image[..., 0] if image.shape[-1] == 1 else image, cmap="gray" if image.shape[-1] == 1 else None)
        axes[0].set_title("input")
        axes[1].imshow(overlay(image, heatmap))
        axes[1].set_title(f"Grad-CAM: {label} ({probabilities[index, explained[index]]:.2f})")
        for axis in axes:
            axis.axis("off")
        figure.tight_layout()
        target_path = out / f"gradcam_{index:03d}_{Path(file).stem}.png"
        figure.savefig(target_path, dpi=100)
        plt.close(figure)
        rows.append({"file": str(file), "explained_class": label,
                     "probability": float(probabilities[index, explained[index]]), "png": str(target_path)})
    filters_png = plot_filters(model, out / "first_layer_filters.png")
    maps_png = plot_feature_maps(model, images[0], out / "first_layer_feature_maps.png")
    return {"images": rows, "filters_png": str(filters_png), "feature_maps_png": str(maps_png),
            "layer": cam.layer_name, "skipped_files": skipped.count, "skipped_names": skipped.files,
            "skipped_reasons": skipped.reason_counts()}
