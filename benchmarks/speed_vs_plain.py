"""cnnkit against plain Keras scripts: training and inference samples/s of each app's main model.

    CNNKIT_DATA=../shared/data python -m benchmarks.speed_vs_plain                 # all four, 5 rounds
    CNNKIT_DATA=../shared/data python -m benchmarks.speed_vs_plain --models kim_cnn,deepdta --rounds 7
    CNNKIT_DATA=../shared/data python -m benchmarks.speed_vs_plain --quick         # tiny slices, 2 rounds

For each model (the MNIST ``convnet``, the Kim CNN on SST-2, DeepDTA on Davis and the Go policy
network ``policy_small``) the same network is built twice: once through the app's own code (its
builders, batching and ``shared.training.fit``, as ``cnnkit <app> train`` runs them) and once as a
plain keras.io-style script (``keras.Model`` on NumPy arrays padded to full length,
``model.fit(x, y, batch_size=...)``, ``model.predict``). The parameter counts must be equal.
Both train on the same real data slice with the same batch size, in float32 (pinned), one epoch per
round; inference predicts the same held-out slice (the app's own prediction path on the cnnkit side).

Rounds are interleaved (cnnkit, plain, then plain, cnnkit, ...), after a warm-up round that traces
the graphs and is not counted. Reported per model and side: training and inference samples/s as
median, min and max over the rounds; ``*_ratio`` = cnnkit / plain of the medians, with the spread
of the per-round ratios. Writes benchmarks/results/speed_vs_plain.json and .md.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

from shared.benchmarking import chosen, counted_rounds, spread

MODELS = ("mnist_convnet", "kim_cnn", "deepdta", "go_policy")
SIDES = ("cnnkit", "plain")
TARGET = "≥ 1.0x (issue 38)"

# Slices of the real data per model: training samples per round (a multiple of the batch size), predicted
# samples per round, and the batch size. Sized so that a full run of 5 rounds takes about 20 minutes on a
# 2-core CPU.
FULL = {
    "mnist_convnet": {"train": 12032, "predict": 10000, "batch": 128},
    "kim_cnn": {"train": 6000, "predict": 1821, "batch": 50},
    "deepdta": {"train": 3072, "predict": 1024, "batch": 256},
    "go_policy": {"train": 12288, "predict": 4096, "batch": 128, "games": 150},
}
QUICK = {
    "mnist_convnet": {"train": 256, "predict": 256, "batch": 128},
    "kim_cnn": {"train": 200, "predict": 100, "batch": 50},
    "deepdta": {"train": 128, "predict": 64, "batch": 64},
    "go_policy": {"train": 256, "predict": 128, "batch": 64, "games": 4, "workers": 1},
}


# --------------------------------------------------------------------------- statistics

def compare(cnnkit_rates, plain_rates) -> dict:
    """Ratio cnnkit / plain of the median rates, and the spread of the per-round ratios.

    ``cnnkit_rates`` and ``plain_rates`` are samples/s of the same rounds, in round order.
    """
    cnnkit_rates, plain_rates = list(cnnkit_rates), list(plain_rates)
    if len(cnnkit_rates) != len(plain_rates) or not cnnkit_rates:
        raise ValueError(f"compare() needs the same non-zero number of rounds per side, got {len(cnnkit_rates)} "
                         f"and {len(plain_rates)}")
    per_round = [a / b for a, b in zip(cnnkit_rates, plain_rates)]
    rounds = spread(per_round)
    return {"ratio": spread(cnnkit_rates)["median"] / spread(plain_rates)["median"],
            "round_ratio_median": rounds["median"], "round_ratio_min": rounds["min"],
            "round_ratio_max": rounds["max"]}


def _round(value, digits=1):
    return round(float(value), digits)


# --------------------------------------------------------------------------- the four models

class Bench:
    """One model, both sides. ``train(side)`` / ``predict(side)`` run one epoch / one pass over the
    prediction slice and return ``(wall seconds, CPU seconds of this process)``."""

    name = ""
    unit = "samples"
    why = ""

    def __init__(self, sizes: dict, seed: int = 0):
        self.sizes, self.seed = sizes, seed
        self.n_train, self.n_predict, self.batch = sizes["train"], sizes["predict"], sizes["batch"]

    def check_parameters(self):
        ours, plain = int(self.models["cnnkit"].count_params()), int(self.models["plain"].count_params())
        if ours != plain:
            raise AssertionError(f"{self.name}: parameter counts differ: cnnkit {ours} vs plain {plain}")
        self.parameters = ours

    @staticmethod
    def timed(function):
        start, cpu = time.perf_counter(), time.process_time()
        function()
        return time.perf_counter() - start, time.process_time() - cpu

    def details(self) -> dict:
        return {}


class MnistConvnet(Bench):
    """The image app's ``convnet`` (preset ``mnist_convnet``: width 16, dropout 0.1/0.3, sub-pixel
    translation) on MNIST digits."""

    name, unit = "mnist_convnet", "images"

    def setup(self):
        import keras

        from apps.image_recognition import data as image_data
        from apps.image_recognition import model as image_model
        from apps.image_recognition.presets import preset_config
        from apps.image_recognition.train import compile_for_training

        config = preset_config("mnist_convnet")
        d = image_data.load_named("mnist", limit=self.n_train, test_limit=self.n_predict, seed=self.seed)
        self.x, self.y = d.x_train, d.y_train                # what the app's prepare() hands to fit: raw pixels
        self.x_test = d.x_test
        mean, variance = image_data.sample_statistics(d.x_train)
        keras.utils.set_random_seed(self.seed)
        ours = image_model.build_classifier(config["arch"], d.input_shape, len(d.class_names), mean, variance,
                                            augment=config["augment"], seed=self.seed,
                                            backbone_kwargs=config["backbone_kwargs"], class_names=d.class_names)
        compile_for_training(ours, config["learning_rate"], 1000 * -(-self.n_train // self.batch))
        plain = plain_mnist_convnet(d.input_shape, config["backbone_kwargs"], mean, variance)
        self.models = {"cnnkit": ours, "plain": plain}
        # keras.io style: float32 pixels in memory
        self.x_plain, self.x_test_plain = d.x_train.astype("float32"), d.x_test.astype("float32")
        self.check_parameters()

    def train(self, side):
        from shared.training import fit

        model = self.models[side]
        if side == "cnnkit":  # apps.image_recognition.train.train's call
            return self.timed(lambda: fit(model, (self.x, self.y), None, epochs=1, batch_size=self.batch,
                                          seed=self.seed, verbose=0))
        return self.timed(lambda: model.fit(self.x_plain, self.y, batch_size=self.batch, epochs=1, verbose=0))

    def predict(self, side):
        from apps.image_recognition.tta import predict_arrays

        if side == "cnnkit":  # apps.image_recognition.evaluate's call
            return self.timed(lambda: predict_arrays(self.models[side], self.x_test, batch_size=256))
        return self.timed(lambda: self.models[side].predict(self.x_test_plain, batch_size=256, verbose=0))


def compiled_plain(model):
    """A plain script's classifier compiled as keras.io examples compile it: Adam 1e-3, cross-entropy, accuracy."""
    import keras

    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def plain_mnist_convnet(input_shape, backbone_kwargs, mean, variance, num_classes=10):
    """cnnkit's ``convnet`` classifier written as a keras.io example would write it."""
    import keras
    from keras import layers

    width = backbone_kwargs["width"]
    inputs = keras.Input(shape=tuple(input_shape))
    x = layers.Normalization(mean=list(np.ravel(mean)), variance=list(np.ravel(variance)))(inputs)
    x = layers.RandomTranslation(0.1, 0.1, fill_mode="constant")(x)
    for filters in (width, 2 * width):
        for _ in range(2):
            x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
            x = layers.BatchNormalization()(x)
            x = layers.Activation("relu")(x)
        x = layers.MaxPooling2D(2)(x)
        x = layers.Dropout(backbone_kwargs["dropout"])(x)
    x = layers.Flatten()(x)
    x = layers.Dense(256, activation="relu")(x)
    x = layers.Dropout(backbone_kwargs["dense_dropout"])(x)
    outputs = layers.Dense(num_classes, activation="softmax")(x)
    model = keras.Model(inputs, outputs)
    return compiled_plain(model)


