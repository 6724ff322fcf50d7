"""Model: architectures, preprocessing front, .keras round trip, Grad-CAM, export."""

import keras
import numpy as np
import pytest

from apps.image_recognition import evaluate, export, gradcam
from apps.image_recognition import model as image_model
from tests.testing import run_model_saving_test


def _tiny(num_classes=3, input_shape=(16, 16, 1), augment="translate,rotate"):
    return image_model.build_classifier("convnet", input_shape, num_classes, mean=[100.0], variance=[900.0],
                                   augment=augment, backbone_kwargs={"width": 4})


@pytest.mark.parametrize("arch", ["convnet", "resnet_small", "airbench", "airbench94", "lenet5", "all_conv",
                                  "googlenet"])
def test_architectures_build_and_predict(arch):
    model = image_model.build_classifier(arch, (32, 32, 3), 4, augment="flip,crop")
    out = model.predict(np.random.default_rng(0).uniform(0, 255, (2, 32, 32, 3)).astype("float32"), verbose=0)
    assert out.shape == (2, 4)
    np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-5)
    assert image_model.find_backbone(model).name in (arch, "resnet_small", "convnet", "airbench")


def test_airbench94_pools_between_the_two_convolutions_of_each_group():
    backbone = image_model.build_backbone("airbench94", (32, 32, 3), width=8)
    assert backbone.count_params() > 0
    # conv (32x32) -> pool -> conv (16x16): the second convolution of a group runs pooled.
    assert backbone.get_layer("stage1_block1_conv").output.shape[1:3] == (32, 32)
    assert backbone.get_layer("stage2_block1_conv").output.shape[1:3] == (16, 16)
    assert backbone.get_layer("stage6_block1_conv").output.shape[1:] == (4, 4, 32)
    assert backbone.output.shape[1:] == (32,)


def test_unknown_arch_and_augment():
    with pytest.raises(ValueError, match="Unknown architecture 'nope'"):
        image_model.build_backbone("nope", (8, 8, 1))
    with pytest.raises(ValueError, match="Unknown augmentation"):
        image_model.parse_augment("flip,sparkle")


def test_crop_shifts_whole_pixels_and_translate_sub_pixels():
    """CIFAR's pad-and-crop keeps every training pixel a real pixel (no bilinear blur)."""
    x = np.random.default_rng(0).uniform(1, 2, (8, 32, 32, 3)).astype("float32")
    original_or_fill = np.append(x.ravel(), 0.0)
    crop = image_model.augmentation_layers("crop", seed=3)[0]
    cropped = keras.ops.convert_to_numpy(crop(x, training=True))
    assert np.isin(cropped, original_or_fill).all()
    assert not np.array_equal(cropped, x)  # it did shift
    translate = image_model.augmentation_layers("translate", seed=3)[0]
    translated = keras.ops.convert_to_numpy(translate(x, training=True))
    assert np.isin(translated, original_or_fill).mean() < 0.5  # interpolated values


def test_normalization_uses_training_statistics():
    model = _tiny(augment=None)
    layer = model.backbone.get_layer("normalize")
    out = keras.ops.convert_to_numpy(layer(np.full((1, 16, 16, 1), 130.0, "float32")))
    np.testing.assert_allclose(out, 1.0, rtol=1e-5)  # (130 - 100) / sqrt(900)


def test_keras_round_trip_identical_predictions(tmp_path):
    """``model.keras`` + ``class_names.json``: same class, names and outputs after reloading.

    (Not ``run_model_saving_test``: the preprocessing front is a nested functional model whose
    config holds tuples that come back from the file as lists, so the configs differ as objects.)
    """
    model = _tiny()
    x = np.random.default_rng(1).uniform(0, 255, (5, 16, 16, 1)).astype("float32")
    model.fit(x, np.array([0, 1, 2, 0, 1]), epochs=1, verbose=0)
    # Augmentation runs only in fit(): a direct call equals predict().
    np.testing.assert_allclose(keras.ops.convert_to_numpy(model(x)), model.predict(x, verbose=0), atol=1e-6)
    path = image_model.save_classifier(model, tmp_path / "run" / "model.keras", ["a", "b", "c"],
                                       extra={"arch": "convnet"})
    loaded, names = image_model.load_classifier(path)
    assert type(loaded) is type(model) and names == ["a", "b", "c"]
    assert image_model.saved_record(path)["arch"] == "convnet"
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)
    with pytest.raises(ValueError, match="no such file"):
        image_model.load_classifier(tmp_path / "missing.keras")
    with pytest.raises(ValueError, match="2 class names for a model with 3 outputs"):
        image_model.save_classifier(model, tmp_path / "bad" / "model.keras", ["a", "b"])


