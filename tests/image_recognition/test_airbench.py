"""airbench94's own network and recipe: the whitening layer, the optimizer, the schedule, the
batches, lookahead, and training through ``train`` and the CLI (tiny widths, small CIFAR-10 slices)."""

import json
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from apps.image_recognition import airbench
from apps.image_recognition.train import check_recipe, train
from tests.testing import StopDuring


def _correlated_images(count=64, size=8, seed=0):
    rng = np.random.default_rng(seed)
    base = rng.normal(size=(count, size, size, 1))
    return np.concatenate([base, 0.8 * base + 0.2 * rng.normal(size=base.shape), rng.normal(size=base.shape)], -1)


def test_patch_whitening_gives_patches_unit_second_moments():
    images = _correlated_images()
    layer = airbench.PatchWhitening(kernel_size=2, eps=1e-6)
    layer.adapt(images)
    out = keras.ops.convert_to_numpy(layer(images.astype("float32")))
    assert out.shape == (64, 7, 7, 24)
    half = out[..., :12].reshape(-1, 12)  # the bias is zero: only the filters act
    np.testing.assert_allclose(half.T @ half / len(half), np.eye(12), atol=2e-3)
    np.testing.assert_allclose(out[..., 12:], -out[..., :12], atol=1e-6)


def test_patch_whitening_rejects_images_without_channels():
    with pytest.raises(ValueError, match=r"PatchWhitening.adapt needs images shaped \(N, H, W, C\); got shape"):
        airbench.PatchWhitening().adapt(np.zeros((4, 8, 8)))


def test_dirac_uniform_passes_the_first_input_channels_through():
    kernel = keras.ops.convert_to_numpy(airbench.DiracUniform(seed=3)((3, 3, 4, 6)))
    x = np.random.default_rng(0).normal(size=(1, 5, 5, 4)).astype("float32")
    y = keras.ops.convert_to_numpy(keras.ops.conv(x, kernel, padding="same"))
    np.testing.assert_allclose(y[..., :4], x, atol=1e-6)
    assert np.abs(kernel[..., 4:]).max() <= 1 / np.sqrt(36) and np.abs(kernel[..., 4:]).max() > 0


def test_grouped_nesterov_sgd_matches_pytorch_sgd_with_nesterov_and_l2():
    w = keras.Variable(np.array([1.0, -2.0], dtype="float32"), name="w")
    frozen = keras.Variable(np.array([0.5], dtype="float32"), name="frozen")
    optimizer = airbench.GroupedNesterovSGD(0.1, momentum=0.5, l2=0.2,
                                            groups={w.path: {"lr_scale": 2.0, "l2_scale": 0.5},
                                                    frozen.path: {"until_step": 1}})
    expected, m = np.array([1.0, -2.0]), np.zeros(2)
    for gradient in ([1.0, 1.0], [0.5, -1.0]):
        optimizer.apply_gradients([(np.array(gradient, "float32"), w), (np.array([1.0], "float32"), frozen)])
        g = np.array(gradient) + 0.2 * 0.5 * expected
        m = 0.5 * m + g
        expected = expected - 0.1 * 2.0 * (g + 0.5 * m)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(w), expected, rtol=1e-6)
    # ``frozen`` moved on step 0 only: g = 1 + 0.2 * 0.5 = 1.1, m = 1.1, 0.5 - 0.1 * (1.1 + 0.5 * 1.1)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(frozen), [0.335], rtol=1e-6)


def test_triangle_schedule_rises_to_its_peak_then_falls_to_its_end():
    schedule = airbench.TriangleSchedule(2.0, total_steps=100, start=0.2, peak=0.25, end=0.1)
    values = [float(keras.ops.convert_to_numpy(schedule(step))) for step in (0, 25, 100)]
    np.testing.assert_allclose(values, [0.4, 2.0, 0.2], rtol=1e-6)
    assert airbench.TriangleSchedule.from_config(schedule.get_config()).get_config() == schedule.get_config()