class KimCnn(Bench):
    """Kim (2014) CNN-rand (filter windows 3/4/5 x 100 maps, 300-d embeddings) on SST-2 sentences."""

    name, unit = "kim_cnn", "sentences"

    def setup(self):
        import keras

        from apps.text_classification.data import load_dataset
        from apps.text_classification.models import build_model, make_encoder

        data = load_dataset("sst2")
        rng = np.random.default_rng(self.seed)
        rows = np.sort(rng.choice(len(data.train_texts), size=min(self.n_train, len(data.train_texts)),
                                  replace=False))
        texts = [data.train_texts[i] for i in rows]
        self.labels = np.asarray(data.train_labels, dtype="int32")[rows]
        self.n_train = len(texts)
        test_texts = list(data.test_texts[:self.n_predict])
        self.n_predict = len(test_texts)
        keras.utils.set_random_seed(self.seed)
        encoder = make_encoder("kim").fit(texts)               # apps.text_classification.train.train_model
        ours = build_model("kim", encoder, data.label_names, variant="rand")
        self.ids = encoder.encode(texts)                       # padded to the longest training text
        self.test_ids = encoder.encode(test_texts)
        plain = plain_kim_cnn(encoder.max_length, encoder.vocab_size, len(data.label_names))
        self.models = {"cnnkit": ours, "plain": plain}
        from apps.text_classification.batching import text_lengths

        lengths = text_lengths(self.ids)
        self.padding = {"max_length": int(encoder.max_length), "mean_length": round(float(lengths.mean()), 1)}
        self.check_parameters()

    def train(self, side):
        from apps.text_classification.train import fit

        model = self.models[side]
        if side == "cnnkit":  # train_model's call: length-bucketed batches through shared.training.fit
            return self.timed(lambda: fit(model, (self.ids, self.labels), None, epochs=1, batch_size=self.batch,
                                          patience=None, seed=self.seed, verbose=0, bucket=True))
        return self.timed(lambda: model.fit(self.ids, self.labels, batch_size=self.batch, epochs=1, verbose=0))

    def predict(self, side):  # encoded ids padded to the full length, batches of 256
        from shared.runtime import predict_in_batches

        if side == "cnnkit":  # apps.text_classification.train.evaluate's call
            return self.timed(lambda: predict_in_batches(self.models[side], self.test_ids, 256))
        return self.timed(lambda: self.models[side].predict(self.test_ids, batch_size=256, verbose=0))

    def details(self):
        return {"padding": self.padding}


