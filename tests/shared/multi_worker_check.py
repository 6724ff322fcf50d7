"""One worker of a two-process ``fit(distribute="multi_worker")`` run, started by test_multi_worker.py.

Usage: python multi_worker_check.py INDEX PORT0 PORT1 CHECKPOINT_DIR RESULT_JSON [KILL_EPOCH]

Trains a small classifier on fixed data through ``shared.training.fit`` with the two workers on
127.0.0.1; writes RESULT_JSON with its loss curve and the number of checkpoint writes it made.
With KILL_EPOCH the process kills itself (SIGKILL, no clean-up) in the middle of that epoch.
"""

import json
import os
import signal
import sys
from pathlib import Path

index, ports, checkpoint_dir, result_path = int(sys.argv[1]), sys.argv[2:4], sys.argv[4], sys.argv[5]
kill_epoch = int(sys.argv[6]) if len(sys.argv) > 6 else None
os.environ["KERAS_BACKEND"] = "tensorflow"
os.environ["TF_CONFIG"] = json.dumps({"cluster": {"worker": [f"127.0.0.1:{port}" for port in ports]},
                                      "task": {"type": "worker", "index": index}})

from shared import training  # noqa: E402

training.multi_worker_strategy()  # before any other TensorFlow work

import keras  # noqa: E402

from tests.shared.distribution_data import build, data  # noqa: E402

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
history = training.fit(build(), (x, y), epochs=4, batch_size=16, seed=1, verbose=0, distribute="multi_worker",
                       checkpoint_dir=checkpoint_dir, callbacks=[KillDuring()])
with open(result_path, "w") as handle:
    json.dump({"loss": history.history["loss"], "writes": writes, "chief": training.is_chief(),
               "workers": training.worker_info()[1]}, handle)