def test_airbench_batches_flip_every_other_epoch_and_shift_within_the_padding():
    x = np.arange(6 * 4 * 4 * 1, dtype="uint8").reshape(6, 4, 4, 1)
    y = np.arange(6)
    still = airbench.AirbenchBatches(x, y, batch_size=4, translate=0, seed=1)
    assert len(still) == 1  # the incomplete last batch is dropped
    first, labels = still[0]
    assert first.shape == (4, 4, 4, 1) and first.dtype == np.float32
    for image, label in zip(first, labels):  # each image is itself or its mirror
        assert np.array_equal(image, x[label]) or np.array_equal(image, x[label][:, ::-1])
    mirrored_once = {int(label): np.array_equal(image, x[label][:, ::-1]) for image, label in zip(first, labels)}
    still.set_epoch(1)
    second, labels = still[0]
    for image, label in zip(second, labels):
        if int(label) in mirrored_once:
            assert np.array_equal(image, x[label] if mirrored_once[int(label)] else x[label][:, ::-1])
    shifted = airbench.AirbenchBatches(x, y, batch_size=6, translate=1, seed=1)
    batch, labels = shifted[0]
    padded = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)), mode="reflect")
    for image, label in zip(batch, labels):
        views = [padded[label, r:r + 4, c:c + 4] for r in range(3) for c in range(3)]
        views += [v[:, ::-1] for v in views]
        assert any(np.array_equal(image, view) for view in views)
    again = airbench.AirbenchBatches(x, y, batch_size=6, translate=1, seed=1)
    np.testing.assert_array_equal(again[0][0], batch)  # the same (seed, epoch) gives the same batches
    unflipped = airbench.AirbenchBatches(x, y, batch_size=6, translate=0, seed=1, flip=False)
    for epoch in (0, 1):
        unflipped.set_epoch(epoch)
        batch, labels = unflipped[0]
        np.testing.assert_array_equal(batch, x[labels].astype("float32"))


def test_airbench_batches_rotate_by_seeded_angles_and_leave_the_shifts_as_they_were():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, size=(8, 9, 9, 1)).astype("uint8")
    x[:, 4, :, 0] = 255  # a horizontal bar through the centre
    y = np.arange(8)
    plain = airbench.AirbenchBatches(x, y, batch_size=8, translate=1, seed=3, flip=False)
    turned = airbench.AirbenchBatches(x, y, batch_size=8, translate=1, seed=3, flip=False, rotate=30)
    (still, labels), (moved, moved_labels) = plain[0], turned[0]
    np.testing.assert_array_equal(labels, moved_labels)  # the same order: angles are drawn after it
    assert moved.shape == still.shape == (8, 9, 9, 1) and moved.dtype == np.float32
    angles = turned._angles[turned._order[:8]]
    assert np.all(np.abs(angles) <= 30) and np.ptp(angles) > 0
    np.testing.assert_allclose(moved, airbench.rotate_images(still, angles))
    assert not np.allclose(moved, still)
    again = airbench.AirbenchBatches(x, y, batch_size=8, translate=1, seed=3, flip=False, rotate=30)
    np.testing.assert_array_equal(again[0][0], moved)  # the same (seed, epoch) gives the same turns
    again.set_epoch(1)
    assert not np.allclose(again[0][0], moved)  # new angles (and shifts) each epoch
    # A known turn: 90 degrees counter-clockwise turns an arm pointing right to point up.
    bar = np.zeros((1, 9, 9, 1), "float32")
    bar[0, 4, 4:, 0] = 1.0
    upright = airbench.rotate_images(bar, np.array([90.0]))
    expected = np.zeros_like(bar)
    expected[0, :5, 4, 0] = 1.0
    np.testing.assert_allclose(upright, expected, atol=1e-5)
    np.testing.assert_allclose(airbench.rotate_images(bar, np.array([0.0])), bar)
    with pytest.raises(ValueError, match=r"The 'rotate' parameter of AirbenchBatches must be in \[0, 180\] "
                                         r"degrees; got -5"):
        airbench.AirbenchBatches(x, y, rotate=-5)


def test_airbench96_schedule_warms_up_over_a_tenth_then_decays_to_zero():
    schedule = airbench.TriangleSchedule(1.0, total_steps=100, **airbench.AIRBENCH96["schedule"])
    values = [float(keras.ops.convert_to_numpy(schedule(step))) for step in (0, 5, 10, 55, 100)]
    np.testing.assert_allclose(values, [0.2, 0.6, 1.0, 0.5, 0.0], atol=1e-6)  # airbench96.py's get_lr


