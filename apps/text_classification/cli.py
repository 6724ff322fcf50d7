"""``cnnkit text``: train, evaluate, cross-validate, predict and explain sentence classifiers.

Examples::

    cnnkit text train --data mr --model kim --variant rand --out runs/mr
    cnnkit text evaluate --model runs/mr/model.keras --data mr --json
    cnnkit text cv --data mr --folds 10 --json
    cnnkit text predict --model runs/mr/model.keras "a gorgeous , moving film" "a dull mess"
    cnnkit text predict --model kim_rand_sst2 "a gorgeous , moving film"   # a shipped preset
    cnnkit text explain --model runs/mr/model.keras "a gorgeous , witty and moving film"
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
from pathlib import Path

import numpy as np

from apps.text_classification.presets import KIM_VARIANTS, MODELS, model_settings, preset_name
from shared.cli import (
    add_common_arguments,
    add_distribute_argument,
    add_fresh_argument,
    add_precision_argument,
    choose_precision,
    positive_int,
    progress_bar,
    run,
)
from shared.runtime import add_export_command, add_runtime_argument

MODEL_HELP = "a .keras file or a preset name (`cnnkit presets`)"
DATA_HELP = ("a dataset name (mr, subj, trec, trec50, sst1, sst2, sst2_phrases), a CSV/TSV with 'text' and 'label' "
             "columns, or two or more one-sentence-per-line files, one per class")


def _note(message: str) -> None:
    sys.stderr.write(message + "\n")


def _load(sources, limit=None, seed=0):
    from apps.text_classification.data import load_dataset

    dataset = load_dataset(sources)
    if limit:
        dataset = dataset.subset(limit, seed)
    for note in dataset.notes:
        _note(f"note: {note}")
    return dataset


def _load_model(spec):
    """The ``TextClassifier`` that ``--model`` names: a ``.keras`` file or a text preset."""
    from apps.text_classification.models import load_classifier
    from shared.presets import resolve_model

    return load_classifier(resolve_model(spec, "--model", app="text"))


def _predictor(spec, runtime="auto"):
    """``(model, encoder, label_names)`` for ``--model``: its ONNX export when ``--runtime`` allows
    (no Keras import: ``shared.runtime``), else the ``TextClassifier`` itself."""
    from apps.text_classification.encoders import TextEncoder
    from shared.presets import resolve_model
    from shared.runtime import open_exported

    path = resolve_model(spec, "--model", app="text")
    exported = open_exported(path, runtime)
    if exported is not None:
        config = exported.config
        if "encoder" not in config:
            raise ValueError(f"--model {spec}: {exported.class_name} is not a text classifier saved by cnnkit text.")
        return exported, TextEncoder.from_config(config["encoder"]), tuple(str(n) for n in config["label_names"])
    from apps.text_classification.models import load_classifier

    classifier = load_classifier(path)
    return classifier, classifier.encoder, classifier.label_names


def cmd_export(args) -> dict:
    """Export ``--model`` to ONNX (``shared.runtime``): ``predict`` then starts without TensorFlow."""
    from shared.runtime import export_command

    return export_command(args.model, "text", _load_model, args.out)


def _train_kwargs(args):
    kwargs = dict(model=args.model, variant=args.variant, vectors=args.vectors, epochs=args.epochs,
                  max_length=args.max_length, patience=args.patience, batch_size=args.batch_size,
                  learning_rate=args.learning_rate, optimizer=args.optimizer, min_count=args.min_count)
    if args.no_batch_norm:
        if args.model != "char":
            raise ValueError("--no-batch-norm applies to --model char only.")
        kwargs["batch_norm"] = False
    if args.min_count != 1 and args.model == "char":
        raise ValueError("--min-count applies to word models (--model kim or dcnn); the char-CNN reads a fixed "
                         "alphabet.")
    if args.variant != "rand" and args.model != "kim":
        raise ValueError(f"--variant {args.variant} applies to --model kim only.")
    return kwargs


def cmd_train(args) -> dict:
    from apps.text_classification.data import train_dev_test
    from apps.text_classification.train import evaluate, train_model
    from shared.training import float32_policies, save_float32

    dataset = _load(args.data, args.limit, args.seed)
    warnings: list = []
    train, dev, test, protocol = train_dev_test(dataset, args.seed, warnings=warnings)
    for warning in warnings:
        _note(f"warning: {warning}")
    out = Path(args.out or "runs/text_classification")
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    classifier, _, info = train_model(
        train[0], train[1], dataset.label_names, dev=dev, lowercase=dataset.lowercase, seed=args.seed,
        trained_on=dataset.name, checkpoint_dir=str(out / "checkpoints") if args.checkpoints else None,
        verbose=0 if args.json else "auto", resume=not args.fresh, **_train_kwargs(args))
    with float32_policies(classifier):  # tested as saved
        result = evaluate(classifier, *test)
    model_path = out / "model.keras"
    save_float32(classifier, model_path)  # predicts in float32 wherever it is loaded
    if info["truncated_train_texts"]:
        _note(f"note: {info['truncated_train_texts']} training text(s) were longer than "
              f"{info['max_length']} tokens and were cut (use --max-length)")
    if info.get("vectors"):
        v = info["vectors"]
        _note(f"note: {v['found']} of {v['found'] + v['missing']} vocabulary words have a pre-trained vector "
              f"({v['format']}, {v['dim']}-d)")
    metrics = dict(data=dataset.name, model=classifier.architecture, accuracy=result["accuracy"],
                   macro_f1=result["macro_f1"], test_count=result["count"], protocol=protocol,
                   epochs_run=info["epochs_run"], train_texts=info["train_texts"], dev_texts=info["dev_texts"],
                   vocab_size=info["vocab_size"], min_count=args.min_count, max_length=info["max_length"],
                   sentences_per_second=info["sentences_per_second"], seconds=time.perf_counter() - start,
                   precision=classifier.dtype_policy.name,
                   skipped=dataset.skipped, warnings=warnings, model_path=str(model_path))
    (out / "metrics.json").write_text(json.dumps({**metrics, "history": info["history"],
                                                  "confusion_matrix": result["confusion_matrix"],
                                                  "labels": result["labels"]}, indent=2, default=float))
    return metrics


def cmd_evaluate(args) -> dict:
    from apps.text_classification.data import evaluation_split, match_labels, overlap_warning
    from apps.text_classification.train import evaluate

    classifier = _load_model(args.model)
    dataset = _load(args.data, args.limit, args.seed)
    warning = overlap_warning(classifier.trained_on, dataset.name)
    if warning:
        _note(warning)
    warnings: list = []
    texts, labels = evaluation_split(dataset, args.split, args.seed, warnings=warnings)
    for message in warnings:
        _note(f"warning: {message}")
    keep, mapped, unknown = match_labels(labels, dataset.label_names, classifier.label_names)
    skipped = len(labels) - len(keep)
    if unknown:
        _note(f"note: skipped {skipped} text(s) whose label is unknown to the model "
              f"({', '.join(map(repr, unknown[:10]))}); the model knows {list(classifier.label_names)}")
    if not keep:
        raise ValueError(f"none of the labels of {dataset.name!r} ({', '.join(map(repr, unknown[:10]))}) is known "
                         f"to the model, which predicts {list(classifier.label_names)}.")
    result = evaluate(classifier, [texts[i] for i in keep], mapped)
    result.update(data=dataset.name, split=args.split, model=classifier.architecture, skipped_unknown_labels=skipped,
                  skipped=dataset.skipped, warnings=warnings)
    return result


def cmd_cv(args) -> dict:
    from apps.text_classification.train import cross_validate

    dataset = _load(args.data, args.limit, args.seed)
    texts, labels = dataset.all_texts()
    start = time.perf_counter()
    result = cross_validate(texts, labels, dataset.label_names, folds=args.folds, seed=args.seed,
                            lowercase=dataset.lowercase, trained_on=dataset.name, progress=not args.json,
                            **_train_kwargs(args))
    result.update(data=dataset.name, model=preset_name(args.model, args.variant),
                  texts=len(texts), seconds=time.perf_counter() - start, skipped=dataset.skipped,
                  precision=choose_precision(args.precision))
    if args.out:
        Path(args.out).mkdir(parents=True, exist_ok=True)
        (Path(args.out) / "cv.json").write_text(json.dumps(result, indent=2, default=float))
    return result


def _input_texts(args):
    texts = list(args.texts)
    empty = [i + 1 for i, t in enumerate(texts) if not t.strip()]
    if empty:
        raise ValueError(f"text argument(s) {empty} are empty; give some words to classify.")
    from apps.text_classification.data import decode_lines, read_lines

    notes: list = []
    if args.file and args.file != "-":
        texts += read_lines(args.file, "auto", {}, notes)
    elif args.file or not texts:
        if sys.stdin is None or (not args.file and sys.stdin.isatty()):
            raise ValueError("no text given: pass texts as arguments, --file FILE, or pipe lines on stdin.")
        # Bytes, decoded line by line as for --file: UTF-8, else cp1252 (counted in a note).
        raw = sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read().encode("utf-8")
        texts += decode_lines(raw, "stdin", "auto", {}, notes)
    for note in notes:
        _note(f"note: {note}")
    if not texts:
        raise ValueError("no non-empty text to classify.")
    return texts


def _text_source(args):
    """``(texts, total)``: the texts to classify one at a time (the arguments, then the lines of
    ``--file`` or stdin, read as they are needed) and how many there are at most (None for
    stdin), for the progress bar. Notes on the lines read are printed once they are all read."""
    from apps.text_classification.data import iter_lines

    texts = list(args.texts)
    empty = [i + 1 for i, t in enumerate(texts) if not t.strip()]
    if empty:
        raise ValueError(f"text argument(s) {empty} are empty; give some words to classify.")
    path = args.file if args.file and args.file != "-" else None
    from_stdin = path is None and bool(args.file or not texts)
    if from_stdin and (sys.stdin is None or (not args.file and sys.stdin.isatty())):
        raise ValueError("no text given: pass texts as arguments, --file FILE, or pipe lines on stdin.")
    lines = 0
    if path is not None:
        try:
            with open(path, "rb") as handle:
                last = b"\n"
                for block in iter(lambda: handle.read(1 << 20), b""):
                    lines, last = lines + block.count(b"\n"), block[-1:]
            lines += last != b"\n"  # a last line without its line end
        except OSError as error:
            raise ValueError(f"Cannot read text file {path}: {error.strerror or error}.") from error

    def generate():
        yield from texts
        if path is None and not from_stdin:
            return
        notes: list = []
        if path is not None:
            with open(path, "rb") as handle:
                yield from iter_lines(handle, Path(path).name, "auto", {}, notes)
        else:  # bytes, decoded line by line as for --file: UTF-8, else cp1252 (counted in a note)
            stream = sys.stdin.buffer if hasattr(sys.stdin, "buffer") else io.BytesIO(sys.stdin.read().encode())
            yield from iter_lines(stream, "stdin", "auto", {}, notes)
        for note in notes:
            _note(f"note: {note}")

    return generate(), None if from_stdin else len(texts) + lines


def _batches(items, size):
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def cmd_predict(args) -> dict:
    """One ``label<TAB>probabilities<TAB>text`` line per text (the product); ``--json`` gives them as rows.

    Texts are classified ``--batch-size`` at a time and each batch is printed before the next is
    read, so a long ``--file`` needs no more memory than a batch (the rows are kept only for
    ``--json`` and ``--out``).
    """
    model, encoder, label_names = _predictor(args.model, args.runtime)
    texts, total = _text_source(args)
    keep = args.json or bool(args.out)
    rows, count, truncated = [], 0, 0
    with progress_bar(total, "predict", "text") as bar:
        for batch in _batches(texts, args.batch_size):
            ids, report = encoder.encode(batch, return_report=True)
            truncated += report["truncated"]
            probabilities = np.asarray(model.predict(ids, batch_size=len(batch), verbose=0))
            lines = []
            for text, probs in zip(batch, probabilities):
                label = label_names[int(np.argmax(probs))]
                row = dict(text=text, label=label,
                           probabilities={n: float(p) for n, p in zip(label_names, probs)})
                if keep:
                    rows.append(row)
                shown = ", ".join(f"{n}={p:.3f}" for n, p in row["probabilities"].items())
                lines.append(f"{label}\t{shown}\t{text[:100]}")
            if not args.json:
                bar.write("\n".join(lines), file=sys.stdout)
            count += len(batch)
            bar.update(len(batch))
    if not count:
        raise ValueError("no non-empty text to classify.")
    if truncated:
        _note(f"note: {truncated} text(s) were longer than {encoder.max_length} tokens and were cut")
    if args.out:
        Path(args.out).write_text(json.dumps(rows, indent=2))
    return dict(predictions=rows, texts=count, truncated=truncated, runtime=getattr(model, "runtime", "keras"))


def cmd_explain(args) -> dict:
    """Each text with its winning n-grams marked, and their evidence (the product)."""
    from apps.text_classification.explain import explain, highlight

    classifier = _load_model(args.model)
    texts = _input_texts(args)
    results = [explain(classifier, text, top=args.top) for text in texts]
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=2))
    if not args.json:
        for result in results:
            print(f"{result['label']} ({result['probabilities'][result['label']]:.3f}): "
                  f"{highlight(result, ansi=sys.stdout.isatty())}")
            for gram in result["ngrams"]:
                print(f"    {gram['score']:8.3f}  {gram['text']}")
    return dict(explanations=results)


def _add_model_arguments(parser):
    kim, char = model_settings("kim"), model_settings("char")
    parser.add_argument("--data", nargs="+", required=True, help=DATA_HELP)
    parser.add_argument("--model", choices=MODELS, default="kim", help="architecture (default kim)")
    parser.add_argument("--variant", choices=KIM_VARIANTS, default="rand",
                        help="Kim CNN word vectors: random, frozen, fine-tuned, or both channels (default rand)")
    parser.add_argument("--vectors", help="pre-trained word vectors: word2vec .bin, word2vec text or GloVe text")
    parser.add_argument("--epochs", type=int, default=10, help="maximum epochs (default 10)")
    parser.add_argument("--patience", type=int, default=3,
                        help="early-stopping patience on dev accuracy, best weights kept (default 3)")
    parser.add_argument("--batch-size", type=int,
                        help=f"batch size (default: {kim['batch_size']} Kim/DCNN, {char['batch_size']} char)")
    parser.add_argument("--learning-rate", type=float,
                        help=f"learning rate (default {kim['learning_rate']:g}; 1.0 with adadelta)")
    parser.add_argument("--optimizer", choices=("adam", "adadelta"), help="optimizer (default adam; Kim used adadelta)")
    parser.add_argument("--no-batch-norm", action="store_true",
                        help="char-CNN exactly as published, without batch normalisation (it then needs far more "
                             "data or epochs to leave chance level)")
    parser.add_argument("--max-length", type=int,
                        help="pad/cut texts to this many tokens (characters for char); default: the longest "
                             "training text (at most 400 words or 1014 characters)")
    parser.add_argument("--min-count", type=positive_int, default=1,
                        help="keep only the words seen at least N times in the training texts; rarer ones read "
                             "as [UNK], whose vector is then trained, and the model gets smaller (default 1)")
    parser.add_argument("--limit", type=int, help="use at most this many training texts (quick runs)")
    add_precision_argument(parser, mixed_precision_alias=True)
    add_distribute_argument(parser)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cnnkit text", description=(
        "Sentence classification with CNNs: Kim (2014) CNN (rand/static/nonstatic/multichannel), "
        "character-level CNN (Zhang et al. 2015) and DCNN with dynamic k-max pooling (Kalchbrenner et al. 2014)."))
    commands = parser.add_subparsers(dest="command", required=True)

    train = commands.add_parser("train", help="train a model and save it as OUT/model.keras",
                                description="Train on a dataset; report test accuracy; save OUT/model.keras.")
    _add_model_arguments(train)
    train.add_argument("--checkpoints", action="store_true",
                       help="checkpoint every epoch under OUT/checkpoints (resumable)")
    add_fresh_argument(train)
    add_common_arguments(train, out_default="runs/text_classification")

    evaluate = commands.add_parser("evaluate", help="accuracy of a saved model on a dataset",
                                   description="Evaluate a saved .keras model; labels are matched by name.")
    evaluate.add_argument("--model", required=True, help=MODEL_HELP)
    evaluate.add_argument("--data", nargs="+", required=True, help=DATA_HELP)
    evaluate.add_argument("--split", choices=("test", "dev", "train", "all"), default="test",
                          help="which split (default test; MR/SUBJ: the same 10%% hold-out as `train` with "
                               "this --seed)")
    evaluate.add_argument("--limit", type=int, help="use at most this many texts per split")
    add_common_arguments(evaluate)

    cv = commands.add_parser("cv", help="stratified k-fold cross-validation (Kim's protocol for MR and SUBJ)",
                             description="Stratified k-fold CV: the mean and std of test-fold accuracy.")
    _add_model_arguments(cv)
    cv.add_argument("--folds", type=int, default=10, help="number of folds (default 10)")
    add_common_arguments(cv)

    for name, text in (("predict", "label and class probabilities of raw texts"),
                       ("explain", "the n-grams that won max-over-time pooling (Kim CNN)")):
        sub = commands.add_parser(name, help=text, description=text + ". Texts come from arguments, --file, or stdin.")
        sub.add_argument("--model", required=True, help=MODEL_HELP)
        sub.add_argument("texts", nargs="*", help="texts to classify (quote each one)")
        sub.add_argument("--file", help="a file with one text per line ('-' for stdin)")
        if name == "predict":
            sub.add_argument("--batch-size", type=positive_int, default=256,
                             help="texts classified at a time; a long --file is read and printed batch by batch "
                                  "(default 256)")
            add_runtime_argument(sub)
        if name == "explain":
            sub.add_argument("--top", type=int, default=5, help="how many n-grams to show (default 5)")
        add_common_arguments(sub)
        sub.set_defaults(summary=False)  # the printed lines are the product
    add_export_command(commands, MODEL_HELP)
    return parser


def main(argv=None) -> int:
    return run(build_parser(), sys.modules[__name__], argv)
