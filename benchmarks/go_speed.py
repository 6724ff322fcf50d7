"""Go speed figures: rules engine, feature encoding, genmove latency, training throughput.

    CNNKIT_DATA=../shared/data python -m benchmarks.go_speed
    CNNKIT_DATA=../shared/data python -m benchmarks.go_speed --name go_speed_slower_amd   # another machine

Measures, in one process on this machine:
* random legal play (moves/s) on 9x9, 13x13, 19x19 with the pure-Python board;
* feature encoding (positions/s) of the small (22) and full (47) plane sets, one
  process, and the parallel spawn-worker pipeline (SGF archive -> cached shards);
* genmove latency of the shipped preset with TensorFlow limited to 2 threads
  (the target: under 100 ms on 2 CPU cores), raw, averaged over 8 symmetries, and with
  8 symmetries and tactical reading (``--tactics``);
* training positions/s of the preset-sized network, cnnkit (PositionDataset
  streaming + symmetries) next to the same network as a plain Keras script
  fitting NumPy arrays, in float32 and (on CPUs with bfloat16 units) mixed bfloat16, and
  with the planes unpacked and turned in the graph (``--device-augmentation``);
* what one batch-loading thread prepares per second, host symmetries vs packed planes for
  the device (what a GPU's loader threads must keep up with).
Writes benchmarks/results/NAME.json and .md (``--name``, default go_speed).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time

import numpy as np

from benchmarks.go_common import argument_parser, limit_tensorflow_threads, load_preset

GENMOVE_TARGET = {"mean": "< 100 (target, 2 CPU cores)"}


def loader_speeds(paths, batch, batches):
    """Positions/s one thread prepares: unpacked and turned on the host, or only sliced (packed)."""
    from apps.go_policy.model.dataset import PositionDataset

    speeds = {}
    for name, options in (("host_unpack_and_symmetries", {}), ("packed_for_the_device", {"augment": False,
                                                                                          "packed": True})):
        dataset = PositionDataset(paths, batch_size=batch, max_batches=batches, **options)
        dataset[0]  # warm the shard cache
        t = time.perf_counter()
        for index in range(len(dataset)):
            dataset[index]
        speeds[name] = round(len(dataset) * batch / (time.perf_counter() - t), 1)
    return speeds


def training_speeds(paths, x, y, depth, filters, batch, batches):
    """Positions/s of one epoch: cnnkit (PositionDataset + symmetries on the host, then in the graph)
    and a plain Keras script."""
    import keras

    from apps.go_policy.model.augmentation import SymmetryTrainer
    from apps.go_policy.model.dataset import PositionDataset
    from apps.go_policy.model.network import build_policy_network

    ours = build_policy_network("small", depth=depth, filters=filters)
    dataset = PositionDataset(paths, batch_size=batch, max_batches=batches)
    ours.fit(dataset, epochs=1, verbose=0)  # compile and warm up
    t = time.perf_counter()
    ours.fit(dataset, epochs=1, verbose=0)
    ours_speed = len(dataset) * batch / (time.perf_counter() - t)
    trainer = SymmetryTrainer(build_policy_network("small", depth=depth, filters=filters))
    packed = PositionDataset(paths, batch_size=batch, max_batches=batches, augment=False, packed=True)
    trainer.fit(packed, epochs=1, verbose=0)
    t = time.perf_counter()
    trainer.fit(packed, epochs=1, verbose=0)
    device_speed = len(packed) * batch / (time.perf_counter() - t)

    inputs = keras.Input((19, 19, 22))
    h = keras.layers.Conv2D(filters, 5, padding="same", activation="relu")(inputs)
    for _ in range(depth - 1):
        h = keras.layers.Conv2D(filters, 3, padding="same", activation="relu")(h)
    h = keras.layers.Conv2D(1, 1, padding="same")(h)
    outputs = keras.layers.Softmax(dtype="float32")(keras.layers.Flatten()(h))
    plain = keras.Model(inputs, outputs)
    plain.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    n = min(len(x), batches * batch)
    plain.fit(x[:batch], y[:batch], batch_size=batch, epochs=1, verbose=0)
    t = time.perf_counter()
    plain.fit(x[:n], y[:n], batch_size=batch, epochs=1, verbose=0)
    return ours_speed, device_speed, n / (time.perf_counter() - t)


def random_play_speeds(moves: int = 20000) -> dict:
    """Random legal moves per second (wall and CPU time) of the pure-Python board, by board size."""
    from apps.go_policy.rules.board import random_playout_speed

    wall_speeds, cpu_speeds = {}, {}
    for size in (9, 13, 19):
        cpu = time.process_time()
        wall = time.perf_counter()
        random_playout_speed(size, moves)
        wall_speeds[f"{size}x{size}"] = round(moves / (time.perf_counter() - wall), 1)
        cpu_speeds[f"{size}x{size}"] = round(moves / (time.process_time() - cpu), 1)
    return {"random_play_moves_per_s": wall_speeds, "random_play_moves_per_cpu_s": cpu_speeds}


def encoding_speeds(games) -> dict:
    """Positions per second (wall and CPU time) one process encodes, small and full plane sets."""
    from apps.go_policy.model.features import FeatureEncoder

    encoding = {}
    for name in ("small", "full"):
        encoder = FeatureEncoder(name)
        t = time.perf_counter()
        cpu = time.process_time()
        count = 0
        for record in games:
            for _, _, _, board in record.positions():
                encoder.encode(board)
                count += 1
        encoding[f"{name}_{encoder.num_planes}_planes_one_process"] = round(count / (time.perf_counter() - t), 1)
        encoding[f"{name}_{encoder.num_planes}_planes_per_cpu_s"] = round(count / (time.process_time() - cpu), 1)
    return encoding


def genmove_latency(model, games) -> dict:
    """genmove milliseconds (wall and this process's CPU time) at moves 20, 100 and 180 of 10 games."""
    from apps.go_policy.play.engine import PolicyEngine

    metrics = {}
    for symmetries, tactics, suffix in ((1, False, ""), (8, False, "_8_symmetries"),
                                        (8, True, "_8_symmetries_tactics")):
        engine = PolicyEngine(model, symmetries=symmetries, tactics=tactics)
        board = games[0].board(60)
        times, cpu_times = [], []
        for _ in range(3):
            engine.select_move(board)  # warm up
        for record in games[:10]:
            for moves in (20, 100, 180):
                board = record.board(min(moves, len(record.moves)))
                cpu = time.process_time()
                engine.select_move(board)
                cpu_times.append((time.process_time() - cpu) * 1000)
                times.append(engine.last_seconds * 1000)
        metrics["genmove_ms" + suffix] = {"mean": round(float(np.mean(times)), 1),
                                          "p95": round(float(np.percentile(times, 95)), 1),
                                          "max": round(float(np.max(times)), 1), "samples": len(times)}
        # CPU seconds of this process (all threads) per genmove: what it costs on an idle machine
        metrics["genmove_cpu_ms" + suffix] = {"mean": round(float(np.mean(cpu_times)), 1),
                                              "p95": round(float(np.percentile(cpu_times, 95)), 1)}
    return metrics


def build_parser():
    parser = argument_parser(__doc__, __file__)
    parser.add_argument("--games", type=int, default=60, help="games of shard 11 to encode")
    parser.add_argument("--train-batches", type=int, default=20)
    parser.add_argument("--name", default="go_speed",
                        help="result name under benchmarks/results/ (another machine's run keeps its own record)")
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    limit_tensorflow_threads(2, 2)
    import keras

    from apps.go_policy.model.data import encode_dataset, load_positions, shard_paths
    from apps.go_policy.presets import preset_record
    from apps.go_policy.rules.records import read_games
    from shared.benchmarking import cpu_has_bf16, cpu_model, write_result
    from shared.data import path

    start = time.perf_counter()
    metrics = random_play_speeds()
    shard = path("go_pro", "cwi_pro_19x19_part11.tar.gz")
    games = list(read_games(shard, max_games=20))
    encoding = encoding_speeds(games)
    with tempfile.TemporaryDirectory() as cache:
        manifest = encode_dataset([shard], features="small", workers=2, max_games=args.games,
                                  cache=cache, progress=False)
        encoding["small_pipeline_2_spawn_workers_incl_parsing_and_writing"] = manifest["positions_per_s"]
        x, y, _ = load_positions(shard_paths(manifest, "train"), 512 * args.train_batches)
        paths = shard_paths(manifest, "train")
        metrics.update(genmove_latency(load_preset(), games))

        # training throughput, cnnkit vs plain Keras, same architecture, per dtype policy and batch
        preset = preset_record()
        depth, filters = preset["depth"], preset["filters"]
        settings = [("float32", 128)] + ([("mixed_bfloat16", 128), ("mixed_bfloat16", 512)] if cpu_has_bf16() else [])
        training = {}
        for policy, batch in settings:
            keras.config.set_dtype_policy(policy)
            ours_speed, device_speed, plain_speed = training_speeds(paths, x, y, depth, filters, batch,
                                                                    args.train_batches)
            keras.config.set_dtype_policy("float32")
            suffix = "" if (policy, batch) == ("float32", 128) else f"_{policy}_batch{batch}"
            training[f"cnnkit_policy_{depth}x{filters}_streaming_symmetries{suffix}"] = round(ours_speed, 1)
            training[f"cnnkit_policy_{depth}x{filters}_device_symmetries{suffix}"] = round(device_speed, 1)
            training[f"plain_keras_{depth}x{filters}_numpy_arrays{suffix}"] = round(plain_speed, 1)
        loader = loader_speeds(paths, 512, args.train_batches)
    metrics["encoding_positions_per_s"] = encoding
    metrics["loader_positions_per_s_one_thread_batch_512"] = loader
    metrics["training_positions_per_s"] = training
    references = {"genmove_ms": GENMOVE_TARGET, "genmove_cpu_ms": GENMOVE_TARGET,
                  "genmove_ms_8_symmetries": GENMOVE_TARGET, "genmove_ms_8_symmetries_tactics": GENMOVE_TARGET}
    load = os.getloadavg()[0]
    notes = (f"2-core machine ({cpu_model()}); 1-minute load average at the end of the run: {load:.1f} "
             "(this benchmark's own 2 threads count; well above 2 means other jobs were running, and then "
             "every wall-clock throughput here is a lower bound); "
             "the *_cpu_* figures divide by this process's CPU time instead and do not depend on the load. "
             "genmove = feature encoding + sensible-move mask + one network call, TensorFlow limited "
             "to 2 threads; *_8_symmetries: the same with the network called once on the 8 rotated and "
             "mirrored boards (`--symmetries 8`); *_8_symmetries_tactics: that, then tactical reading "
             "(`--tactics`). Encoding throughput of the pipeline includes SGF parsing, "
             "replay checks, spawn start-up and compressed shard writing.")
    write_result(args.name, metrics, references, wall_time_s=time.perf_counter() - start, notes=notes)
    print(metrics)
    return 0


if __name__ == "__main__":
    sys.exit(main())