def plain_kim_cnn(max_length, vocab_size, num_classes, embed_dim=300, filters=100, kernel_sizes=(3, 4, 5)):
    """Kim's CNN-rand as a keras.io-style functional model on full-length padded ids."""
    import keras
    from keras import layers

    inputs = keras.Input(shape=(max_length,), dtype="int32")
    x = layers.Embedding(vocab_size, embed_dim)(inputs)
    branches = [layers.Conv1D(filters, k, padding="same", activation="relu")(x) for k in kernel_sizes]
    x = layers.GlobalMaxPooling1D()(layers.Concatenate()(branches))
    x = layers.Dropout(0.5)(x)
    outputs = layers.Dense(num_classes, activation="softmax", kernel_constraint=keras.constraints.MaxNorm(3.0))(x)
    model = keras.Model(inputs, outputs)
    return compiled_plain(model)


class DeepDta(Bench):
    """DeepDTA (85 SMILES characters, 1,200 residues; 32/64/96 filters; 1024-1024-512 head) on Davis pairs."""

    name, unit = "deepdta", "pairs"

    def setup(self):
        import keras

        from apps.drug_target.batching import EntityBatches
        from apps.drug_target.data import load_dataset
        from apps.drug_target.model import build_deepdta, encode_entities_for, entity_view
        from apps.drug_target.presets import preset_config

        pair_data, splits = load_dataset("davis", seed=self.seed)
        rng = np.random.default_rng(self.seed)
        train = rng.permutation(splits["train"])[:self.n_train]
        test = splits["test"][:self.n_predict]
        self.n_train, self.n_predict = len(train), len(test)
        keras.utils.set_random_seed(self.seed)
        ours = build_deepdta("affinity", **preset_config("davis"))
        ours.compile(optimizer=keras.optimizers.Adam(1e-3))    # train_and_save's compile
        smiles, proteins, _ = encode_entities_for(ours, pair_data)
        self.smiles, self.proteins = smiles, proteins
        d, p, y = pair_data.drug_index, pair_data.protein_index, pair_data.y
        self.test_d, self.test_p = d[test], p[test]
        # apps.drug_target.train.train (entity_batched=True): the entity view on EntityBatches
        self.view = entity_view(ours)
        self.dataset = EntityBatches(smiles, proteins, d[train], p[train], y[train], batch_pairs=self.batch,
                                     seed=self.seed)
        plain = plain_deepdta(smiles.shape[1], proteins.shape[1], int(ours.get_layer("deepdta_backbone")
                                                                      .get_layer("drug_branch")
                                                                      .get_layer("embedding").input_dim),
                              int(ours.get_layer("deepdta_backbone").get_layer("protein_branch")
                                  .get_layer("embedding").input_dim), preset_config("davis"))
        self.models = {"cnnkit": ours, "plain": plain}
        # keras.io style: one row of tokens per pair
        self.x_plain = [smiles[d[train]], proteins[p[train]]]
        self.y_plain = y[train].astype("float32")
        self.x_test_plain = [smiles[self.test_d], proteins[self.test_p]]
        self.entities = {"train_drugs": int(np.unique(d[train]).size),
                         "train_proteins": int(np.unique(p[train]).size),
                         "predict_drugs": int(np.unique(self.test_d).size),
                         "predict_proteins": int(np.unique(self.test_p).size),
                         "batches_per_epoch": len(self.dataset),
                         "groups": [int(self.dataset.drug_groups), int(self.dataset.protein_groups)]}
        self.check_parameters()

    def train(self, side):
        from shared.training import fit

        if side == "cnnkit":
            return self.timed(lambda: fit(self.view, self.dataset, epochs=1, seed=self.seed, verbose=0,
                                          save_model=False))
        return self.timed(lambda: self.models["plain"].fit(self.x_plain, self.y_plain, batch_size=self.batch,
                                                           epochs=1, verbose=0))

    def predict(self, side):
        from apps.drug_target.predict import predict_entities

        if side == "cnnkit":  # evaluate()/cnnkit dta predict: each unique drug and protein encoded once
            return self.timed(lambda: predict_entities(self.models["cnnkit"], self.smiles, self.proteins,
                                                       self.test_d, self.test_p))
        return self.timed(lambda: self.models["plain"].predict(self.x_test_plain, batch_size=256, verbose=0))

    def details(self):
        return {"entities": self.entities}


