"""Run by test_training.py in a fresh process: one device vs two CPU devices, same loss curve.

Usage: python distribution_check.py mirrored|data_parallel  (prints a JSON line)
"""

import json
import os
import sys

mode = sys.argv[1]
if mode == "data_parallel":
    os.environ["KERAS_BACKEND"] = "jax"
    os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=2"
else:
    os.environ["KERAS_BACKEND"] = "tensorflow"
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()]
    )

import keras  # noqa: E402
import numpy as np  # noqa: E402

from shared import Backbone, Classifier, training  # noqa: E402


def build():
    keras.utils.set_random_seed(7)
    model = Classifier(Backbone((8, 8, 1), filters=(4,), pooling="avg"), 3)
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
    return model


rng = np.random.default_rng(0)
x = rng.random((64, 8, 8, 1)).astype("float32")
y = (x.mean(axis=(1, 2, 3)) * 30).astype("int64") % 3
single = training.fit(build(), (x, y), epochs=3, batch_size=16, seed=1, verbose=0).history["loss"]
model = build()
multi = training.fit(model, (x, y), epochs=3, batch_size=16, seed=1, verbose=0, distribute=mode).history["loss"]
devices = len(keras.distribution.list_devices()) if mode == "data_parallel" else len(
    tf.config.list_logical_devices("CPU"))
print(json.dumps({"single": single, "multi": multi, "devices": devices}))
