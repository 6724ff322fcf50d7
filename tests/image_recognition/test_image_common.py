"""The image benchmarks' arithmetic count (``benchmarks.image_common.forward_flops_per_image``)."""

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
