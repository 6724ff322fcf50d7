"""Reproduce Kim (2014) Table 2, CNN-rand row, next to char-CNN and DCNN, on the CPU.

    python -m benchmarks.kim2014 --help       # the options; the committed command is in kim2014.json
    python -m benchmarks.kim2014 --quick      # a 2-minute smoke run (writes kim2014_quick.json)

Protocol (printed into the results): MR and SUBJ by stratified 10-fold CV, TREC / SST-1 /
SST-2 on their test sets; every run early-stops on a dev set (SST: the given dev split,
else 10% of the training part) and keeps the best epoch. SST is trained on sentences only
on the sentences and labelled phrases of the training split, as Kim did (``--sst2-data``; SST-1
has no phrase labels in the data, so it is sentence level). Finished folds and cells are saved to
the cnnkit cache, so an interrupted run resumes where it stopped; without that progress file the
cells of the committed ``benchmarks/results/NAME.json`` are the starting point, so ``--rerun`` of
one cell keeps the rest of the table. ``--save-models DIR`` keeps each trained (non-CV) cell's model
as ``DIR/MODEL_DATASET.keras``.
Also measures training sentences/s of the cnnkit Kim model next to the same model written
as a plain Keras script, in the same process.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from apps.text_classification.batching import LengthBucketedBatches
from apps.text_classification.data import load_dataset, split_holdout
from apps.text_classification.models import build_model, make_encoder
from apps.text_classification.presets import model_settings
from apps.text_classification.train import cross_validate, evaluate, train_model
from shared import data as shared_data
from shared.benchmarking import RESULTS, script_command, write_result
from shared.cli import add_precision_argument, apply_precision

DATASETS = ("mr", "sst1", "sst2", "subj", "trec")
COLUMNS = {"mr": "MR", "sst1": "SST-1", "sst2": "SST-2", "subj": "Subj", "trec": "TREC"}
# Kim 2014, Table 2 (accuracy %). DCNN row as quoted there (Kalchbrenner et al. 2014; SST with phrases).
PUBLISHED = {
    "kim_rand": {"mr": 76.1, "sst1": 45.0, "sst2": 82.7, "subj": 89.6, "trec": 91.2},
    "dcnn": {"sst1": 48.5, "sst2": 86.8, "trec": 93.0},
    "char_cnn": {},
}
MODELS = {"kim_rand": ("kim", "rand"), "char_cnn": ("char", "rand"), "dcnn": ("dcnn", "rand")}


def plain_keras_kim(max_length, vocab_size, num_classes):
    """The same Kim CNN as a plain Keras script would write it (the throughput baseline)."""
    import keras

    inputs = keras.Input(shape=(max_length,), dtype="int32")
    embedded = keras.layers.Embedding(vocab_size, 300)(inputs)
    pooled = [keras.layers.GlobalMaxPooling1D()(
        keras.layers.Conv1D(100, k, padding="same", activation="relu")(embedded)) for k in (3, 4, 5)]
    x = keras.layers.Dropout(0.5)(keras.layers.Concatenate()(pooled))
    outputs = keras.layers.Dense(num_classes, activation="softmax", kernel_constraint=keras.constraints.MaxNorm(3))(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(5e-4), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def throughput(texts, labels, label_names, repeats=2):
    """Training sentences/s: plain Keras script vs cnnkit (same padding) vs cnnkit (bucketed batches)."""
    import numpy as np

    encoder = make_encoder("kim").fit(texts)
    x = encoder.encode(texts)
    y = np.asarray(labels, dtype="int32")
    plain = plain_keras_kim(encoder.max_length, encoder.vocab_size, len(label_names))
    ours = build_model("kim", encoder, label_names, learning_rate=5e-4)
    bucketed = LengthBucketedBatches(x, y, batch_size=50)
    runs = {
        "plain_keras_script": lambda: plain.fit(x, y, batch_size=50, epochs=1, verbose=0),
        "cnnkit_same_padding": lambda: ours.fit(x, y, batch_size=50, epochs=1, verbose=0),
        "cnnkit_bucketed": lambda: ours.fit(bucketed, epochs=1, verbose=0),
    }
    for run in runs.values():  # trace and warm up
        plain.fit(x[:100], y[:100], batch_size=50, epochs=1, verbose=0)
        run()
    best = {name: 0.0 for name in runs}
    for _ in range(repeats):  # interleaved, best of `repeats`, to damp other users of the CPU
        for name, run in runs.items():
            start = time.perf_counter()
            run()
            best[name] = max(best[name], len(x) / (time.perf_counter() - start))
    return best


def describe_settings(model, common, args, bf16, has_test):
    """One line with the settings a cell ran with (stored with the cell, printed in the notes)."""
    if model == "kim":
        optimizer = "Adadelta lr 1.0" if args.optimizer == "adadelta" else f"Adam lr {args.learning_rate:g}"
    else:
        optimizer = f"Adam lr {common['learning_rate']:g}"
    epochs = common.get("epochs") or (args.epochs if has_test else args.cv_epochs)
    patience = common.get("patience") or (args.patience if has_test else 1)
    text = f"{optimizer}, at most {epochs} epochs{'' if has_test else ' per fold'}, patience {patience}"
    if model == "char":
        text += (f", {args.char_filters} maps, {args.char_dense} units, "
                 f"{'no batch norm' if args.char_no_batch_norm else 'batch norm'}")
    batch = model_settings(model)["batch_size"]
    return text + f", batch {batch}, {'mixed bfloat16' if bf16 else 'float32'}"


def run_cell(model_key, name, args, bf16, state, save):
    """Train and score one cell (model x dataset) with the dataset's protocol; CV folds resume from ``state``."""
    import keras

    model, variant = MODELS[model_key]
    cell = f"{model_key}/{name}"
    limit = 600 if args.quick else None
    folds = 2 if args.quick else args.folds
    data_name = args.sst2_data if name == "sst2" else name
    dataset = load_dataset(data_name).subset(limit, 0)
    common = dict(model=model, variant=variant, lowercase=dataset.lowercase, trained_on=data_name,
                  learning_rate=None if args.optimizer == "adadelta" else args.learning_rate,
                  optimizer=args.optimizer, verbose=0)
    if model == "char":
        common.update(filters=args.char_filters, dense_units=args.char_dense, epochs=args.char_epochs,
                      patience=args.char_patience, learning_rate=args.char_learning_rate,
                      batch_norm=not args.char_no_batch_norm, optimizer=None)
    if model == "dcnn":
        common.update(epochs=args.aux_epochs, patience=args.aux_patience,
                      learning_rate=args.aux_learning_rate or args.learning_rate, optimizer=None)
    settings = describe_settings(model, common, args, bf16, has_test=dataset.has_test_split)
    start = time.perf_counter()
    if not dataset.has_test_split:
        cell_folds = folds if model == "kim" else (2 if args.quick else args.aux_folds)
        texts, labels = dataset.all_texts()
        if cell_folds >= 2:
            progress = state.setdefault(cell, {"folds": {}})

            def on_fold(fold, record, progress=progress):
                progress["folds"][str(fold)] = record
                save()
                print(f"  {cell} fold {fold + 1}/{cell_folds}: {100 * record['accuracy']:.1f} "
                      f"({record['epochs']} epochs, {record['seconds']:.0f} s)", flush=True)

            common.setdefault("epochs", args.cv_epochs)
            common.setdefault("patience", 1)
            outcome = cross_validate(texts, labels, dataset.label_names, folds=cell_folds, seed=0,
                                     progress=False, on_fold=on_fold,
                                     completed={int(k): v for k, v in progress["folds"].items()}, **common)
            record = dict(accuracy=outcome["accuracy"], accuracy_std=outcome["accuracy_std"],
                          protocol=f"stratified {cell_folds}-fold CV", epochs=outcome["fold_epochs"],
                          seconds=float(sum(outcome["fold_seconds"])))
        else:
            tr, trl, te, tel = split_holdout(texts, labels, 0.1, 0)
            common.setdefault("epochs", args.cv_epochs)
            common.setdefault("patience", 1)
            classifier, _, info = train_model(tr, trl, dataset.label_names, seed=0, **common)
            record = dict(accuracy=evaluate(classifier, te, tel)["accuracy"], epochs=[info["epochs_run"]],
                          protocol="one stratified 10% hold-out (not 10-fold CV)",
                          seconds=time.perf_counter() - start)
    else:
        common.setdefault("epochs", args.epochs)
        common.setdefault("patience", args.patience)
        dev = (dataset.dev_texts, dataset.dev_labels) if dataset.dev_texts is not None else None
        classifier, _, info = train_model(dataset.train_texts, dataset.train_labels, dataset.label_names,
                                          dev=dev, seed=0, **common)
        record = dict(accuracy=evaluate(classifier, dataset.test_texts, dataset.test_labels)["accuracy"],
                      epochs=[info["epochs_run"]], seconds=time.perf_counter() - start,
                      protocol="given test set, early stopping on " + ("the given dev set" if dev else "10% of train"))
    if args.save_models and dataset.has_test_split:
        folder = Path(args.save_models)
        folder.mkdir(parents=True, exist_ok=True)
        classifier.save(folder / f"{model_key}_{name}.keras")
    keras.backend.clear_session()
    record["training_data"] = f"{data_name}: {len(dataset.train_texts)} training texts"
    record["settings"] = settings
    record["wall_time_s"] = time.perf_counter() - start
    return record