def plain_deepdta(smiles_length, protein_length, smiles_vocab, protein_vocab, config):
    """DeepDTA as in the paper's Keras code: two 1-D CNN branches on token rows, a dense head, MSE."""
    import keras
    from keras import layers

    def branch(inputs, vocab, kernels):
        x = layers.Embedding(vocab, config["embed_dim"])(inputs)
        for filters, kernel in zip(config["filters"], kernels):
            x = layers.Conv1D(filters, kernel, padding="valid", activation="relu")(x)
        return layers.GlobalMaxPooling1D()(x)

    smiles = keras.Input((smiles_length,), dtype="int32")
    protein = keras.Input((protein_length,), dtype="int32")
    x = layers.Concatenate()([branch(smiles, smiles_vocab, config["smiles_kernels"]),
                              branch(protein, protein_vocab, config["protein_kernels"])])
    for units in config["hidden_units"]:
        x = layers.Dense(units, activation="relu")(x)
        x = layers.Dropout(config["dropout"])(x)
    outputs = layers.Dense(1)(x)
    model = keras.Model([smiles, protein], outputs)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
    return model


class GoPolicy(Bench):
    """The Go policy network of preset ``policy_small`` (6 layers of 32 maps, 22 input planes)."""

    name, unit = "go_policy", "positions"

    def setup(self):
        import keras

        from apps.go_policy.model.data import encode_dataset, load_positions, shard_paths
        from apps.go_policy.model.dataset import PositionDataset
        from apps.go_policy.model.network import build_policy_network, with_dtype_policy
        from apps.go_policy.presets import preset_record
        from shared.data import path

        record = preset_record("policy_small")
        depth, filters = int(record["depth"]), int(record["filters"])
        manifest = encode_dataset([path("go_pro", "cwi_pro_19x19_part01.tar.gz")], features="small",
                                  workers=self.sizes.get("workers", 2), max_games=self.sizes["games"],
                                  progress=False, cache=self.sizes.get("cache"))
        train_paths = shard_paths(manifest, "train")
        held_out = shard_paths(manifest, "test") + shard_paths(manifest, "validation")
        # train_policy's dataset: bit-packed shards streamed, unpacked and turned on the host
        self.dataset = PositionDataset(train_paths, batch_size=self.batch, seed=self.seed,
                                       max_positions=self.n_train)
        self.n_train = len(self.dataset) * self.batch
        self.x, self.y, _ = load_positions(train_paths, self.n_train)   # the same positions, unpacked in memory
        self.x_test, _, _ = load_positions(held_out, self.n_predict)
        self.n_predict = len(self.x_test)
        keras.utils.set_random_seed(self.seed)
        base = build_policy_network("small", depth=depth, filters=filters, learning_rate=1e-3)
        ours = with_dtype_policy(base, "float32", learning_rate=1e-3)
        plain = plain_policy_network(self.x.shape[1:], depth, filters)
        self.models = {"cnnkit": ours, "plain": plain}
        self.memory = {"packed_mb": round(sum(Path(p).stat().st_size for p in train_paths) / 2**20, 1),
                       "unpacked_float32_mb": round(self.x.nbytes / 2**20, 1)}
        self.check_parameters()

    def train(self, side):
        from shared.training import fit

        if side == "cnnkit":
            return self.timed(lambda: fit(self.models["cnnkit"], self.dataset, epochs=1, batch_size=self.batch,
                                          seed=self.seed, verbose=0))
        return self.timed(lambda: self.models["plain"].fit(self.x, self.y, batch_size=self.batch, epochs=1,
                                                           verbose=0))

    def predict(self, side):
        from apps.go_policy.model.data import predict_with_symmetries
        from shared.runtime import predict_in_batches

        model = self.models[side]
        if side == "cnnkit":  # evaluate_policy's call, one symmetry, its default batch size
            return self.timed(lambda: predict_with_symmetries(lambda b: predict_in_batches(model, b, 1024),
                                                              self.x_test, 1))
        return self.timed(lambda: model.predict(self.x_test, batch_size=256, verbose=0))

    def details(self):
        return {"shard_bytes": self.memory}


