"""Models: architectures, preprocessing front, .keras round trip, Grad-CAM, export."""

import keras
import numpy as np
import pytest

from apps.image_recognition import evaluate, export, gradcam, models


def _tiny(num_classes=3, input_shape=(16, 16, 1), augment="translate,rotate"):
    return models.build_classifier("convnet", input_shape, num_classes, mean=[100.0], variance=[900.0],
                                   augment=augment, backbone_kwargs={"width": 4})


@pytest.mark.parametrize("arch", ["convnet", "resnet_small", "airbench", "airbench94", "lenet5", "all_conv",
                                  "googlenet"])
def test_architectures_build_and_predict(arch):
    model = models.build_classifier(arch, (32, 32, 3), 4, augment="flip,crop")
    out = model.predict(np.random.default_rng(0).uniform(0, 255, (2, 32, 32, 3)).astype("float32"), verbose=0)
    assert out.shape == (2, 4)
    np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-5)
    assert models.find_backbone(model).name in (arch, "resnet_small", "convnet", "airbench")


def test_airbench94_pools_between_the_two_convolutions_of_each_group():
    backbone = models.build_backbone("airbench94", (32, 32, 3), width=8)
    assert backbone.count_params() > 0
    # conv (32x32) -> pool -> conv (16x16): the second convolution of a group runs pooled.
    assert backbone.get_layer("stage1_block1_conv").output.shape[1:3] == (32, 32)
    assert backbone.get_layer("stage2_block1_conv").output.shape[1:3] == (16, 16)
    assert backbone.get_layer("stage6_block1_conv").output.shape[1:] == (4, 4, 32)
    assert backbone.output.shape[1:] == (32,)


def test_unknown_arch_and_augment():
    with pytest.raises(ValueError, match="Unknown architecture 'nope'"):
        models.build_backbone("nope", (8, 8, 1))
    with pytest.raises(ValueError, match="Unknown augmentation"):
        models.parse_augment("flip,sparkle")


def test_crop_shifts_whole_pixels_and_translate_sub_pixels():
    """CIFAR's pad-and-crop keeps every training pixel a real pixel (no bilinear blur)."""
    x = np.random.default_rng(0).uniform(1, 2, (8, 32, 32, 3)).astype("float32")
    original_or_fill = np.append(x.ravel(), 0.0)
    crop = models.augmentation_layers("crop", seed=3)[0]
    cropped = keras.ops.convert_to_numpy(crop(x, training=True))
    assert np.isin(cropped, original_or_fill).all()
    assert not np.array_equal(cropped, x)  # it did shift
    translate = models.augmentation_layers("translate", seed=3)[0]
    translated = keras.ops.convert_to_numpy(translate(x, training=True))
    assert np.isin(translated, original_or_fill).mean() < 0.5  # interpolated values


def test_normalization_uses_training_statistics():
    model = _tiny(augment=None)
    layer = model.backbone.get_layer("normalize")
    out = keras.ops.convert_to_numpy(layer(np.full((1, 16, 16, 1), 130.0, "float32")))
    np.testing.assert_allclose(out, 1.0, rtol=1e-5)  # (130 - 100) / sqrt(900)


def test_keras_round_trip_identical_predictions(tmp_path):
    model = _tiny()
    x = np.random.default_rng(1).uniform(0, 255, (5, 16, 16, 1)).astype("float32")
    model.fit(x, np.array([0, 1, 2, 0, 1]), epochs=1, verbose=0)
    # Augmentation runs only in fit(): a direct call equals predict().
    np.testing.assert_allclose(keras.ops.convert_to_numpy(model(x)), model.predict(x, verbose=0), atol=1e-6)
    path = models.save_classifier(model, tmp_path / "run" / "model.keras", ["a", "b", "c"])
    loaded, names = models.load_classifier(path)
    assert names == ["a", "b", "c"]
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)
    with pytest.raises(ValueError, match="no such file"):
        models.load_classifier(tmp_path / "missing.keras")


def test_gradcam_matches_model_and_is_normalised():
    model = _tiny()
    x = np.random.default_rng(2).uniform(0, 255, (3, 16, 16, 1)).astype("float32")
    cam = gradcam.GradCAM(model)
    logits = keras.ops.convert_to_numpy(cam.logits(cam.features(x)))
    expected = keras.ops.convert_to_numpy(model.logits_model()(x, training=False))
    np.testing.assert_allclose(logits, expected, atol=1e-4)
    heatmaps, explained = cam(x)
    assert heatmaps.shape == (3, 16, 16) and heatmaps.min() >= 0 and heatmaps.max() <= 1
    np.testing.assert_array_equal(explained, model.predict(x, verbose=0).argmax(axis=1))