def test_airbench_batches_cut_out_one_seeded_square_inside_each_image():
    rng = np.random.default_rng(0)
    x = rng.integers(1, 256, size=(8, 10, 10, 3)).astype("uint8")  # no pixel equals the fill
    y = np.arange(8)
    fill = np.array([0.0, 0.5, 0.25], "float32")
    plain = airbench.AirbenchBatches(x, y, batch_size=8, translate=1, seed=2)
    cut = airbench.AirbenchBatches(x, y, batch_size=8, translate=1, seed=2, cutout=4, fill=fill)
    (still, labels), (holed, holed_labels) = plain[0], cut[0]
    np.testing.assert_array_equal(labels, holed_labels)  # the same order and shifts: corners come after
    corners = cut._corners[cut._order[:8]]
    for image, original, (top, left) in zip(holed, still, corners):
        blank = np.all(image == fill, axis=-1)
        assert blank.sum() == 16 and blank[top:top + 4, left:left + 4].all()  # one 4x4 square, wholly inside
        np.testing.assert_array_equal(image[~blank], original[~blank])
    assert len({tuple(c) for c in corners}) > 1
    cut.set_epoch(1)
    assert not np.array_equal(cut._corners, corners)  # new squares each epoch
    whole = airbench.cut_out(np.ones((1, 3, 3, 1), "float32"), np.array([[0, 0]]), 3, np.zeros(1))
    np.testing.assert_array_equal(whole, 0.0)
    with pytest.raises(ValueError, match=r"The 'cutout' parameter of AirbenchBatches must be in \[0, 10\] pixels "
                                         r"\(the image's shorter side\); got 11"):
        airbench.AirbenchBatches(x, y, cutout=11)


def test_airbench96_groups_add_their_first_activation_back_after_two_more_convolutions():
    hyp = airbench.AIRBENCH96
    assert (hyp["train_epochs"], hyp["lr"], hyp["weight_decay"], hyp["translate"], hyp["cutout"]) == (31, 9.0, 0.012,
                                                                                                      4, 12)
    assert [int(hyp["width"] * m) for m in hyp["width_multipliers"]] == [128, 512, 512]
    model = airbench.build_airbench_classifier((32, 32, 3), 10, 0.0, 1.0, width=8, hyp=hyp)
    network = model.get_layer("airbench94_with_preprocessing").get_layer("airbench94")
    assert [network.get_layer(f"group{i}_conv3").filters for i in (1, 2, 3)] == [8, 32, 32]
    assert network.get_layer("group1_bn1").momentum == 0.9
    convolutions = [layer for layer in network.layers if isinstance(layer, keras.layers.Conv2D)]
    assert len(convolutions) == 9
    # With the third convolution silenced, the group's output is GELU of its first activation.
    network.get_layer("group1_conv3").kernel.assign(np.zeros(network.get_layer("group1_conv3").kernel.shape))
    probe = keras.Model(network.input, [network.get_layer("group1_act1").output,
                                        network.get_layer("group1_act3").output])
    x = np.random.default_rng(0).normal(size=(2, 32, 32, 3)).astype("float32")
    first, out = (keras.ops.convert_to_numpy(t) for t in probe(x, training=False))
    np.testing.assert_allclose(out, keras.ops.convert_to_numpy(keras.activations.gelu(first)), atol=1e-5)
    with pytest.raises(ValueError, match="The 'depth' parameter of apply_conv_group must be 2 or 3; got 4"):
        airbench.apply_conv_group(keras.Input((8, 8, 3)), 4, momentum=0.6, seed=0, name="g", depth=4)


def test_recipe_checks_name_the_parameter_and_what_is_expected():
    with pytest.raises(ValueError, match=r"The 'recipe' parameter of train must be one of \['default', 'airbench', "
                                         r"'airbench95', 'airbench96'\]"):
        check_recipe("fast", "airbench94")
    with pytest.raises(ValueError, match="must be 'airbench94' with recipe='airbench95'"):
        check_recipe("airbench95", "resnet_small")
    with pytest.raises(ValueError, match="The 'label_smoothing' parameter of train is set by recipe='airbench95'"):
        check_recipe("airbench95", "airbench94", label_smoothing=0.1)
    with pytest.raises(ValueError, match="The 'arch' parameter of train must be 'airbench94' with recipe='airbench'"):
        check_recipe("airbench", "convnet")
    with pytest.raises(ValueError, match="The 'learning_rate' parameter of train is set by recipe='airbench'"):
        check_recipe("airbench", "airbench94", learning_rate=0.1)
    check_recipe("airbench", "airbench94", learning_rate=1e-3, augment="none")
    check_recipe("airbench", "airbench94", augment="rotate")
    with pytest.raises(ValueError, match=r"The 'augment' parameter of train is set by recipe='airbench' \(airbench's "
                                         r"own value\); leave it out \(or 'rotate', which adds turns to its shifts\)\. "
                                         r"Got 'flip'"):
        check_recipe("airbench", "airbench94", augment="flip")


