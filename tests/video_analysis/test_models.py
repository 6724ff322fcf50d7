import keras
import numpy as np
import pytest

from apps.video_analysis.detectors import DETECTORS, HistogramDetector, SceneDetectDetector, ShotDetector, make_detector
from apps.video_analysis.detectors.network import load_detector_model, split_detector
from apps.video_analysis.models import (
    ARCHITECTURES,
    FrameDifference,
    build_clip_classifier,
    build_shot_detector,
    load_clip_classifier,
    save_clip_classifier,
)
from apps.video_analysis.presets import DEFAULT_PRESET, RECIPES, preset_path
from tests.testing import run_model_saving_test


@pytest.fixture(scope="module")
def tiny_detector():
    keras.utils.set_random_seed(0)
    return build_shot_detector(window=24, frame_size=(16, 9), filters=(4, 8), frame_units=8,
                               temporal_filters=8, dilations=(1, 2))


def test_frame_difference():
    x = np.arange(2 * 3 * 1 * 1 * 1, dtype="float32").reshape(2, 3, 1, 1, 1)
    y = keras.ops.convert_to_numpy(FrameDifference()(x))
    assert y.shape == (2, 3, 1, 1, 2)
    np.testing.assert_allclose(y[0, :, 0, 0, 1], [0, 1, 1])
    assert FrameDifference.from_config(FrameDifference().get_config()) is not None


def test_detector_shapes_andrun_model_saving_test(tiny_detector, tmp_path):
    x = np.random.default_rng(0).integers(0, 255, (2, 24, 9, 16, 3)).astype("float32")
    y = tiny_detector.predict(x, verbose=0)
    assert y.shape == (2, 24, 5)
    np.testing.assert_allclose(y.sum(-1), 1, rtol=1e-5)
    run_model_saving_test(tiny_detector, x, tmp_path)


def test_streaming_equals_the_windowed_network(tiny_detector):
    frames = np.random.default_rng(1).integers(0, 255, (24, 9, 16, 3)).astype("float32")
    reference = tiny_detector.predict(frames[None], verbose=0)[0]
    detector = ShotDetector(tiny_detector, batch_size=5, chunk=4)  # many batch and chunk borders
    _, _, context = split_detector(tiny_detector)
    streamed = detector.probabilities_from_frames(list(frames))
    assert streamed.shape == reference.shape
    np.testing.assert_allclose(streamed[context:-context], reference[context:-context], atol=1e-5)
    assert detector.probabilities_from_frames([]).shape == (0, 5)
    assert detector.probabilities_from_frames(list(frames[:1])).shape == (1, 5)


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_clip_classifiers_train_andrun_model_saving_test(arch, tmp_path):
    keras.utils.set_random_seed(0)
    x = np.random.default_rng(0).random((8, 4, 16, 16, 1)).astype("float32")
    y = np.arange(8) % 3
    model = build_clip_classifier(x.shape[1:], 3, arch=arch, filters=(4, 8))
    if arch == "td":  # one training step is enough to check the graph trains (the CLI test trains 3d)
        model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    assert model.predict(x, verbose=0).shape == (8, 3)
    if arch == "3d":  # a shared.Backbone inside: the full check, configs included
        run_model_saving_test(model, x, tmp_path)
    else:
        run_model_saving_test(model, x, tmp_path)


def test_bad_clip_shape_is_explained():
    with pytest.raises(ValueError, match="frames, height, width, channels"):
        build_clip_classifier((16, 16, 1), 3)
    with pytest.raises(ValueError, match="Unknown clip architecture"):
        build_clip_classifier((4, 16, 16, 1), 3, arch="lstm")


def test_clip_classifier_compiles_with_its_learning_rate():
    model = build_clip_classifier((4, 16, 16, 1), 3, arch="3d", filters=(4,), learning_rate=3e-4)
    assert isinstance(model.optimizer, keras.optimizers.Adam)
    assert float(keras.ops.convert_to_numpy(model.optimizer.learning_rate)) == pytest.approx(3e-4)


def test_clip_classifier_metadata_travels_with_the_file(tmp_path):
    model = build_clip_classifier((4, 16, 16, 1), 3, arch="3d", filters=(4,))
    path = save_clip_classifier(model, tmp_path / "sub" / "clip.keras", {"class_names": ["a", "b", "c"]})
    loaded, meta = load_clip_classifier(path)
    assert meta == {"class_names": ["a", "b", "c"], "frames": 4, "size": 16, "grayscale": True}
    (tmp_path / "sub" / "clip.keras.json").unlink()  # without metadata: from the input shape
    assert load_clip_classifier(path)[1]["class_names"] == ["0", "1", "2"]
    with pytest.raises(FileNotFoundError, match="missing.keras"):
        load_clip_classifier(tmp_path / "missing.keras")


def test_presets_and_detector_factory():
    assert DEFAULT_PRESET in RECIPES and preset_path().name == "shot_detector.keras"
    with pytest.raises(ValueError, match="must be one of"):
        preset_path("nope")
    assert load_detector_model(DEFAULT_PRESET).name == load_detector_model().name
    with pytest.raises(FileNotFoundError, match="train-shots"):
        load_detector_model("no_such_file.keras")
    from apps.video_analysis.cli import SHOT_DETECTORS

    assert SHOT_DETECTORS == DETECTORS  # the command line lists them without importing the detectors
    assert make_detector("histogram", threshold=0.3).threshold == 0.3
    assert isinstance(make_detector("histogram"), HistogramDetector)
    assert make_detector("adaptive").detector == "adaptive" and isinstance(make_detector("content"),
                                                                         SceneDetectDetector)
    assert make_detector("cnn", threshold=0.5).threshold == 0.5
    with pytest.raises(ValueError, match="Unknown shot detector"):
        make_detector("magic")