def plain_policy_network(input_shape, depth, filters):
    """Clark & Storkey's policy CNN as a plain Keras script: 5x5 then 3x3 convolutions, 1x1 head, softmax."""
    import keras
    from keras import layers

    inputs = keras.Input(tuple(input_shape))
    x = layers.Conv2D(filters, 5, padding="same", activation="relu")(inputs)
    for _ in range(depth - 1):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
    x = layers.Flatten()(layers.Conv2D(1, 1, padding="same")(x))
    outputs = layers.Softmax()(x)
    model = keras.Model(inputs, outputs)
    return compiled_plain(model)


BENCHES = {"mnist_convnet": MnistConvnet, "kim_cnn": KimCnn, "deepdta": DeepDta, "go_policy": GoPolicy}


# --------------------------------------------------------------------------- running

def run_model(bench: Bench, rounds: int, log=print) -> dict:
    """Warm-up round, then ``rounds`` interleaved rounds; the model's record."""
    start = time.perf_counter()
    bench.setup()
    setup_s = time.perf_counter() - start
    for side in SIDES:  # warm-up: traces every graph; not counted
        bench.train(side)
        bench.predict(side)
    seconds = {side: {"train": [], "predict": []} for side in SIDES}
    cpu_seconds = {side: {"train": [], "predict": []} for side in SIDES}
    for index in range(rounds):
        order = SIDES if index % 2 == 0 else SIDES[::-1]
        for side in order:
            for kind, run in (("train", bench.train), ("predict", bench.predict)):
                wall, cpu = run(side)
                seconds[side][kind].append(wall)
                cpu_seconds[side][kind].append(cpu)
        log(f"{bench.name} round {index + 1}: " + ", ".join(
            f"{side} train {bench.n_train / seconds[side]['train'][-1]:.0f} / predict "
            f"{bench.n_predict / seconds[side]['predict'][-1]:.0f} {bench.unit}/s" for side in SIDES))
    sizes = (("train", bench.n_train), ("predict", bench.n_predict))
    rates = {side: {kind: [n / s for s in seconds[side][kind]] for kind, n in sizes} for side in SIDES}
    cpu_rates = {side: {kind: [n / max(s, 1e-9) for s in cpu_seconds[side][kind]] for kind, n in sizes}
                 for side in SIDES}
    record = {"unit": f"{bench.unit}/s", "parameters": bench.parameters, "train_samples": bench.n_train,
              "predict_samples": bench.n_predict, "batch_size": bench.batch}
    for kind in ("train", "predict"):
        for side in SIDES:
            stats = spread(rates[side][kind])
            record[f"{side}_{kind}_per_s"] = {k: _round(v) for k, v in stats.items()}
        comparison = compare(rates["cnnkit"][kind], rates["plain"][kind])
        record[f"{kind}_ratio"] = round(comparison["ratio"], 3)
        record[f"{kind}_round_ratio"] = {"median": round(comparison["round_ratio_median"], 3),
                                         "min": round(comparison["round_ratio_min"], 3),
                                         "max": round(comparison["round_ratio_max"], 3)}
        # per CPU second of this process: far less disturbed by other jobs on a shared machine
        for side in SIDES:
            record[f"{side}_{kind}_per_cpu_s"] = _round(spread(cpu_rates[side][kind])["median"])
        record[f"{kind}_ratio_cpu_time"] = round(compare(cpu_rates["cnnkit"][kind], cpu_rates["plain"][kind])
                                                 ["ratio"], 3)
    record["rounds"] = {side: {kind: [_round(v) for v in rates[side][kind]] for kind in ("train", "predict")}
                        for side in SIDES}
    record.update(bench.details())
    record["seconds"] = round(time.perf_counter() - start, 1)
    record["setup_seconds"] = round(setup_s, 1)
    return record