_TINY = dict(arch="airbench94", recipe="airbench", limit=256, test_limit=64, batch_size=64,
             backbone_kwargs={"width": 4}, verbose=0)


def test_airbench95_is_wider_in_its_later_groups():
    hyp = airbench.AIRBENCH95
    model = airbench.build_airbench_classifier((32, 32, 3), 10, 0.0, 1.0, width=8, hyp=hyp)
    maps = [model.get_layer("airbench94_with_preprocessing").get_layer("airbench94").get_layer(f"group{i}_conv2")
            .filters for i in (1, 2, 3)]
    assert maps == [8, 24, 24]  # airbench95: 128, 384, 384 at its width of 128
    assert [int(hyp["width"] * m) for m in hyp["width_multipliers"]] == [128, 384, 384]
    assert (hyp["train_epochs"], hyp["lr"], hyp["lookahead"]["start_epochs"]) == (15, 10.0, 0)


class _WeightsAtEpochEnd(keras.callbacks.Callback):
    def __init__(self, lookahead):
        super().__init__()
        self.lookahead, self.matches = lookahead, []

    def on_epoch_end(self, epoch, logs=None):
        average = self.lookahead.average
        self.matches.append(average is not None and all(
            np.array_equal(a, w) for a, w in zip(average, self.model.get_weights(), strict=True)))


@pytest.mark.parametrize("sync_each_epoch", [True, False])
def test_lookahead_syncs_at_epoch_ends_only_for_airbench94_and_always_at_the_end(sync_each_epoch):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    x, y = np.random.default_rng(0).normal(size=(8, 3)), np.zeros((8, 2))
    # two steps an epoch, an average every third step: epoch 2's last step comes after its update
    lookahead = airbench.Lookahead(6, start_epochs=0, every_n_steps=3, sync_each_epoch=sync_each_epoch)
    seen = _WeightsAtEpochEnd(lookahead)
    model.fit(x, y, batch_size=4, epochs=3, shuffle=False, verbose=0,
              callbacks=[lookahead, airbench.StopAtStep(6), seen])
    assert seen.matches == [False, sync_each_epoch, True]  # epoch 3 ends on the update at step 6
    model.fit(x, y, batch_size=4, epochs=1, verbose=0, callbacks=[lookahead, airbench.StopAtStep(7)])
    assert all(np.array_equal(a, w) for a, w in zip(lookahead.average, model.get_weights(), strict=True))


@pytest.mark.usefixtures("data_available")
def test_recipe_trains_saves_and_reloads_on_cifar10(tmp_path):
    model, class_names, metrics = train("cifar10", epochs=1.5, out_dir=tmp_path, **_TINY)
    assert metrics["recipe"] == "airbench" and metrics["epochs"] == 1.5 and len(class_names) == 10
    log = (tmp_path / "training_log.csv").read_text().splitlines()
    assert len(log) == 3  # 1.5 epochs of 4 steps: 6 steps, in two epochs
    assert int(keras.ops.convert_to_numpy(model.optimizer.iterations)) == 6
    whitening = airbench.whitening_layer(model)
    assert not np.allclose(keras.ops.convert_to_numpy(whitening.kernel)[..., :12].reshape(12, 12), np.eye(12))
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(model.get_layer("logits").bias), 0.0)
    loaded = keras.saving.load_model(tmp_path / "model.keras")
    x = np.random.default_rng(0).uniform(0, 255, size=(3, 32, 32, 3)).astype("float32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-5)
    from apps.image_recognition import gradcam

    cam = gradcam.GradCAM(loaded)  # Grad-CAM finds the network's last feature map without a shared.Backbone
    assert cam.layer_name == "group3_act2"
    heat, predicted = cam(x)
    assert len(heat) == 3 and np.all((heat >= 0) & (heat <= 1)) and len(predicted) == 3
    # A fresh interpreter that imports only the loader (no train, no airbench) loads it too.
    script = ("import sys; from apps.image_recognition import load_classifier; "
              "model, names = load_classifier(sys.argv[1]); print(type(model).__name__, len(names))")
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / "model.keras")], capture_output=True,
                          text=True, cwd=Path(__file__).resolve().parents[2], timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split()[-2:] == ["Classifier", "10"]


