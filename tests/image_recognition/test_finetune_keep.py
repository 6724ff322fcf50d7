"""Fine-tuning that keeps the old classes: distillation (learning without forgetting) and rehearsal."""

import json

import keras
import numpy as np
import pytest

from apps.image_recognition import finetune as image_finetune
from apps.image_recognition.cli import main


@pytest.fixture(scope="module")
def two_class_model(data_available):
    from apps.image_recognition import train as image_train

    keras.utils.set_random_seed(0)
    model, class_names, _ = image_train.train("mnist", arch="lenet5", epochs=1, batch_size=32, classes=["0", "1"],
                                              limit=300, test_limit=120, verbose=0)
    return model, class_names


def _finetune(two_class_model, **kwargs):
    model, class_names = two_class_model
    copy = model.__class__.from_config(model.get_config())
    copy.set_weights(model.get_weights())
    return image_finetune.finetune(copy, class_names, "mnist", add_classes=True, epochs=1, batch_size=32,
                                   classes=["0", "1", "2"], limit=300, test_limit=120, verbose=0, **kwargs)


def test_rehearsal_trains_on_a_small_stored_sample_of_each_old_class(two_class_model):
    _, names, metrics = _finetune(two_class_model, keep="rehearsal", rehearsal_size=7)
    assert names == ["0", "1", "2"] and metrics["keep"] == ["rehearsal"]
    assert metrics["old_images_per_class"] == 7
    counts = metrics["train_images"]
    assert counts["old_classes"] == 14 and counts["new_classes"] > 50
    # the 7 stored images of each old class are repeated to about the new class's size
    assert abs(counts["per_epoch"] - 3 * counts["new_classes"]) <= 2
    assert 0.0 <= metrics["old_class_accuracy_after"] <= 1.0
    # among the old classes alone an old image can only gain: 'called new' is no longer an answer
    assert metrics["old_task_accuracy_after"] >= metrics["old_class_accuracy_after"]
    assert metrics["old_task_drop_points"] == pytest.approx(
        100 * (metrics["old_class_accuracy_before"] - metrics["old_task_accuracy_after"]), abs=1e-3)


def test_old_task_accuracy_takes_the_argmax_over_the_old_classes_only():
    probabilities = np.array([[0.5, 0.1, 0.4],   # old 0, right either way
                              [0.3, 0.2, 0.5],   # old 0, called new; among the old classes right
                              [0.4, 0.1, 0.5],   # old 1, called new; among the old classes wrong
                              [0.1, 0.1, 0.8]])  # new: not counted
    labels = np.array([0, 0, 1, 2])
    assert image_finetune._accuracy(probabilities, labels, labels < 2) == pytest.approx(1 / 3)
    assert image_finetune._old_task_accuracy(probabilities, labels, 2) == pytest.approx(2 / 3)


def test_old_images_zero_trains_on_new_class_images_only(two_class_model):
    _, _, metrics = _finetune(two_class_model, old_images=0)
    assert metrics["train_images"]["old_classes"] == 0 and metrics["keep"] == []


def test_distillation_targets_are_the_original_models_soft_old_class_outputs(two_class_model):
    model, _ = two_class_model
    x = np.random.default_rng(0).integers(0, 255, (5, 28, 28, 1)).astype("uint8")
    teacher = image_finetune._frozen_copy(model)
    _, targets = image_finetune._with_teacher_targets((x, np.zeros(5, "int32")), teacher, 2, 2.0)
    logits = keras.ops.convert_to_numpy(model.logits_model()([x.astype("float32")], training=False))
    expected = np.exp(logits / 2.0) / np.exp(logits / 2.0).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(targets["old_classes"], expected, rtol=1e-4, atol=1e-6)
    assert teacher.trainable is False


