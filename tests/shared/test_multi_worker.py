"""Training across processes on 127.0.0.1: TensorFlow's multi_worker and JAX's data_parallel."""

import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from shared import training
from shared.local_cluster import free_ports, wait_all

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]

tensorflow_only = pytest.mark.skipif(keras.backend.backend() != "tensorflow",
                                     reason="MultiWorkerMirroredStrategy is TensorFlow's")


def start_workers(tmp_path, name, mode="tf", kill_epoch=None, count=2):
    ports = free_ports(2)
    base = {k: v for k, v in os.environ.items()
            if k not in ("KERAS_BACKEND", "TF_CONFIG", "KERAS_DISTRIBUTION_NUM_PROCESSES")}
    env = {**base, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"}
    workers = []
    for index in range(count):
        command = [sys.executable, str(HERE / "multi_worker_check.py"), mode, str(index), *ports,
                   str(tmp_path / "checkpoint"), str(tmp_path / f"{name}-{index}.json")]
        if kill_epoch is not None and index == 1:
            command.append(str(kill_epoch))
        workers.append(subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True))
    return workers


def finish(workers, timeout=120):
    codes = wait_all(workers, timeout=timeout)
    return codes, [w.stdout.read() for w in workers]


def test_worker_info_reads_tf_config(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    assert training.worker_info() == (0, 1) and training.is_chief()
    cluster = {"chief": ["a:1"], "worker": ["b:1", "c:1"]}
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": cluster, "task": {"type": "worker", "index": 1}}))
    assert training.worker_info() == (2, 3) and not training.is_chief()
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": cluster, "task": {"type": "chief", "index": 0}}))
    assert training.is_chief()
    monkeypatch.setenv("TF_CONFIG", "{not json")
    with pytest.raises(ValueError, match="TF_CONFIG must be JSON"):
        training.worker_info()


@tensorflow_only
def test_multi_worker_needs_tf_config(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    monkeypatch.setattr(training, "_distribution", {})
    with pytest.raises(ValueError, match="needs the TF_CONFIG environment variable"):
        training.multi_worker_strategy()


def test_each_worker_gets_its_share_and_no_row_twice():
    x = np.arange(37)
    arrays = training.ArrayDataset(x, x * 10, batch_size=8, seed=3)
    for epoch in (0, 1):
        arrays.set_epoch(epoch)
        seen = []
        for index in range(len(arrays)):
            shares = [arrays.worker_batch(index, worker, 2) for worker in range(2)]
            whole = arrays[index][0]
            assert sorted(np.concatenate([s[0] for s in shares])) == sorted(whole)
            for share in shares:
                np.testing.assert_array_equal(share[1], share[0] * 10)
                seen.extend(share[0])
        assert sorted(seen) == list(range(37))  # every row once per epoch, across the two workers


@pytest.mark.parametrize("mode", [pytest.param("tf", marks=tensorflow_only), "jax"])
def test_two_processes_train_like_one_write_only_on_the_chief_and_resume_after_a_kill(tmp_path, mode):
    if mode == "tf":
        from tests.shared.distribution_data import CLASS_WEIGHT, build, data

        x, y = data()
        single = training.fit(build(), (x, y), epochs=4, batch_size=16, seed=1, verbose=0,
                              class_weight=CLASS_WEIGHT).history["loss"]
        unweighted = training.fit(build(), (x, y), epochs=4, batch_size=16, seed=1, verbose=0).history["loss"]
        assert not np.allclose(single, unweighted, rtol=1e-2)  # the weights matter to the curve
    else:  # the reference, one JAX process, runs beside the killed pair
        reference = start_workers(tmp_path / "single", "single", mode="jax-single", count=1)

    codes, logs = finish(start_workers(tmp_path, "killed", mode=mode, kill_epoch=3))
    if mode == "jax":
        reference_codes, reference_logs = finish(reference)
        assert reference_codes == [0], reference_logs[0][-3000:]
        single = json.loads((tmp_path / "single" / "single-0.json").read_text())["loss"]
    assert codes[1] == -9, logs[1][-3000:]              # process 1 was killed in epoch 3
    assert codes[0] != 0                               # the chief could not go on without it
    state = json.loads((tmp_path / "checkpoint" / training.CHECKPOINT_STATE).read_text())
    assert state["epoch"] == 2                         # the chief's checkpoint after epoch 2

    codes, logs = finish(start_workers(tmp_path, "resumed", mode=mode))
    assert codes == [0, 0], logs[0][-3000:] + logs[1][-3000:]
    assert all("resuming from epoch 3 of 4" in log for log in logs)
    chief, worker = (json.loads((tmp_path / f"resumed-{i}.json").read_text()) for i in range(2))
    assert chief["chief"] and not worker["chief"] and chief["workers"] == 2
    assert chief["writes"] == [3, 4] and worker["writes"] == []
    assert chief["loss"] == worker["loss"]
    np.testing.assert_allclose(chief["loss"], single, rtol=1e-4)


@pytest.mark.parametrize("app, argv", [
    ("image_recognition", ["train", "--data", "mnist"]), ("text_classification", ["train", "--data", "trec"]),
    ("drug_target", ["train", "--data", "davis"]), ("go_policy", ["train", "--sgf", "x.tar.gz"]),
    ("video_analysis", ["train", "--data", "x"]), ("video_analysis", ["train-shots"]),
])
def test_every_train_command_takes_distribute(app, argv):
    import importlib

    parser = importlib.import_module(f"apps.{app}.cli").build_parser()
    assert parser.parse_args(argv + ["--distribute", "multi_worker"]).distribute == "multi_worker"
    assert parser.parse_args(argv).distribute is None
    with pytest.raises(SystemExit):
        parser.parse_args(argv + ["--distribute", "ring"])


def test_a_non_chief_command_writes_to_scratch_and_reads_the_chiefs_checkpoint(tmp_path, monkeypatch):
    import argparse

    from shared import cli

    cluster = {"worker": ["a:1", "b:1"]}
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": cluster, "task": {"type": "worker", "index": 1}}))
    monkeypatch.setattr(training, "multi_worker_strategy", lambda: None)  # no collective set-up in this process
    monkeypatch.setattr(training, "_distribution", {})
    args = argparse.Namespace(distribute="multi_worker", out=str(tmp_path / "run"))
    cli.start_distribution(args)
    try:
        assert args.out != str(tmp_path / "run") and "cnnkit-worker1-" in args.out
        assert training.distribution_outputs() == (Path(args.out), tmp_path / "run")
        assert training._shared_checkpoint_dir(str(Path(args.out) / "checkpoint")) == str(tmp_path / "run" /
                                                                                           "checkpoint")
        assert training._distribution["default"] == "multi_worker"
    finally:
        cli._end_distribution()
    assert not Path(args.out).exists() and training._distribution["default"] is None
    with pytest.raises(ValueError, match="The 'distribute' parameter of use_distribution must be one of"):
        training.use_distribution("ring")


def test_cluster_env_names_every_process():
    from shared.local_cluster import cluster_env

    tf_env = cluster_env("tf", 1, ["1001", "1002"])
    assert json.loads(tf_env["TF_CONFIG"]) == {"cluster": {"worker": ["127.0.0.1:1001", "127.0.0.1:1002"]},
                                               "task": {"type": "worker", "index": 1}}
    jax_env = cluster_env("jax", 0, ["1001", "1002"])
    assert jax_env["KERAS_DISTRIBUTION_JOB_ADDRESSES"] == "127.0.0.1:1001"
    assert jax_env["KERAS_DISTRIBUTION_NUM_PROCESSES"] == "2" and jax_env["KERAS_BACKEND"] == "jax"
    with pytest.raises(ValueError, match="The 'mode' parameter of cluster_env must be one of tf, jax"):
        cluster_env("torch", 0, ["1"])


def test_worker_shares_weigh_classes_as_keras_does():
    x = np.zeros((4, 2))
    sparse = training._weigh_classes((x, np.array([0, 1, 2, 1])), {0: 0.5, 1: 2.0})
    np.testing.assert_allclose(sparse[2], [0.5, 2.0, 1.0, 2.0])  # class 2 is not named: weight 1
    one_hot = training._weigh_classes((x, np.eye(3)[[2, 0, 1, 1]], np.array([1, 1, 3, 1])), {0: 0.5, 1: 2.0, 2: 4})
    np.testing.assert_allclose(one_hot[2], [4.0, 0.5, 6.0, 2.0])  # times the samples' own weights
    with pytest.raises(ValueError, match="class_weight needs targets"):
        training._weigh_classes((x,), {0: 1.0})


def test_process_shares_are_equal_and_refuse_batches_that_are_not_per_row(monkeypatch):
    monkeypatch.setenv("KERAS_DISTRIBUTION_NUM_PROCESSES", "2")
    monkeypatch.setenv("KERAS_DISTRIBUTION_PROCESS_ID", "1")
    monkeypatch.delenv("TF_CONFIG", raising=False)

    class Batches(keras.utils.PyDataset):
        def __len__(self):
            return 2

        def __getitem__(self, index):
            rows = np.arange(7) + 10 * index
            return ({"table": np.zeros((3, 2)), "rows": rows}, rows) if index else (rows, rows * 2)

    shares = training._ProcessShares(Batches())
    x, y = shares[0]  # 7 rows: the last is left out, process 1 takes rows 1, 3, 5
    assert x.tolist() == [1, 3, 5] and y.tolist() == [2, 6, 10]
    with pytest.raises(ValueError, match="splits every batch by rows, but batch 1 of Batches holds arrays of"):
        shares[1]
    arrays = training._ProcessShares(training.ArrayDataset(np.arange(9), batch_size=9, shuffle=False))
    assert arrays[0][0].tolist() == [1, 3, 5, 7]