def starting_state(state_path, name, quick):
    """The saved progress; without it, the cells (and throughput) of the committed result."""
    if state_path.exists():
        return json.loads(state_path.read_text())
    committed = RESULTS / f"{name}.json"
    if quick or not committed.exists():
        return {}
    record = json.loads(committed.read_text())
    print(f"starting from the cells of {committed.name} (no saved progress in the cache)", flush=True)
    state = {cell: dict(values) for cell, values in record.get("cells", {}).items()}
    speed = record.get("metrics", {}).get("throughput_sentences_per_s")
    if speed:
        state["throughput"], state["throughput_seconds"] = speed, 0.0
    return state


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.kim2014", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny slices and 2 folds: a smoke test")
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument("--models", default="kim_rand,dcnn,char_cnn")
    parser.add_argument("--folds", type=int, default=10, help="CV folds for MR and SUBJ (Kim CNN)")
    parser.add_argument("--aux-folds", type=int, default=1,
                        help="CV folds for char-CNN and DCNN on MR/SUBJ (1 = one stratified 10%% hold-out)")
    parser.add_argument("--cv-epochs", type=int, default=5, help="max epochs per CV fold")
    parser.add_argument("--epochs", type=int, default=10, help="max epochs on TREC/SST")
    parser.add_argument("--aux-epochs", type=int, default=6, help="max epochs of the DCNN")
    parser.add_argument("--char-epochs", type=int, default=4)
    parser.add_argument("--char-patience", type=int, default=1)
    parser.add_argument("--char-filters", type=int, default=128)
    parser.add_argument("--char-dense", type=int, default=512)
    parser.add_argument("--learning-rate", type=float, default=5e-4, help="Kim CNN learning rate (Adam)")
    parser.add_argument("--optimizer", choices=("adam", "adadelta"), default="adam",
                        help="Kim CNN optimizer; adadelta is Kim's (rho 0.95, learning rate 1.0)")
    parser.add_argument("--patience", type=int, default=2, help="early-stopping patience on TREC/SST")
    parser.add_argument("--char-learning-rate", type=float, default=1e-3)
    parser.add_argument("--char-no-batch-norm", action="store_true", help="the paper's char-CNN, without batch norm")
    add_precision_argument(parser)
    parser.add_argument("--skip", default="", help="cells not to run, e.g. dcnn/subj,char_cnn/mr (CPU budget)")
    parser.add_argument("--throughput-repeats", type=int, default=2)
    parser.add_argument("--aux-learning-rate", type=float, help="DCNN learning rate (default: --learning-rate)")
    parser.add_argument("--aux-patience", type=int, default=1, help="DCNN early-stopping patience")
    parser.add_argument("--notes-extra", default="", help="appended to the notes (e.g. settings of resumed cells)")
    parser.add_argument("--fresh", action="store_true", help="ignore saved progress")
    parser.add_argument("--rerun", default="", help="cells to run again even if saved, e.g. kim_rand/trec")
    parser.add_argument("--name", default="kim2014")
    parser.add_argument("--sst2-data", choices=("sst2_phrases", "sst2"), default="sst2_phrases",
                        help="SST-2 training data: sentences and phrases (Kim's protocol) or sentences only")
    parser.add_argument("--save-models", metavar="DIR", help="save each trained cell's model (not CV cells) here")
    args = parser.parse_args(argv)

    bf16 = apply_precision(args.precision) == "mixed_bfloat16"
    limit = 600 if args.quick else None
    state_path = shared_data.cache_dir("text_classification", "benchmarks") / (
        f"{args.name}{'_quick' if args.quick else ''}_progress.json")
    state = {} if args.fresh else starting_state(state_path, args.name, args.quick)

    def save():
        state_path.write_text(json.dumps(state, indent=1))

    results: dict = {}
    datasets = [d for d in args.datasets.split(",") if d]
    for model_key in [m for m in args.models.split(",") if m]:
        for name in datasets:
            cell = f"{model_key}/{name}"
            if cell in args.skip.split(","):
                print(f"[skipped] {cell}: not run (--skip)", flush=True)
                continue
            if cell in args.rerun.split(",") and cell in state:
                print(f"[rerun] {cell}: dropping the saved {100 * state[cell].get('accuracy', 0):.1f}", flush=True)
                state.pop(cell)
            if cell in state and "accuracy" in state[cell]:
                results[cell] = state[cell]
                print(f"[resume] {cell}: {100 * state[cell]['accuracy']:.1f}", flush=True)
                continue
            record = run_cell(model_key, name, args, bf16, state, save)
            state[cell] = record
            save()
            results[cell] = record
            print(f"{cell}: {100 * record['accuracy']:.1f} ({record['protocol']}, {record['wall_time_s']:.0f} s)",
                  flush=True)

    speed = state.get("throughput")
    if speed is None:
        mr = load_dataset("mr").subset(limit, 0)
        tr, trl, _, _ = split_holdout(mr.train_texts, mr.train_labels, 0.1, 0)
        speed_start = time.perf_counter()
        speed = throughput(tr, trl, mr.label_names, repeats=1 if args.quick else args.throughput_repeats)
        state["throughput"] = speed
        state["throughput_seconds"] = time.perf_counter() - speed_start
        save()
    # Wall time of the whole table: the sum over cells (an interrupted run resumes, so one
    # invocation's clock would undercount), plus the throughput measurement.
    wall = sum(r["wall_time_s"] for r in results.values()) + state.get("throughput_seconds", 0.0)

    metrics, references, lines = {}, {}, []
    datasets = [d for d in DATASETS if d in datasets]  # the paper's column order, whatever the run order
    header = "| model | " + " | ".join(COLUMNS[d] for d in datasets) + " |"
    lines += [header, "|---|" + "---|" * len(datasets)]
    for model_key in [m for m in args.models.split(",") if m]:
        measured_row, paper_row = [], []
        for name in datasets:
            record = results.get(f"{model_key}/{name}")
            value = None if record is None else round(100 * record["accuracy"], 1)
            metrics.setdefault(model_key, {})[name] = value
            metrics.setdefault("wall_time_s", {})[f"{model_key}/{name}"] = (
                None if record is None else round(record["wall_time_s"], 1))
            if record and "accuracy_std" in record:
                metrics.setdefault("accuracy_std", {})[f"{model_key}/{name}"] = round(100 * record["accuracy_std"], 2)
            published = PUBLISHED[model_key].get(name)
            if published is not None:
                references.setdefault(model_key, {})[name] = published
            measured_row.append("-" if value is None else f"{value:.1f}")
            paper_row.append("-" if published is None else f"{published:.1f}")
        lines.append(f"| {model_key} (cnnkit, measured) | " + " | ".join(measured_row) + " |")
        if PUBLISHED[model_key]:
            lines.append(f"| {model_key} (published) | " + " | ".join(paper_row) + " |")
    metrics["throughput_sentences_per_s"] = {k: round(v, 1) for k, v in speed.items()}
    notes = (
        "Each cell's settings are listed below, because cells were run (and resumed) by several invocations "
        "of this script with different budgets; every cell early-stops on its dev set and keeps the best epoch. "
        "Kim CNN: filter windows 3/4/5 x 100, dropout 0.5, max-norm 3; Kim used Adadelta and 25 epochs. "
        "SST-1 is trained on sentences only (no phrase labels in the data); each SST-2 cell names its training "
        "data: sentences plus the phrases of the training split is Kim's protocol, sentences only is not. "
        "char-CNN: six convolutions with batch "
        "normalisation (not in the paper; --char-no-batch-norm runs the published model), scaled down from "
        "256 maps / 1024 units. Zhang et al. (2015) published no char-CNN "
        "numbers on these datasets. The DCNN k of the first layer is computed from the padded length, not each "
        "sentence's length. Throughput: training sentences/s on MR (90%), batch 50, best of interleaved epochs. "
        "Per cell: " + "; ".join(f"{c}: {r['protocol']}; {r.get('settings', 'settings not recorded')}"
                                 for c, r in results.items())
        + (f". Not run (CPU budget on a 2-core machine): {args.skip.replace(',', ', ')}." if args.skip else ".")
    )
    if args.notes_extra:
        notes += " " + args.notes_extra
    if args.quick:
        notes = "QUICK SMOKE RUN (600 texts per split, 2 folds): not a reproduction. " + notes
    json_path = write_result(args.name + ("_quick" if args.quick else ""), metrics, references,
                             command=script_command(__file__, argv), wall_time_s=wall, notes=notes,
                             extra={"cells": results, "table": lines})
    table = "\n".join(["## Side by side with Kim (2014), Table 2 (accuracy %)", "", *lines, "",
                       "Training throughput on MR (sentences/s): " + ", ".join(
                           f"{k} {v:.0f}" for k, v in speed.items())])
    md_path = json_path.with_suffix(".md")
    md_path.write_text(md_path.read_text() + "\n" + table + "\n")
    print(table)
    print(f"wrote {json_path} and {md_path} ({wall:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