def test_distillation_keeps_the_old_class_outputs_near_the_original_models(two_class_model, mnist_small):
    model, _ = two_class_model
    x = mnist_small.x_test[mnist_small.y_test < 2][:100].astype("float32")
    soft = image_finetune.OldClassSoftmax(2, 2.0)
    original = keras.ops.convert_to_numpy(soft(model.logits_model()([x])))
    gaps = {}
    for keep in ("none", "distill"):
        tuned, _, metrics = _finetune(two_class_model, keep=keep, unfreeze_epochs=1, learning_rate=1e-2)
        gaps[keep] = float(np.abs(keras.ops.convert_to_numpy(soft(tuned.logits_model()([x]))) - original).mean())
    assert "old_classes_loss" in metrics["history"]["head"] and "old_classes_loss" in metrics["history"]["unfrozen"]
    assert gaps["distill"] < 0.75 * gaps["none"], gaps


def test_bad_keep_settings_are_named():
    with pytest.raises(ValueError, match=r"The 'keep' parameter of finetune must be 'none' or one or more of "
                                         r"\['distill', 'rehearsal'\] \(comma-separated\); got 'forget'"):
        image_finetune.check_keep("forget")
    assert image_finetune.check_keep("rehearsal,distill,rehearsal") == ("rehearsal", "distill")
    assert image_finetune.check_keep("none") == ()


def test_cli_keep_without_new_classes_is_an_error_and_with_them_works(two_class_model, tmp_path, capsys):
    model, class_names = two_class_model
    from apps.image_recognition.model import save_classifier

    save_classifier(model, tmp_path / "two.keras", class_names)
    common = ["finetune", "--model", str(tmp_path / "two.keras"), "--data", "mnist", "--limit", "200",
              "--test-limit", "80", "--epochs", "1", "--no-compare-scratch"]
    code = main(common + ["--classes", "0,1", "--keep", "distill", "--out", str(tmp_path / "a")])
    assert code == 2 and "keeping the old classes applies when classes are added" in capsys.readouterr().err
    code = main(common + ["--classes", "0,1,2", "--add-classes", "--keep", "distill,rehearsal",
                          "--rehearsal-size", "5", "--out", str(tmp_path / "b"), "--json"])
    assert code == 0
    metrics = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert metrics["keep"] == ["distill", "rehearsal"] and metrics["train_images"]["old_classes"] == 10


def test_the_unfrozen_epochs_train_at_unfreeze_rate_times_the_rate(two_class_model, monkeypatch):
    rates, compile_stage = [], image_finetune._compile_stage

    def recording(trainee, tuned, learning_rate, total_steps, distill_weight):
        rates.append(learning_rate)
        return compile_stage(trainee, tuned, learning_rate, total_steps, distill_weight)

    monkeypatch.setattr(image_finetune, "_compile_stage", recording)
    _, _, metrics = _finetune(two_class_model, unfreeze_epochs=1, learning_rate=2e-3, unfreeze_rate=0.5)
    assert rates == [pytest.approx(2e-3), pytest.approx(1e-3)] and metrics["unfreeze_rate"] == 0.5
    rates.clear()
    _finetune(two_class_model, unfreeze_epochs=1, learning_rate=2e-3)
    assert rates == [pytest.approx(2e-3), pytest.approx(2e-4)]  # a tenth by default


@pytest.mark.parametrize("rate", [0, 1.5, True, "1"])
def test_a_bad_unfreeze_rate_is_named(two_class_model, rate):
    with pytest.raises(ValueError, match=r"The 'unfreeze_rate' parameter of finetune must be a number in "
                                         rf"\(0, 1\]; got {rate!r}\."):
        _finetune(two_class_model, unfreeze_rate=rate)


def test_cli_rejects_an_unfreeze_rate_outside_zero_to_one(capsys):
    with pytest.raises(SystemExit):
        main(["finetune", "--model", "m.keras", "--data", "mnist", "--unfreeze-rate", "0"])
    assert "--unfreeze-rate: expected a number above 0 and at most 1, got '0'" in capsys.readouterr().err