@pytest.mark.usefixtures("data_available")
def test_recipe_resumes_exactly_with_lookahead_running(tmp_path):
    from apps.image_recognition import data as image_data

    cifar = image_data.load_named("cifar10", limit=256, test_limit=64, seed=0)
    mean, variance = image_data.sample_statistics(cifar.x_train)
    hyp = {**airbench.AIRBENCH94, "whiten_bias_epochs": 1,
           "lookahead": {"start_epochs": 1, "decay_base": 0.95, "decay_pow": 3.0, "every_n_steps": 1}}
    args = ((cifar.x_train, cifar.y_train), (cifar.x_test, cifar.y_test), (32, 32, 3), cifar.class_names, mean,
            variance)
    kwargs = dict(epochs=3, batch_size=64, width=4, verbose=0, hyp=hyp)
    reference, _ = airbench.train_recipe(*args, checkpoint_dir=tmp_path / "reference", **kwargs)
    with pytest.raises(KeyboardInterrupt):
        airbench.train_recipe(*args, checkpoint_dir=tmp_path / "run", callbacks=[StopDuring(2)], **kwargs)
    assert json.loads((tmp_path / "run" / "state.json").read_text())["epoch"] == 2
    resumed, _ = airbench.train_recipe(*args, checkpoint_dir=tmp_path / "run", **kwargs)
    for a, b in zip(reference.get_weights(), resumed.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.usefixtures("data_available")
def test_cli_refuses_the_recipe_with_another_architecture(capsys):
    from apps.image_recognition.cli import main

    assert main(["train", "--data", "cifar10", "--arch", "convnet", "--recipe", "airbench"]) != 0
    assert "The 'arch' parameter of train must be 'airbench94' with recipe='airbench'" in capsys.readouterr().err


@pytest.mark.usefixtures("data_available")
def test_recipe_trains_grey_digits_without_flips(monkeypatch):
    seen = {}
    real = airbench.AirbenchBatches

    def spy(*args, **kwargs):
        seen["flip"], seen["rotate"] = kwargs.get("flip"), kwargs.get("rotate")
        return real(*args, **kwargs)

    monkeypatch.setattr(airbench, "AirbenchBatches", spy)
    model, _, metrics = train("mnist", epochs=1, **{**_TINY, "limit": 128})
    assert seen["flip"] is False and seen["rotate"] == 0  # a mirrored digit is another glyph
    train("mnist", epochs=1, augment="rotate", **{**_TINY, "limit": 128})
    assert seen["flip"] is False and seen["rotate"] == 10  # augment="rotate" adds turns to the shifts
    assert airbench.whitening_layer(model).kernel.shape == (2, 2, 1, 8)
    assert model.output_shape == (None, 10) and metrics["train_images"] == 128


@pytest.mark.usefixtures("data_available")
def test_airbench95_recipe_trains_through_train():
    model, _, metrics = train("cifar10", epochs=1, **{**_TINY, "recipe": "airbench95"})
    assert metrics["recipe"] == "airbench95" and metrics["epochs"] == 1
    network = model.get_layer("airbench94_with_preprocessing").get_layer("airbench94")
    assert [network.get_layer(f"group{i}_conv1").filters for i in (1, 2, 3)] == [4, 12, 12]
    assert float(keras.ops.convert_to_numpy(model.optimizer.learning_rate)) > 0


@pytest.mark.usefixtures("data_available")
def test_airbench96_recipe_trains_with_cutout_through_train(monkeypatch):
    seen = {}
    real = airbench.AirbenchBatches

    def spy(*args, **kwargs):
        seen.update(cutout=kwargs.get("cutout"), translate=args[3], fill=kwargs.get("fill"))
        return real(*args, **kwargs)

    monkeypatch.setattr(airbench, "AirbenchBatches", spy)
    model, _, metrics = train("cifar10", epochs=1, **{**_TINY, "recipe": "airbench96"})
    assert metrics["recipe"] == "airbench96" and (seen["cutout"], seen["translate"]) == (12, 4)
    assert 100 < float(np.mean(seen["fill"])) < 150  # the mean pixel of CIFAR-10, in raw units
    network = model.get_layer("airbench94_with_preprocessing").get_layer("airbench94")
    assert [network.get_layer(f"group{i}_conv3").filters for i in (1, 2, 3)] == [4, 16, 16]
