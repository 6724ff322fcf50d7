import keras
import numpy as np
import pytest

from apps.video_analysis.clip_model import ARCHITECTURES, build_clip_classifier
from apps.video_analysis.shot_detector import ShotDetector, split_detector
from apps.video_analysis.shot_model import FrameDifference, build_shot_detector


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


def test_detector_shapes_and_round_trip(tiny_detector, tmp_path):
    x = np.random.default_rng(0).integers(0, 255, (2, 24, 9, 16, 3)).astype("float32")
    y = tiny_detector.predict(x, verbose=0)
    assert y.shape == (2, 24, 5)
    np.testing.assert_allclose(y.sum(-1), 1, rtol=1e-5)
    path = tmp_path / "detector.keras"
    tiny_detector.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), y, atol=1e-6)


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
def test_clip_classifiers_train_and_round_trip(arch, tmp_path):
    keras.utils.set_random_seed(0)
    x = np.random.default_rng(0).random((8, 4, 16, 16, 1)).astype("float32")
    y = np.arange(8) % 3
    model = build_clip_classifier(x.shape[1:], 3, arch=arch, filters=(4, 8))
    if arch == "td":  # one training step is enough to check the graph trains (the CLI test trains 3d)
        model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    p = model.predict(x, verbose=0)
    assert p.shape == (8, 3)
    path = tmp_path / f"{arch}.keras"
    model.save(path)
    np.testing.assert_allclose(keras.saving.load_model(path).predict(x, verbose=0), p, atol=1e-6)


def test_bad_clip_shape_is_explained():
    with pytest.raises(ValueError, match="frames, height, width, channels"):
        build_clip_classifier((16, 16, 1), 3)
    with pytest.raises(ValueError, match="Unknown clip architecture"):
        build_clip_classifier((4, 16, 16, 1), 3, arch="lstm")