def test_backbone_round_trip(tmp_path):
    backbone = image_model.build_backbone("airbench94", (16, 16, 3), width=4)
    run_model_saving_test(backbone, np.random.default_rng(0).uniform(-1, 1, (2, 16, 16, 3)).astype("float32"),
                          tmp_path)


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
    model = image_model.build_classifier("convnet", (16, 16, 1), 2, augment=None, backbone_kwargs={"width": 4})
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
        export.export_model(model, tmp_path / "x", "pickle")
    if keras.backend.backend() == "tensorflow":
        saved = export.export_model(model, tmp_path / "sm", "savedmodel", ["a", "b", "c"])
        assert (saved / "saved_model.pb").exists() and (saved / "labels.txt").read_text().split() == ["a", "b", "c"]
        onnx_file = export.export_model(model, tmp_path / "o", "onnx", ["a", "b", "c"])
        assert onnx_file.name == "model.onnx" and (tmp_path / "o" / "labels.txt").read_text().split() == ["a", "b", "c"]
        import onnxruntime

        session = onnxruntime.InferenceSession(str(onnx_file))
        x = np.random.default_rng(0).uniform(0, 255, (2, *model.input_shape[1:])).astype("float32")
        np.testing.assert_allclose(session.run(None, {session.get_inputs()[0].name: x})[0],
                                   model.predict(x, verbose=0), atol=1e-5)


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
    # without mirrors: the image's corner 0.1, and both shifted views' corner 0.5
    np.testing.assert_allclose(predict_with_tta(model, x, "translate")[0, 0], 0.5 * 0.1 + 0.5 * 0.5, rtol=1e-6)
    with pytest.raises(ValueError, match="Unknown test-time augmentation 'rotate'"):
        predict_with_tta(model, x, "rotate")
    with pytest.raises(ValueError, match=r"needs images shaped \(N, H, W, C\)"):
        predict_with_tta(model, x[0], "flip")


def test_command_line_architecture_names_match_the_builders():
    from apps.image_recognition.presets import ARCHITECTURE_NAMES

    assert tuple(image_model.ARCHITECTURES) == ARCHITECTURE_NAMES


@pytest.mark.parametrize("name", ["mnist_convnet", "cifar10_airbench94"])
def test_presets_are_train_arguments_that_build(name):
    import inspect

    from apps.image_recognition.presets import NAMED_DATASETS, PRESETS, preset_config, preset_record
    from apps.image_recognition.train import train

    record = preset_record(name)
    config = preset_config(name)
    assert record["data"] in NAMED_DATASETS and record["description"]
    assert set(config) <= set(inspect.signature(train).parameters)
    config["backbone_kwargs"]["width"] = -1  # a copy: the preset itself is unchanged
    assert PRESETS[name]["config"]["backbone_kwargs"]["width"] > 0
    config = preset_config(name)
    shape = {"mnist": (28, 28, 1), "cifar10": (32, 32, 3)}[record["data"]]
    model = image_model.build_classifier(config["arch"], shape, 10, augment=config["augment"],
                                         backbone_kwargs=config["backbone_kwargs"])
    assert model.output_shape == (None, 10)
    with pytest.raises(ValueError, match="must be one of"):
        preset_config("nope")


def test_learning_rate_is_a_training_setting():
    """The classifier comes compiled with Adam 1e-3; compile_for_training sets Adam(W) and its schedule."""
    from apps.image_recognition.train import compile_for_training

    model = _tiny(augment=None)
    assert isinstance(model.optimizer, keras.optimizers.Adam)
    compile_for_training(model, 2e-3, total_steps=0)
    assert type(model.optimizer) is keras.optimizers.Adam
    np.testing.assert_allclose(float(keras.ops.convert_to_numpy(model.optimizer.learning_rate)), 2e-3, rtol=1e-6)
    compile_for_training(model, 2e-3, total_steps=10, weight_decay=0.05)
    assert isinstance(model.optimizer, keras.optimizers.AdamW) and model.optimizer.weight_decay == 0.05
