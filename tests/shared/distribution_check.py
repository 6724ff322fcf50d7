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

from shared import training  # noqa: E402
from tests.shared.distribution_data import build, data  # noqa: E402

x, y = data()
single = training.fit(build(), (x, y), epochs=3, batch_size=16, seed=1, verbose=0).history["loss"]
model = build()
multi = training.fit(model, (x, y), epochs=3, batch_size=16, seed=1, verbose=0, distribute=mode).history["loss"]
devices = len(keras.distribution.list_devices()) if mode == "data_parallel" else len(
    tf.config.list_logical_devices("CPU"))
print(json.dumps({"single": single, "multi": multi, "devices": devices}))
