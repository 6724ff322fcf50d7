"""One process of a two-process training run, started by test_multi_worker.py.

Usage: python multi_worker_check.py MODE INDEX PORT0 PORT1 CHECKPOINT_DIR RESULT_JSON [KILL_EPOCH]

MODE ``tf``: ``fit(distribute="multi_worker")`` with the two workers on 127.0.0.1 (TF_CONFIG);
``jax``: ``fit(distribute="data_parallel")`` across two JAX processes (KERAS_DISTRIBUTION_*);
``jax-single``: one JAX process, no distribution (the reference curve). Trains a small classifier
on fixed data through ``shared.training.fit`` (TensorFlow: weighing the classes) and writes
RESULT_JSON with its loss curve and the checkpoint writes it made. With KILL_EPOCH the process
kills itself (SIGKILL, no clean-up) in the middle of that epoch.
"""

import json
import os
import signal
import sys
from pathlib import Path

mode, index, ports, checkpoint_dir, result_path = (sys.argv[1], int(sys.argv[2]), sys.argv[3:5], sys.argv[5],
                                                   sys.argv[6])
kill_epoch = int(sys.argv[7]) if len(sys.argv) > 7 else None
if mode == "jax-single":
    os.environ["KERAS_BACKEND"] = "jax"
else:
    from shared.local_cluster import cluster_env

    os.environ.update(cluster_env(mode, index, ports))

from shared import training  # noqa: E402

if mode == "tf":
    training.multi_worker_strategy()  # before any other TensorFlow work
elif mode == "jax":
    training.start_processes()  # before JAX computes anything

import keras  # noqa: E402

from tests.shared.distribution_data import CLASS_WEIGHT, build, data  # noqa: E402

writes = []
original_write = training._Checkpoint.write


def counted_write(self, *args, **kwargs):
    if Path(self.directory) == Path(checkpoint_dir):  # not a non-chief worker's scratch copy
        writes.append(args[1])
    return original_write(self, *args, **kwargs)


training._Checkpoint.write = counted_write


class KillDuring(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if kill_epoch is not None and self.epoch + 1 == kill_epoch and batch == 1:
            os.kill(os.getpid(), signal.SIGKILL)


x, y = data()
class_weight = CLASS_WEIGHT if mode == "tf" else None
distribute = {"tf": "multi_worker", "jax": "data_parallel"}.get(mode)
history = training.fit(build(), (x, y), epochs=4, batch_size=16, seed=1, verbose=0, distribute=distribute,
                       checkpoint_dir=checkpoint_dir, callbacks=[KillDuring()], class_weight=class_weight)
with open(result_path, "w") as handle:
    json.dump({"loss": history.history["loss"], "writes": writes, "chief": training.is_chief(),
               "workers": training.worker_info()[1]}, handle)
