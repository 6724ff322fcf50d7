import keras
import numpy as np
import pytest

from shared import Backbone, Classifier, MultiLabelClassifier, data, finetune, training


def _task(classes=2):
    keras.utils.set_random_seed(0)
    return Classifier(Backbone((8, 8, 1), filters=(4,)), classes, hidden_units=(6,))


def test_extend_classes_keeps_old_logits_for_every_input():
    task = _task()
    bigger = finetune.extend_classes(task, 3)
    bigger.compile(optimizer=keras.optimizers.Adam(3e-3))
    x = np.random.default_rng(0).normal(size=(16, 8, 8, 1)).astype("float32")
    old = task.logits_model().predict(x, verbose=0)
    new = bigger.logits_model().predict(x, verbose=0)
    assert new.shape == (16, 3)
    np.testing.assert_allclose(new[:, :2], old, rtol=1e-5, atol=1e-6)
    assert not bigger.backbone.trainable
    trainable = {w.path.split("/")[0] for w in bigger.trainable_weights}
    assert trainable == {"head_dense1", "logits"}


def test_replace_head_and_freeze_unfreeze():
    task = _task()
    other = finetune.replace_head(task, 5)
    assert other.num_classes == 5 and other.backbone is task.backbone
    finetune.freeze(task.backbone)
    assert task.backbone.trainable_weights == []
    finetune.unfreeze(task.backbone)
    assert task.backbone.trainable_weights


def test_extend_classes_rejects_bad_requests():
    with pytest.raises(ValueError, match="more than the current 2 classes"):
        finetune.extend_classes(_task(), 2)
    with pytest.raises(ValueError, match="Expected a shared.Classifier"):
        finetune.extend_classes(MultiLabelClassifier(Backbone((8, 8, 1), filters=(2,)), 2), 3)


def test_two_class_mnist_net_learns_a_third_class(data_available):
    digits, y = data.load_mnist("test")
    x = (digits[..., None] / 255.0).astype("float32")
    train, test = slice(0, 6000), slice(6000, 10000)
    old = np.isin(y, [0, 1])
    keras.utils.set_random_seed(0)
    task = Classifier(Backbone((28, 28, 1), filters=(8, 16), global_pooling="flatten"), 2)
    task.compile(optimizer=keras.optimizers.Adam(3e-3))
    xs, ys = x[train][old[train]], y[train][old[train]]
    training.fit(task, (xs, ys), epochs=2, batch_size=64, verbose=0)
    test_old = old[test]
    before = (task.predict(x[test][test_old], verbose=0).argmax(1) == y[test][test_old]).mean()

    bigger = finetune.extend_classes(task, 3)
    bigger.compile(optimizer=keras.optimizers.Adam(3e-3))
    three = np.isin(y, [0, 1, 2])
    training.fit(bigger, (x[train][three[train]], y[train][three[train]]), epochs=2, batch_size=64, verbose=0)
    predictions = bigger.predict(x[test][np.isin(y[test], [0, 1, 2])], verbose=0).argmax(1)
    truth = y[test][np.isin(y[test], [0, 1, 2])]
    after_old = (predictions[truth < 2] == truth[truth < 2]).mean()
    new_class = (predictions[truth == 2] == 2).mean()
    assert before > 0.97
    assert after_old > before - 0.03
    assert new_class > 0.8


def test_class_names_follow_the_head_through_fine_tuning(tmp_path):
    backbone = Backbone((8, 8, 1), filters=[4], kernel_size=3)
    task = Classifier(backbone, 2, class_names=["cat", "dog"])
    grown = finetune.extend_classes(task, 3, new_class_names=["emu"])
    assert grown.class_names == ("cat", "dog", "emu")
    grown.save(tmp_path / "grown.keras")
    assert keras.saving.load_model(tmp_path / "grown.keras").class_names == ("cat", "dog", "emu")
    assert finetune.extend_classes(task, 4).class_names == ("cat", "dog", "2", "3")
    unnamed = finetune.extend_classes(Classifier(backbone, 2), 3)
    assert not unnamed.class_names_known and unnamed.class_names == ("0", "1", "2")
    assert finetune.replace_head(task, 2, class_names=["yes", "no"]).class_names == ("yes", "no")
    with pytest.raises(ValueError, match=r"'class_names' parameter of extend_classes \(new_class_names\) must have 1"):
        finetune.extend_classes(task, 3, new_class_names=["emu", "owl"])
    with pytest.raises(ValueError, match=r"'class_names' parameter of Classifier must have one name per class \(2\)"):
        Classifier(backbone, 2, class_names=["one"])