REASONS = {
    ("kim_cnn", "train"): "length bucketing: each batch is padded only to its own longest sentence ({mean_length} "
                          "tokens on average against {max_length} for the whole slice), so the convolutions skip "
                          "most of the padding",
    ("deepdta", "train"): "entity batching: each batch encodes its unique drugs and proteins once and gathers their "
                          "features per pair ({train_proteins} proteins and {train_drugs} drugs behind {train} "
                          "pairs), instead of running the protein CNN once per pair",
    ("deepdta", "predict"): "entity batching: each unique drug and protein is encoded once ({predict_proteins} "
                            "proteins and {predict_drugs} drugs behind {predict} pairs)",
    ("go_policy", "train"): "bit-packed planes: the training positions stay bit-packed ({packed_mb} MB of shards "
                            "against {unpacked_float32_mb} MB of float32 arrays) and each batch is unpacked when it "
                            "is drawn",
    ("go_policy", "predict"): "the compiled predict function runs on slices of 1,024 positions "
                              "(shared.runtime.predict_in_batches) without model.predict's per-call data pipeline, "
                              "progress bar and callbacks",
    ("mnist_convnet", "train"): "the same graph on both sides; cnnkit gathers each batch of raw uint8 pixels (a "
                                "quarter of the bytes, normalised in the model) inside tf.data, the plain script "
                                "feeds float32 arrays through Keras' array adapter",
    ("mnist_convnet", "predict"): "the same graph and inputs on both sides; cnnkit runs the compiled predict "
                                  "function on slices (shared.runtime.predict_in_batches) without model.predict's "
                                  "per-call data pipeline, progress bar and callbacks",
    ("kim_cnn", "predict"): "the same graph and inputs on both sides; cnnkit runs the compiled predict function on "
                            "slices (shared.runtime.predict_in_batches) without model.predict's per-call set-up",
}


def verdict_of(ratio: float, round_ratio: dict, margin: float = 0.05) -> str:
    """``faster`` / ``slower`` when the median ratio is off 1.0 by more than ``margin`` and every round
    agrees; ``level`` otherwise."""
    if ratio >= 1 + margin and round_ratio["min"] > 1.0:
        return "faster"
    if ratio <= 1 - margin and round_ratio["max"] < 1.0:
        return "slower"
    return "level (within 5% or the round-to-round spread)"


