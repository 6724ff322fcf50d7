"""float32 against mixed bfloat16 training, per app: training speed and test accuracy.

    CNNKIT_DATA=../shared/data python -m benchmarks.precision                  # all apps, 5 rounds
    CNNKIT_DATA=../shared/data python -m benchmarks.precision --apps text,dta --rounds 7
    CNNKIT_DATA=../shared/data python -m benchmarks.precision --quick          # tiny slices, 2 rounds

Each app trains a short recipe of its main model in float32 and in mixed_bfloat16 (what
``--precision mixed_bfloat16`` / ``auto`` selects on a CPU with AVX512-BF16 or AMX), interleaved:
round r trains both with seed r (the order alternates between rounds). The dtype policy is set
with ``keras.mixed_precision.set_global_policy`` for each training run and reset to float32 after it.
Measured per run: steady-state training samples/s (the first batches, which trace the graph, are
not counted) and the test metric of the trained model as the app saves it (computing in float32):

* image: the ``mnist_convnet`` preset's network on an MNIST slice, accuracy on the 10,000 test digits;
* text: Kim CNN-rand on SST-2 sentences (length-bucketed batches), accuracy on the 1,821 test sentences;
* dta: DeepDTA (Davis lengths) on Davis setting-1 training pairs (entity batches), CI on test pairs;
* go: the ``policy_small`` network (6x32, 22 planes) on streamed positions, top-1 on held-out games;
* video: the 3-D clip classifier on Moving-MNIST clips (40 classes: digit and motion), accuracy on
  test clips (digits of the MNIST test split).

Reported per app: median, min and max of both figures per precision, the speed-up (median mixed /
median float32 samples/s) and the accuracy difference (median mixed - median float32), "within
noise" when its size is at most the float32 round-to-round spread (max - min). Writes
benchmarks/results/precision.json and .md.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

from shared.benchmarking import chosen, counted_rounds, spread

APPS = ("image", "text", "dta", "go", "video")
PRECISIONS = ("float32", "mixed_bfloat16")

FULL = {
    "image": {"train": 12032, "epochs": 3, "batch": 128},
    "text": {"train": 6920, "epochs": 4, "batch": 50},
    "dta": {"train": 5000, "test": 2000, "epochs": 4, "batch": 256},
    "go": {"games": 300, "steps": 150, "epochs": 2, "batch": 128, "test": 4000},
    "video": {"train": 3008, "test": 500, "epochs": 5, "batch": 32},
}
QUICK = {
    "image": {"train": 192, "epochs": 1, "batch": 64, "test": 128},
    "text": {"train": 200, "epochs": 1, "batch": 50, "test": 64},
    "dta": {"train": 128, "test": 32, "epochs": 2, "batch": 64},
    "go": {"games": 4, "steps": 3, "epochs": 1, "batch": 32, "test": 64, "workers": 1},
    "video": {"train": 48, "test": 16, "epochs": 1, "batch": 16},
}


# --------------------------------------------------------------------------- measuring

def steady_throughput_callback(skip_batches: int = 2):
    """A Keras callback timing training batches after the first ``skip_batches`` (graph tracing).

    ``counted`` batches took ``seconds`` (from the end of the batch before, or the start of the
    epoch, to the end of the batch: data loading included, validation between epochs not) and
    ``cpu_seconds`` of this process's CPU time (all threads), which other jobs on a shared machine
    disturb far less than the wall clock.
    """
    import keras

    class SteadyThroughput(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.skip, self.seen, self.counted = int(skip_batches), 0, 0
            self.seconds, self.cpu_seconds, self._mark, self._cpu_mark = 0.0, 0.0, None, None

        def on_epoch_begin(self, epoch, logs=None):
            self._mark, self._cpu_mark = time.perf_counter(), time.process_time()

        def on_train_batch_end(self, batch, logs=None):
            now, cpu = time.perf_counter(), time.process_time()
            self.seen += 1
            if self.seen > self.skip:
                self.counted += 1
                self.seconds += now - self._mark
                self.cpu_seconds += cpu - self._cpu_mark
            self._mark, self._cpu_mark = now, cpu

        def rate(self, samples_per_batch: float, cpu: bool = False) -> float:
            """Samples per second of wall time (``cpu``: per CPU second of this process)."""
            if not self.counted:
                raise ValueError("no training batch was timed (fewer batches than skip_batches)")
            return self.counted * samples_per_batch / max(self.cpu_seconds if cpu else self.seconds, 1e-9)

    return SteadyThroughput()


def compare_precisions(float32_rates, mixed_rates, float32_scores, mixed_scores) -> dict:
    """Speed-up (median mixed / median float32 rate), score difference (median mixed - median float32)
    and whether the difference is within noise: ``|difference| <= max - min`` of the float32 scores."""
    if not (len(float32_rates) == len(mixed_rates) == len(float32_scores) == len(mixed_scores) > 0):
        raise ValueError("compare_precisions() needs the same non-zero number of rounds for every list")
    f32, mixed = spread(float32_scores), spread(mixed_scores)
    noise = f32["max"] - f32["min"]
    difference = mixed["median"] - f32["median"]
    return {"speedup": spread(mixed_rates)["median"] / spread(float32_rates)["median"],
            "round_speedup": spread(m / f for m, f in zip(mixed_rates, float32_rates)),
            "score_difference": difference, "float32_score_spread": noise,
            "within_noise": bool(abs(difference) <= noise + 1e-12)}


def _as_saved(model):
    """Score a model as the apps save it: computing in float32 whatever it trained under."""
    from shared.training import float32_policies

    return float32_policies(model)


# --------------------------------------------------------------------------- the apps

class App:
    name = metric = unit = ""
    recipe = ""
    chance = 0.0  # the test metric of guessing

    def __init__(self, sizes: dict):
        self.sizes = sizes

    def prepare(self):
        """Load the data once (every run trains on the same slice; the seed varies)."""

    def run(self, seed: int) -> tuple[float, float, float]:
        """Train one recipe under the current global dtype policy: (samples/s, samples per CPU s, test metric)."""
        raise NotImplementedError


class ImageApp(App):
    name, metric, unit, chance = "image", "test_accuracy", "images/s", 0.1

    def prepare(self):
        from apps.image_recognition import data as image_data
        from apps.image_recognition.presets import preset_config

        self.config = preset_config("mnist_convnet")
        d = image_data.load_named("mnist", limit=100, test_limit=self.sizes.get("test"))
        self.x_test, self.y_test = d.x_test, d.y_test
        self.recipe = (f"apps.image_recognition.train.train('mnist', limit={self.sizes['train']}) with the "
                       f"mnist_convnet preset's network and augmentation, {self.sizes['epochs']} epochs, batch "
                       f"{self.sizes['batch']}, Adam 1e-3 with cosine decay; accuracy on {len(self.y_test)} test "
                       "digits")

    def run(self, seed):
        from apps.image_recognition.train import train

        timer = steady_throughput_callback()
        n, batch = self.sizes["train"], self.sizes["batch"]
        config = {k: v for k, v in self.config.items() if k not in ("epochs", "batch_size")}
        model, _, _ = train("mnist", **config, epochs=self.sizes["epochs"], batch_size=batch, limit=n,
                            test_limit=256, seed=seed, callbacks=[timer], verbose=0)
        with _as_saved(model):
            predicted = model.predict(self.x_test, batch_size=256, verbose=0).argmax(axis=1)
        per_batch = n / -(-n // batch)
        return timer.rate(per_batch), timer.rate(per_batch, cpu=True), float((predicted == self.y_test).mean())


class TextApp(App):
    name, metric, unit, chance = "text", "test_accuracy", "sentences/s", 0.5

    def prepare(self):
        from apps.text_classification.data import load_dataset

        data = load_dataset("sst2")
        n = min(self.sizes["train"], len(data.train_texts))
        self.texts, self.labels = list(data.train_texts[:n]), np.asarray(data.train_labels[:n], dtype="int32")
        test = self.sizes.get("test") or len(data.test_texts)
        self.test_texts, self.test_labels = list(data.test_texts[:test]), np.asarray(data.test_labels[:test])
        self.label_names = data.label_names
        self.recipe = (f"Kim CNN-rand (apps.text_classification: make_encoder, build_model, length-bucketed "
                       f"batches, shared.training.fit) on {n} SST-2 training sentences, {self.sizes['epochs']} "
                       f"epochs, batch {self.sizes['batch']}, Adam 1e-3; accuracy on {len(self.test_labels)} test "
                       "sentences (apps.text_classification.train.evaluate)")

    def run(self, seed):
        import keras

        from apps.text_classification.batching import LengthBucketedBatches
        from apps.text_classification.models import build_model, make_encoder
        from apps.text_classification.train import evaluate
        from shared.training import fit

        keras.utils.set_random_seed(seed)
        encoder = make_encoder("kim").fit(self.texts)
        classifier = build_model("kim", encoder, self.label_names, variant="rand")
        batches = LengthBucketedBatches(encoder.encode(self.texts), self.labels, batch_size=self.sizes["batch"],
                                        seed=seed)
        timer = steady_throughput_callback()
        fit(classifier, batches, epochs=self.sizes["epochs"], seed=seed, callbacks=[timer], verbose=0)
        with _as_saved(classifier):
            accuracy = evaluate(classifier, self.test_texts, self.test_labels)["accuracy"]
        per_batch = len(self.texts) / len(batches)
        return timer.rate(per_batch), timer.rate(per_batch, cpu=True), accuracy


class DtaApp(App):
    name, metric, unit, chance = "dta", "test_ci", "pairs/s", 0.5

    def prepare(self):
        from apps.drug_target.data import load_dataset

        self.pair_data, splits = load_dataset("davis")
        rng = np.random.default_rng(0)
        self.train_idx = rng.permutation(splits["train"])[:self.sizes["train"]]
        self.test_idx = rng.permutation(splits["test"])[:self.sizes["test"]]
        self.recipe = (f"DeepDTA (Davis preset) trained as apps.drug_target.train.train trains it (entity view on "
                       f"EntityBatches, shared.training.fit) on {len(self.train_idx)} Davis setting-1 training pairs, "
                       f"{self.sizes['epochs']} epochs, {self.sizes['batch']} pairs per batch, Adam 1e-3; CI on "
                       f"{len(self.test_idx)} test pairs (apps.drug_target.predict.evaluate)")

    def run(self, seed):
        import keras

        from apps.drug_target.batching import EntityBatches
        from apps.drug_target.model import build_deepdta, encode_entities_for, entity_view
        from apps.drug_target.predict import evaluate
        from apps.drug_target.presets import preset_config
        from shared.training import fit

        keras.utils.set_random_seed(seed)
        model = build_deepdta("affinity", **preset_config("davis"))
        model.compile(optimizer=keras.optimizers.Adam(1e-3))
        # apps.drug_target.train.train with entity_batched=True: the entity view of the model on EntityBatches
        smiles, proteins, _ = encode_entities_for(model, self.pair_data)
        d, p, y = self.pair_data.drug_index, self.pair_data.protein_index, self.pair_data.y
        batches = EntityBatches(smiles, proteins, d[self.train_idx], p[self.train_idx], y[self.train_idx],
                                batch_pairs=self.sizes["batch"], seed=seed)
        timer = steady_throughput_callback()
        fit(entity_view(model), batches, epochs=self.sizes["epochs"], seed=seed, callbacks=[timer], verbose=0,
            save_model=False)
        with _as_saved(model):
            metrics, _ = evaluate(model, self.pair_data, self.test_idx, smiles, proteins)
        per_batch = len(self.train_idx) / len(batches)
        return timer.rate(per_batch), timer.rate(per_batch, cpu=True), float(metrics["ci"])


class GoApp(App):
    name, metric, unit, chance = "go", "test_top1", "positions/s", 1 / 361

    def prepare(self):
        from apps.go_policy.model.data import encode_dataset, load_positions, shard_paths
        from apps.go_policy.presets import preset_record
        from shared.data import path

        record = preset_record("policy_small")
        self.depth, self.filters = int(record["depth"]), int(record["filters"])
        manifest = encode_dataset([path("go_pro", "cwi_pro_19x19_part01.tar.gz")], features="small",
                                  workers=self.sizes.get("workers", 2), max_games=self.sizes["games"],
                                  progress=False, cache=self.sizes.get("cache"))
        self.train_paths = shard_paths(manifest, "train")
        held_out = shard_paths(manifest, "test") + shard_paths(manifest, "validation")
        self.x_test, self.y_test, _ = load_positions(held_out, self.sizes["test"])
        self.recipe = (f"policy_small's network ({self.depth}x{self.filters}, small planes) as "
                       "apps.go_policy.model.train.train_policy trains it (PositionDataset with host symmetries, "
                       f"with_dtype_policy, shared.training.fit) on the first {self.sizes['games']} games of CWI shard "
                       f"1: {self.sizes['epochs']} epochs of {self.sizes['steps']} batches of {self.sizes['batch']}, "
                       f"Adam 1e-3; top-1 on {len(self.y_test)} positions of its held-out games")

    def run(self, seed):
        import keras

        from apps.go_policy.model.dataset import PositionDataset
        from apps.go_policy.model.network import build_policy_network, with_dtype_policy
        from apps.go_policy.model.train import move_prediction_metrics
        from shared.training import fit

        keras.utils.set_random_seed(seed)
        policy = keras.config.dtype_policy().name
        base = build_policy_network("small", depth=self.depth, filters=self.filters, learning_rate=1e-3)
        model = with_dtype_policy(base, policy, learning_rate=1e-3)
        batch = self.sizes["batch"]
        data = PositionDataset(self.train_paths, batch_size=batch, seed=seed, max_batches=self.sizes["steps"])
        timer = steady_throughput_callback()
        fit(model, data, epochs=self.sizes["epochs"], batch_size=batch, seed=seed, callbacks=[timer], verbose=0)
        saved = with_dtype_policy(model, "float32") if policy != "float32" else model  # as train_policy saves it
        probabilities = saved.predict(self.x_test, batch_size=256, verbose=0)
        top1 = move_prediction_metrics(probabilities, self.y_test)["top1"]
        return timer.rate(batch), timer.rate(batch, cpu=True), top1


class VideoApp(App):
    name, metric, unit, chance = "video", "test_accuracy", "clips/s", 1 / 40

    def prepare(self):
        from apps.video_analysis import moving_mnist

        self.x, self.y, self.names = moving_mnist.generate(self.sizes["train"], split="train", seed=0)
        self.x_test, self.y_test, _ = moving_mnist.generate(self.sizes["test"], split="test", seed=1)
        self.recipe = (f"the 3-D clip classifier (apps.video_analysis.models.build_clip_classifier, arch '3d') on "
                       f"{len(self.y)} Moving-MNIST clips (8 frames of 32x32, 40 classes: digit and motion), "
                       f"{self.sizes['epochs']} epochs, batch {self.sizes['batch']}, Adam 1e-3 (as "
                       f"train_clip_classifier fits it); accuracy on {len(self.y_test)} test clips")

    def run(self, seed):
        import keras

        from apps.video_analysis.models import build_clip_classifier
        from shared.training import fit

        keras.utils.set_random_seed(seed)
        model = build_clip_classifier(self.x.shape[1:], len(self.names), arch="3d")
        timer = steady_throughput_callback()
        batch = self.sizes["batch"]
        fit(model, (self.x, self.y), epochs=self.sizes["epochs"], batch_size=batch, seed=seed, callbacks=[timer],
            verbose=0)
        with _as_saved(model):
            predicted = model.predict(self.x_test, batch_size=64, verbose=0).argmax(axis=1)
        per_batch = len(self.y) / -(-len(self.y) // batch)
        return timer.rate(per_batch), timer.rate(per_batch, cpu=True), float((predicted == self.y_test).mean())


APP_CLASSES = {"image": ImageApp, "text": TextApp, "dta": DtaApp, "go": GoApp, "video": VideoApp}


# --------------------------------------------------------------------------- running

def train_under(policy: str, app: App, seed: int):
    """One training run of ``app`` under global dtype policy ``policy``, reset to float32 afterwards."""
    import keras

    keras.mixed_precision.set_global_policy(policy)
    try:
        return app.run(seed)
    finally:
        keras.mixed_precision.set_global_policy("float32")
        keras.backend.clear_session()


def run_app(app: App, rounds: int, log=print) -> dict:
    start = time.perf_counter()
    app.prepare()
    rates = {p: [] for p in PRECISIONS}
    cpu_rates = {p: [] for p in PRECISIONS}
    scores = {p: [] for p in PRECISIONS}
    for index in range(rounds):
        order = PRECISIONS if index % 2 == 0 else PRECISIONS[::-1]
        for policy in order:
            rate, cpu_rate, score = train_under(policy, app, seed=index)
            rates[policy].append(rate)
            cpu_rates[policy].append(cpu_rate)
            scores[policy].append(score)
        log(f"{app.name} round {index + 1} (seed {index}): " + ", ".join(
            f"{p} {rates[p][-1]:.0f} {app.unit}, {app.metric} {scores[p][-1]:.4f}" for p in PRECISIONS), flush=True)
    comparison = compare_precisions(rates["float32"], rates["mixed_bfloat16"], scores["float32"],
                                    scores["mixed_bfloat16"])
    record = {"recipe": app.recipe, "unit": app.unit, "metric": app.metric, "chance": round(app.chance, 4)}
    for policy in PRECISIONS:
        record[f"{policy}_train_per_s"] = {k: round(v, 1) for k, v in spread(rates[policy]).items()}
        record[f"{policy}_train_per_cpu_s"] = {k: round(v, 1) for k, v in spread(cpu_rates[policy]).items()}
        record[f"{policy}_{app.metric}"] = {k: round(v, 4) for k, v in spread(scores[policy]).items()}
    record["speedup"] = round(comparison["speedup"], 3)
    record["round_speedup"] = {k: round(v, 3) for k, v in comparison["round_speedup"].items()}
    record["speedup_cpu_time"] = round(spread(cpu_rates["mixed_bfloat16"])["median"]
                                       / spread(cpu_rates["float32"])["median"], 3)
    record[f"{app.metric}_difference"] = round(comparison["score_difference"], 4)
    record["float32_spread"] = round(comparison["float32_score_spread"], 4)
    record["within_noise"] = comparison["within_noise"]
    record["rounds"] = {p: {"train_per_s": [round(v, 1) for v in rates[p]],
                            "train_per_cpu_s": [round(v, 1) for v in cpu_rates[p]],
                            app.metric: [round(v, 4) for v in scores[p]]} for p in PRECISIONS}
    record["seconds"] = round(time.perf_counter() - start, 1)
    return record


def notes_for(records: dict, rounds: int) -> str:
    parts = []
    for name, r in records.items():
        metric = r["metric"]
        verdict = "within noise" if r["within_noise"] else "NOT within noise"
        baseline = r[f"float32_{metric}"]["median"]
        if baseline < r["chance"] + 0.1 * (1 - r["chance"]):
            verdict += f" (but near chance, {r['chance']:.3g}: the recipe is too short to say much)"
        parts.append(f"{name}: mixed_bfloat16 trains {r['speedup']:.2f}x as fast as float32 (rounds "
                     f"{r['round_speedup']['min']:.2f}-{r['round_speedup']['max']:.2f}; per CPU second "
                     f"{r['speedup_cpu_time']:.2f}x); {metric} "
                     f"{r[f'mixed_bfloat16_{metric}']['median']:.4f} against {r[f'float32_{metric}']['median']:.4f}, "
                     f"a difference of {r[f'{metric}_difference']:+.4f} against a float32 round-to-round spread of "
                     f"{r['float32_spread']:.4f}: {verdict}")
    slower = [name for name, r in records.items() if r["speedup"] < 1.0]
    text = (f"{rounds} interleaved rounds per app (round r: seed r for both precisions, the order alternating); "
            "samples/s are steady-state training rates (the first two batches of a run, which trace the graph, "
            "are not counted; nor is validation), per second of wall time and, less disturbed by other jobs on a "
            "shared machine, per second of this process's CPU time; test metrics are of the model as the apps "
            "save it (computing in float32). 'Within noise': |median difference| <= the float32 max - min over "
            "the rounds. "
            + "; ".join(parts) + ".")
    if slower:
        text += " Mixed bfloat16 is slower than float32 here for: " + ", ".join(slower) + "."
    return text


def build_parser():
    parser = argparse.ArgumentParser(prog="python -m benchmarks.precision", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=None, help="rounds per app (default 5; 2 with --quick)")
    parser.add_argument("--apps", default=",".join(APPS), help=f"comma list of {', '.join(APPS)}")
    parser.add_argument("--quick", action="store_true", help="tiny slices and 2 rounds (tests)")
    parser.add_argument("--go-cache", default=None, help="folder for the encoded Go shards (default: cnnkit's cache)")
    parser.add_argument("--name", default="precision", help="result name under benchmarks/results/")
    parser.add_argument("--update", action="store_true",
                        help="merge these apps' records into the existing result (shared.benchmarking.update_result: "
                             "the first run's command and date stay, this run is listed as an update)")
    parser.add_argument("--update-reason", default="", help="why the apps were re-run (recorded with --update)")
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    apps = chosen("--apps", args.apps, APPS)
    rounds = counted_rounds(args.rounds, args.quick)
    import keras

    from shared.benchmarking import cpu_has_bf16, cpu_model, script_command, write_result

    keras.mixed_precision.set_global_policy("float32")
    start = time.perf_counter()
    sizes = QUICK if args.quick else FULL
    args.sizes_used = {name: sizes[name] for name in apps}
    records = {}
    for name in apps:
        records[name] = run_app(APP_CLASSES[name](dict(sizes[name], cache=args.go_cache)), rounds)
        print(f"{name}: speed-up {records[name]['speedup']:.3f}, {records[name]['metric']} difference "
              f"{records[name][records[name]['metric'] + '_difference']:+.4f} ({records[name]['seconds']:.0f} s)",
              flush=True)
    references = {name: {"speedup": "> 1.0 (issue 38: how much faster)",
                         f"{r['metric']}_difference": "within noise: |difference| <= float32_spread (issue 38)"}
                  for name, r in records.items()}
    if args.update:
        return _update(args, records, references, rounds, time.perf_counter() - start)
    notes = notes_for(records, rounds)
    if "video" not in apps:
        notes += " Video not run (not in --apps)."
    notes += (f" CPU: {cpu_model()} (bfloat16 units: {'yes' if cpu_has_bf16() else 'no'}), 1-minute load average "
              f"at the end: {os.getloadavg()[0]:.1f}.")
    argv_used = sys.argv[1:] if argv is None else list(argv)
    path = write_result(args.name, records, references, command=script_command(__file__, argv_used),
                        wall_time_s=time.perf_counter() - start, notes=notes,
                        extra={"rounds": rounds, "quick": bool(args.quick)})
    print(notes)
    return path


def _update(args, records, references, rounds, seconds):
    """Replace the records of the apps just run in the existing result, notes recomputed from all records."""
    import json

    from shared.benchmarking import RESULTS, update_result

    old = json.loads((RESULTS / f"{args.name}.json").read_text())
    if old.get("rounds") != rounds:
        raise SystemExit(f"--update: the existing result has {old.get('rounds')} rounds per app, this run {rounds}")
    metrics = {**old["metrics"], **records}
    merged_references = {**old.get("references", {}), **references}
    from shared.benchmarking import cpu_model

    notes = notes_for(metrics, rounds) + f" CPU: {cpu_model()}."
    replaced = "; ".join(
        f"{name}'s first-run record had {old['metrics'][name]['metric']} per round float32 "
        f"{old['metrics'][name]['rounds']['float32'][old['metrics'][name]['metric']]}, mixed_bfloat16 "
        f"{old['metrics'][name]['rounds']['mixed_bfloat16'][old['metrics'][name]['metric']]} and speed-up "
        f"{old['metrics'][name]['speedup']}" for name in records if name in old["metrics"])
    note = (f"{', '.join(records)} re-run alone in a fresh process ({rounds} rounds, "
            f"{', '.join(f'{k} {v}' for k, v in args.sizes_used.items())}); these records replace the first run's"
            + (f" ({replaced}). {args.update_reason}" if replaced else f". {args.update_reason}"))
    return update_result(args.name, {"metrics": metrics, "references": merged_references, "notes": notes}, note,
                         wall_time_s=seconds)


if __name__ == "__main__":
    main()