def test_gradcam_localises_the_evidence():
    """A model whose class-1 logit is the mean of the top-left quarter of the image puts the heat there."""
    keras.utils.set_random_seed(0)  # independent of which tests ran before
    model = models.build_classifier("convnet", (16, 16, 1), 2, augment=None, backbone_kwargs={"width": 4})
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 255, (64, 16, 16, 1)).astype("float32")
    x[:32, :8, :8] += 200.0
    y = np.array([1] * 32 + [0] * 32)
    model.fit(x, y, epochs=6, batch_size=16, verbose=0)
    heat, _ = gradcam.GradCAM(model)(x[:4], class_index=1)
    assert heat[:, :8, :8].mean() > heat[:, 8:, 8:].mean()


def test_evaluation_helpers_on_known_values():
    probabilities = np.array([[0.9, 0.1], [0.2, 0.8], [0.99, 0.01], [0.6, 0.4]])
    y = np.array([0, 0, 1, 1])
    np.testing.assert_array_equal(evaluate.worst_mistakes(y, probabilities, 5), [2, 1, 3])
    mapping = evaluate.check_class_match(["cat", "dog", "eel"], ["dog", "cat"], "folder")
    np.testing.assert_array_equal(mapping, [1, 0])
    with pytest.raises(ValueError, match=r"class\(es\) \['fox'\]"):
        evaluate.check_class_match(["cat", "dog"], ["cat", "fox"], "folder")
    rows = [{"file": "a.png", "top": [{"label": "cat", "probability": 0.75}, {"label": "dog", "probability": 0.25}]}]
    assert evaluate.format_predictions(rows, "csv").splitlines() == [
        "file,label1,probability1,label2,probability2", "a.png,cat,0.750000,dog,0.250000"]


def test_export_formats(tmp_path):
    model = _tiny(augment=None)
    path = export.export_model(model, tmp_path / "k", "keras", ["a", "b", "c"])
    assert path.name == "model.keras" and (tmp_path / "k" / "class_names.json").exists()
    with pytest.raises(ValueError, match="Unknown --format"):
        export.export_model(model, tmp_path / "x", "onnx")
    if keras.backend.backend() == "tensorflow":
        saved = export.export_model(model, tmp_path / "sm", "savedmodel", ["a", "b", "c"])
        assert (saved / "saved_model.pb").exists() and (saved / "labels.txt").read_text().split() == ["a", "b", "c"]


class CornerPixelModel(keras.Model):
    """A 2-class 'model' whose score is the image's top-left pixel: easy to predict by hand."""

    def __init__(self):
        super().__init__(name="corner_pixel")

    def call(self, x):
        corner = x[:, 0, 0, 0]
        return keras.ops.stack([corner, 1.0 - corner], axis=1)


def test_tta_views_average_as_airbench_does():
    from apps.image_recognition.tta import predict_with_tta

    x = np.zeros((1, 3, 3, 1), "float32")
    x[0, :, :, 0] = [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6], [0.7, 0.8, 0.9]]
    model = CornerPixelModel()
    np.testing.assert_allclose(predict_with_tta(model, x, "none")[0, 0], 0.1, rtol=1e-6)
    np.testing.assert_allclose(predict_with_tta(model, x, "flip")[0, 0], (0.1 + 0.3) / 2, rtol=1e-6)
    # shifted views with reflect padding: up-left corner is x[1, 1] = 0.5, its mirror x[1, 1] too;
    # down-right starts at x[1, 1] = 0.5, its mirror at x[1, 1] = 0.5.
    flip = (0.1 + 0.3) / 2
    np.testing.assert_allclose(predict_with_tta(model, x, "flip_translate")[0, 0], 0.5 * flip + 0.5 * 0.5, rtol=1e-6)
    with pytest.raises(ValueError, match="Unknown test-time augmentation 'rotate'"):
        predict_with_tta(model, x, "rotate")
    with pytest.raises(ValueError, match=r"needs images shaped \(N, H, W, C\)"):
        predict_with_tta(model, x[0], "flip")


def test_command_line_architecture_names_match_the_builders():
    from apps.image_recognition.option_names import ARCHITECTURE_NAMES

    assert tuple(models.ARCHITECTURES) == ARCHITECTURE_NAMES
