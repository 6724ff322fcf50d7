"""Training throughput with 1 and 2 processes on this machine (issue 42, a sanity figure).

    CNNKIT_DATA=../shared/data python -m benchmarks.scaling                # 3 interleaved rounds
    CNNKIT_DATA=../shared/data python -m benchmarks.scaling --rounds 1 --quick

The image app's MNIST convnet (preset ``mnist_convnet``) trains on the same MNIST slice through
``shared.training.fit`` with the same global batch: in one process on all cores, and in two
processes (TensorFlow ``multi_worker``, JAX ``data_parallel``) on 127.0.0.1, each pinned to its
own share of the cores (``taskset``), so that both set-ups use the same CPUs. Each process times
its epochs; the rate is images per second over the epochs after the first (which traces the
graphs). ``efficiency`` = two-process rate / one-process rate: 1.0 means the split costs nothing.
On one machine the two processes only share out its cores, so this measures the overhead of the
distribution (gradient exchange over 127.0.0.1, split batches), not a speed-up.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FULL = {"train": 8192, "batch": 256, "epochs": 3}
QUICK = {"train": 512, "batch": 128, "epochs": 2}


def worker(mode, index, ports, sizes, result):
    """One training process: ``mode`` "single" (no distribution), "tf" or "jax"."""
    if mode == "single":
        os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    else:
        from shared.local_cluster import cluster_env

        os.environ.update(cluster_env(mode, index, ports))
    from shared import training

    if mode == "tf":
        training.multi_worker_strategy()
    elif mode == "jax":
        training.start_processes()
    import keras

    from apps.image_recognition import data as image_data
    from apps.image_recognition import model as image_model
    from apps.image_recognition.presets import preset_config
    from apps.image_recognition.train import compile_for_training

    config = preset_config("mnist_convnet")
    d = image_data.load_named("mnist", limit=sizes["train"], test_limit=16, seed=0)
    mean, variance = image_data.sample_statistics(d.x_train)
    keras.utils.set_random_seed(0)
    model = image_model.build_classifier(config["arch"], d.input_shape, len(d.class_names), mean, variance,
                                         augment=config["augment"], seed=0,
                                         backbone_kwargs=config["backbone_kwargs"], class_names=d.class_names)
    compile_for_training(model, config["learning_rate"], 1000)
    seconds = []

    class Timer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            seconds.append(time.perf_counter() - self.start)

    distribute = {"tf": "multi_worker", "jax": "data_parallel"}.get(mode)
    training.fit(model, (d.x_train, d.y_train), epochs=sizes["epochs"], batch_size=sizes["batch"], seed=0,
                 verbose=0, distribute=distribute, callbacks=[Timer()])
    Path(result).write_text(json.dumps({"epoch_seconds": seconds, "images": len(d.x_train),
                                        "backend": keras.backend.backend()}))


def run_setup(engine, processes, sizes, folder, cores):
    """Train once with ``processes`` processes of ``engine``; images/s after the first epoch."""
    from shared.local_cluster import free_ports, wait_all

    ports = free_ports(processes)
    mode = "single" if processes == 1 else engine
    env = {k: v for k, v in os.environ.items() if k not in ("TF_CONFIG", "KERAS_DISTRIBUTION_NUM_PROCESSES")}
    env.update(PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="2", KERAS_BACKEND="jax" if engine == "jax" else
               "tensorflow")
    share = max(1, cores // processes)
    started = []
    for index in range(processes):
        result = folder / f"{engine}-{processes}-{index}.json"
        result.unlink(missing_ok=True)
        cpus = ",".join(str(c) for c in range(index * share, (index + 1) * share))
        command = ["taskset", "-c", cpus, sys.executable, "-m", "benchmarks.scaling", "--worker", mode, str(index),
                   json.dumps(ports), json.dumps(sizes), str(result)]
        started.append(subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE, text=True))
    codes = wait_all(started, timeout=1200)
    if codes != [0] * processes:
        raise RuntimeError(f"{engine} with {processes} process(es) failed: exit codes {codes}; "
                           + started[0].stderr.read()[-2000:])
    chief = json.loads((folder / f"{engine}-{processes}-0.json").read_text())
    steady = chief["epoch_seconds"][1:] or chief["epoch_seconds"]
    return chief["images"] / (sum(steady) / len(steady))


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scaling", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="a tiny slice (tests)")
    parser.add_argument("--engines", default="tf,jax")
    parser.add_argument("--name", default="scaling")
    parser.add_argument("--worker", nargs=5, metavar=("MODE", "INDEX", "PORTS", "SIZES", "RESULT"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        mode, index, ports, sizes, result = args.worker
        return worker(mode, int(index), json.loads(ports), json.loads(sizes), result)
    import tempfile

    from shared.benchmarking import chosen, script_command, spread, write_result

    sizes = QUICK if args.quick else FULL
    engines = chosen("--engines", args.engines, ("tf", "jax"))
    cores = len(os.sched_getaffinity(0))
    start = time.perf_counter()
    rates = {engine: {1: [], 2: []} for engine in engines}
    with tempfile.TemporaryDirectory() as folder:
        for round_index in range(args.rounds):
            order = (1, 2) if round_index % 2 == 0 else (2, 1)
            for engine in engines:
                for processes in order:
                    rates[engine][processes].append(run_setup(engine, processes, sizes, Path(folder), cores))
                print(f"round {round_index + 1} {engine}: 1 process {rates[engine][1][-1]:.0f}, 2 processes "
                      f"{rates[engine][2][-1]:.0f} images/s", flush=True)
    metrics = {}
    for engine in engines:
        one, two = spread(rates[engine][1]), spread(rates[engine][2])
        ratios = spread([b / a for a, b in zip(rates[engine][1], rates[engine][2])])
        metrics[engine] = {"one_process_images_per_s": {k: round(v, 1) for k, v in one.items()},
                           "two_processes_images_per_s": {k: round(v, 1) for k, v in two.items()},
                           "efficiency": round(two["median"] / one["median"], 3),
                           "round_efficiency": {k: round(v, 3) for k, v in ratios.items()},
                           "rounds": {"1": [round(r, 1) for r in rates[engine][1]],
                                      "2": [round(r, 1) for r in rates[engine][2]]}}
    notes = (f"MNIST convnet, {sizes['train']} images, global batch {sizes['batch']}, {sizes['epochs']} epochs per "
             f"run (the first not counted); one process on all {cores} cores against two processes on {cores // 2} "
             f"core(s) each (taskset), on 127.0.0.1; median of {args.rounds} interleaved rounds. On one machine the "
             "two processes share its cores, so efficiency below 1.0 is the cost of the split (gradients exchanged "
             "every step, half batches); it is not a multi-machine speed-up. "
             + "; ".join(f"{e}: efficiency {metrics[e]['efficiency']:.2f} (rounds "
                         f"{metrics[e]['round_efficiency']['min']:.2f}-{metrics[e]['round_efficiency']['max']:.2f})"
                         for e in engines) + ".")
    references = {e: {"efficiency": "sanity figure on one machine (issue 42); no published reference"}
                  for e in engines}
    path = write_result(args.name, metrics, references, command=script_command(__file__, argv or sys.argv[1:]),
                        wall_time_s=time.perf_counter() - start, notes=notes,
                        extra={"rounds": args.rounds, "quick": bool(args.quick), "cores": cores})
    print(notes)
    return path


if __name__ == "__main__":
    main()