def notes_for(records: dict, rounds: int) -> str:
    """Where cnnkit is faster or slower, read from the measured ratios (no claim the numbers do not show)."""
    lines = []
    for name, record in records.items():
        for kind in ("train", "predict"):
            ratio = record[f"{kind}_ratio"]
            spread_ = record[f"{kind}_round_ratio"]
            verdict = verdict_of(ratio, spread_)
            lines.append(f"{name} {kind}: cnnkit/plain {ratio:.2f}x (rounds {spread_['min']:.2f}-"
                         f"{spread_['max']:.2f}; per CPU second {record[f'{kind}_ratio_cpu_time']:.2f}x): {verdict}")
    reasons = []
    for name, record in records.items():
        faster = [k for k in ("train", "predict")
                  if verdict_of(record[f"{k}_ratio"], record[f"{k}_round_ratio"]) == "faster"]
        if not faster:
            continue
        fields = {"train": record["train_samples"], "predict": record["predict_samples"],
                  **record.get("padding", {}), **record.get("entities", {}), **record.get("shard_bytes", {})}
        reason = "; ".join(f"{name} {kind}: " + REASONS[name, kind].format(**fields) for kind in faster)
        same_work = [k for k in faster if abs(record[f"{k}_ratio_cpu_time"] - 1.0) < 0.05]
        if same_work:
            reason += (f" (but {' and '.join(same_work)} per CPU second "
                       + ", ".join(f"{record[f'{k}_ratio_cpu_time']:.2f}x" for k in same_work)
                       + ": about the same CPU work per sample, so the wall-clock gain comes from how the data "
                         "is fed, not from less arithmetic)")
        reasons.append(reason)
    below = [f"{name}.{kind}_ratio {records[name][f'{kind}_ratio']:.2f}" for name in records
             for kind in ("train", "predict") if records[name][f"{kind}_ratio"] < 1.0]
    text = (f"Median of {rounds} interleaved rounds after an uncounted warm-up; float32 on both sides; one epoch "
            "of the training slice and one pass over the prediction slice per round and side; the machine may be "
            "shared (wall-clock rates swing with its load; the interleaved ratios are the figure to read, and the "
            "ratios per CPU second of this process, *_ratio_cpu_time, are a check that other jobs disturb less). "
            + "; ".join(lines) + ".")
    if reasons:
        text += " Why cnnkit is faster where it is: " + "; ".join(reasons) + "."
    text += (" Below the 1.0x target: " + ", ".join(below) + "." if below else " Every ratio meets the 1.0x target.")
    return text


def build_parser():
    parser = argparse.ArgumentParser(prog="python -m benchmarks.speed_vs_plain", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=None, help="counted rounds (default 5; 2 with --quick)")
    parser.add_argument("--models", default=",".join(MODELS), help=f"comma list of {', '.join(MODELS)}")
    parser.add_argument("--quick", action="store_true", help="tiny slices and 2 rounds (tests)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--go-cache", default=None, help="folder for the encoded Go shards (default: cnnkit's cache)")
    parser.add_argument("--name", default="speed_vs_plain", help="result name under benchmarks/results/")
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    models = chosen("--models", args.models, MODELS)
    rounds = counted_rounds(args.rounds, args.quick)
    import keras

    from shared.benchmarking import cpu_model, script_command, write_result

    keras.mixed_precision.set_global_policy("float32")  # pin the precision on both sides
    start = time.perf_counter()
    sizes = QUICK if args.quick else FULL
    records = {}
    for name in models:
        model_sizes = dict(sizes[name], cache=args.go_cache)
        records[name] = run_model(BENCHES[name](model_sizes, seed=args.seed), rounds)
        keras.backend.clear_session()
        print(f"{name}: train ratio {records[name]['train_ratio']:.3f}, predict ratio "
              f"{records[name]['predict_ratio']:.3f} ({records[name]['seconds']:.0f} s)", flush=True)
    references = {name: {"train_ratio": TARGET, "predict_ratio": TARGET} for name in records}
    notes = notes_for(records, rounds) + (f" CPU: {cpu_model()}, 1-minute load average at the end: "
                                          f"{os.getloadavg()[0]:.1f}.")
    argv_used = sys.argv[1:] if argv is None else list(argv)
    path = write_result(args.name, records, references, command=script_command(__file__, argv_used),
                        wall_time_s=time.perf_counter() - start, notes=notes,
                        extra={"rounds": rounds, "quick": bool(args.quick), "precision": "float32"})
    print(notes)
    return path


if __name__ == "__main__":
    main()