def test_the_scratch_comparison_is_the_extended_model_reinitialised():
    from apps.image_recognition.model import build_classifier
    from shared import finetune as shared_finetune

    keras.utils.set_random_seed(0)
    model = build_classifier("lenet5", (28, 28, 1), 2, augment="translate", class_names=["0", "1"])
    tuned = shared_finetune.extend_classes(model, 3, freeze_backbone=True)
    scratch = image_finetune._reinitialised(tuned)
    assert scratch is not tuned and scratch.num_classes == 3
    # every weight trains, though the extended model's backbone was frozen
    assert all(weight.trainable for weight in scratch.weights if "moving" not in weight.path)
    assert len(scratch.trainable_weights) > len(tuned.trainable_weights)
    # the same layers (the augmentation included), with fresh convolution weights
    assert image_finetune._augmentation_names(scratch) == image_finetune._augmentation_names(tuned) != []
    kernel = next(w for w in scratch.weights if "conv" in w.path and w.path.endswith("kernel"))
    old_kernel = next(w for w in tuned.weights if w.path == kernel.path)
    assert kernel.shape == old_kernel.shape
    assert not np.allclose(keras.ops.convert_to_numpy(kernel), keras.ops.convert_to_numpy(old_kernel))


def test_the_seed_summary_gives_mean_spread_and_how_many_seeds_met_each_target():
    from benchmarks.tables.image_recognition import KEEP_SEEDED, keep_seed_summary

    def record(seed, drop, new, scratch_new):
        row = {"old_class_drop_points": drop, "old_task_drop_points": -1.0, "new_class_accuracy": new,
               "three_class_accuracy": 0.9, "finetune_seconds": 100.0 + seed}
        values = {"strategies": {"all old images": row}, "scratch": {"new_class_accuracy": scratch_new},
                  "base_model_epochs": 6, "head_epochs": 1, "unfreeze_epochs": 24, "unfreeze_rate": 1.0}
        return {"name": f"{KEEP_SEEDED[0]}{seed}", "datasets": {"cifar10": values}}

    rows = keep_seed_summary([record(0, 0.5, 0.92, 0.91), record(1, 1.5, 0.90, 0.91),
                              {"name": "image_finetune_keep", "datasets": {}}])
    assert len(rows) == 1
    label, epochs, _, _, drop, task, new, _, time = rows[0]
    assert label == "cifar10: all old images, mean +- std of 2 seeds"
    assert epochs == "6; 1 + 24 (unfrozen at 1 x the rate)"
    assert drop == "**1.00** +- 0.71 (met by 1 of 2)" and task == "**-1.00** +- 0.00"
    assert new == "**91.0** +- 1.4% against **91.0** +- 0.0% (met by 1 of 2)"
    assert time == "100 s (median)"
    # one seed alone has no spread: no summary row
    assert keep_seed_summary([record(0, 0.5, 0.92, 0.91)]) == []


def test_the_scratch_comparison_trains_on_every_image_when_rehearsal_keeps_a_sample(two_class_model, monkeypatch):
    seen = []

    def recording_fit(model, train, *args, **kwargs):
        images = np.asarray(train[0])
        seen.append((len(images), len(np.unique(images.reshape(len(images), -1), axis=0))))
        return fit(model, train, *args, **kwargs)

    fit = image_finetune.fit
    monkeypatch.setattr(image_finetune, "fit", recording_fit)
    _, _, metrics = _finetune(two_class_model, keep="rehearsal", rehearsal_size=5, compare_scratch=True)
    counts, scratch = metrics["train_images"], metrics["scratch"]
    assert counts["old_classes"] == 10
    # the fine-tune's stages saw the new class's images and 5 stored images per old class, repeated
    fine_tune, from_scratch = seen[:-1], seen[-1]
    assert all(distinct == counts["new_classes"] + 10 for _, distinct in fine_tune)
    # the from-scratch model saw every training image of the three classes, once an epoch
    assert from_scratch == (scratch["train_images"], scratch["train_images"])
    assert scratch["train_images"] > counts["new_classes"] + 10
