"""The image benchmarks' helpers: the arithmetic count and the resumable accuracy-vs-time curve."""

import json

import keras

from apps.image_recognition import airbench
from benchmarks.image_common import forward_flops_per_image


def test_forward_flops_count_two_per_multiply_add_in_nested_models():
    inner = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(4, 3, padding="same"),
                              keras.layers.Conv2D(4, 3, strides=2, padding="valid", groups=2)])
    model = keras.Sequential([keras.Input((8, 8, 3)), inner, keras.layers.Flatten(), keras.layers.Dense(5)])
    # 8*8 positions x 3*3*3 inputs x 4 filters; 3*3 positions x 3*3*2 inputs x 4 filters; 36 x 5
    assert forward_flops_per_image(model) == 2 * (64 * 27 * 4 + 9 * 18 * 4 + 36 * 5)


def test_forward_flops_of_airbench94_match_its_published_total():
    model = airbench.build_airbench_classifier((32, 32, 3), 10, 0.0, 1.0, width=64, hyp=airbench.AIRBENCH94)
    flops = forward_flops_per_image(model)
    # the whitening layer (31*31 positions x 2*2*3 x 24) counts too
    assert flops - 2 * (31 * 31 * 12 * 24) > 2 * 117_000_000
    # airbench94.py: 0.36 PFLOPs for 9.9 epochs of 50,000 images, at three times the forward pass
    assert abs(3 * flops * 50_000 * 9.9 / 1e15 - 0.36) < 0.02


def test_time_to_accuracy_keeps_one_curve_across_a_resume(tmp_path):
    import numpy as np

    from benchmarks.image_common import TimeToAccuracy

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y = np.random.default_rng(0).normal(size=(8, 2)), np.arange(8) % 2
    path = tmp_path / "curve.json"
    first = TimeToAccuracy(path)
    model.fit(x, y, validation_data=(x, y), epochs=2, verbose=0, callbacks=[first])
    assert [row["epoch"] for row in first.rows] == [1, 2] and "val_accuracy" in first.rows[0]
    # stopped during epoch 2 before its checkpoint: the resumed run does epoch 2 again, then 3
    resumed = TimeToAccuracy(path)
    model.fit(x, y, validation_data=(x, y), initial_epoch=1, epochs=3, verbose=0, callbacks=[resumed])
    assert [row["epoch"] for row in resumed.rows] == [1, 2, 3]
    assert resumed.rows[0] == first.rows[0]
    seconds = [row["seconds"] for row in resumed.rows]
    assert seconds == sorted(seconds) and seconds[1] >= first.rows[1]["seconds"]  # the clock went on
    assert json.loads(path.read_text()) == resumed.rows
    assert resumed.first_reaching(0.0) == resumed.rows[0]["seconds"] and resumed.first_reaching(1.1) is None
