"""``cnnkit image``: train, evaluate, predict, explain, finetune and export image classifiers."""

from __future__ import annotations

import argparse
import logging
import math
import sys
from pathlib import Path

from shared.cli import (
    add_common_arguments,
    add_distribute_argument,
    add_fresh_argument,
    add_precision_argument,
    progress_bar,
    run,
)
from shared.runtime import add_runtime_argument

EPILOG = """examples:
  cnnkit image train --data mnist --arch convnet --epochs 8 --augment translate,rotate --out runs/mnist
  cnnkit image train --data cifar10 --arch airbench94 --recipe airbench --precision auto --out runs/airbench
  cnnkit image train --data path/to/flowers --val-split 0.2 --image-size 64 --arch resnet --out runs/flowers
  cnnkit image evaluate --model runs/mnist/model.keras --data mnist --json
  cnnkit image predict --model mnist_convnet digit.png             # a shipped preset (`cnnkit presets`)
  cnnkit image predict --model runs/mnist/model.keras digit.png more_digits/ --top-k 3 --format csv
  cnnkit image explain --model runs/mnist/model.keras digit.png --out runs/mnist/explain
  cnnkit image finetune --model runs/two/model.keras --data mnist --classes 0,1,2 --add-classes --out runs/three
  cnnkit image export --model runs/mnist/model.keras --format tflite --out runs/mnist/tflite
"""


MODEL_HELP = "a .keras file or a preset name (`cnnkit presets`)"
MAX_IMAGE_SIDE = 4096  # a larger side is a typo: one batch of such images would not fit in memory


def _image_size(text):
    if text is None:
        return None
    expected = f"N or HxW with sides from 1 to {MAX_IMAGE_SIDE}, e.g. 64 or 48x64"
    try:
        parts = [int(p) for p in str(text).lower().split("x")]
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from error
    if len(parts) == 1:
        parts = parts * 2
    if len(parts) != 2 or not all(1 <= p <= MAX_IMAGE_SIDE for p in parts):
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
    return tuple(parts)


def _number(kind, low, high=None, low_open=False, high_open=False, expected=""):
    """An argparse type: ``kind`` (int or float) within [low, high] (bounds open when asked), finite."""

    def parse(text):
        try:
            value = kind(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from error
        inside = math.isfinite(value) and (value > low if low_open else value >= low)
        if high is not None:
            inside = inside and (value < high if high_open else value <= high)
        if not inside:
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
        return value

    return parse


_positive_int = _number(int, 1, expected="a whole number of at least 1")
_count = _number(int, 0, expected="a whole number of at least 0")
_positive_rate = _number(float, 0.0, low_open=True, expected="a number above 0")
_non_negative = _number(float, 0.0, expected="a number of at least 0")
_fraction = _number(float, 0.0, 1.0, high_open=True, expected="a number at least 0 and below 1")
_unit_rate = _number(float, 0.0, 1.0, low_open=True, expected="a number above 0 and at most 1")


def _classes(text):
    return None if text is None else [c.strip() for c in text.split(",") if c.strip()]


def _checked_classes(args):
    """``--classes`` as a list, checked against the classes of ``--data`` before anything loads."""
    from apps.image_recognition import data

    classes = _classes(args.classes)
    if classes is None:
        return None
    repeated = sorted({c for c in classes if classes.count(c) > 1})
    if repeated:
        raise ValueError(f"--classes: {repeated[0]!r} is named twice in {args.classes!r}.")
    if not data.is_named(args.data):
        folder = data.resolve_source(args.data)
        raise ValueError(
            f"--classes picks classes of a named dataset ({', '.join(data.NAMED_DATASETS)}); the folder "
            f"{folder} is used with all its class folders ({', '.join(data.folder_class_names(folder))}). "
            "Leave out --classes, or make a folder holding only the class folders wanted.")
    known = data.named_class_names(args.data)
    for name in classes:
        if name not in known:
            raise ValueError(f"--classes: {name!r} is not a class of {args.data}; its classes are "
                             f"{', '.join(known)}.")
    return classes


def _data_arguments(parser):
    parser.add_argument("--data", required=True,
                        help="mnist, cifar10, digits, or a folder with one subfolder per class "
                             "(optionally inside train/ and test/)")
    parser.add_argument("--val-split", type=_fraction, default=0.0,
                        help="fraction held out as the test split for a folder without train/ and test/ "
                             "(at least 0, below 1)")
    parser.add_argument("--limit", type=_positive_int, default=None, help="use at most this many training images")
    parser.add_argument("--test-limit", type=_positive_int, default=None, help="use at most this many test images")
    parser.add_argument("--classes", default=None,
                        help="comma list of class names to keep from a named dataset, e.g. 0,1,2")


def build_parser():
    from apps.image_recognition.presets import (
        ARCHITECTURE_NAMES,
        AUGMENTATIONS,
        EXPORT_FORMATS,
        TRAINING_RECIPES,
        TTA_MODES,
    )

    parser = argparse.ArgumentParser(
        prog="cnnkit image", description=__doc__, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    train = commands.add_parser("train", help="train a classifier; saves model.keras, class names, log, curves")
    _data_arguments(train)
    train.add_argument("--arch", default="convnet", choices=sorted(ARCHITECTURE_NAMES))
    train.add_argument("--recipe", default="default", choices=TRAINING_RECIPES,
                       help="default: Adam(W), cosine decay and --augment; airbench: airbench94's own network and "
                            "training (--arch airbench94, a named dataset; it sets the learning rate, weight decay, "
                            "label smoothing and augmentation); airbench95: the same, wider and longer (15 epochs); "
                            "airbench96: wider still, residual groups of three convolutions, cutout (31 epochs)")
    train.add_argument("--epochs", type=_positive_int, default=None,
                       help="default 10; 9.9 with --recipe airbench, 15 with airbench95, 31 with airbench96")
    train.add_argument("--batch-size", type=_positive_int, default=None,
                       help="default 64; 1024 with --recipe airbench")
    train.add_argument("--learning-rate", type=_positive_rate, default=1e-3)
    train.add_argument("--weight-decay", type=_non_negative, default=0.0, help="AdamW weight decay (0: Adam)")
    train.add_argument("--label-smoothing", type=_fraction, default=0.0,
                       help="label smoothing of the cross-entropy target, in [0, 1) (airbench: 0.2)")
    train.add_argument("--augment", default="none",
                       help=f"comma list of {', '.join(AUGMENTATIONS)} or none (crop: whole-pixel shifts of up "
                            "to 1/8 of the side, CIFAR's pad-and-crop; translate: sub-pixel shifts of up to 1/10; "
                            "with --recipe airbench only rotate, which adds turns of up to 10 degrees to its shifts)")
    train.add_argument("--image-size", type=_image_size, default=None,
                       help="N or HxW; images are resized (default: a folder keeps its images' common size "
                            "when all are within 2x of it, else 64x64; named datasets keep their size)")
    train.add_argument("--channels", type=int, choices=(1, 3), default=None,
                       help="1 (grey) or 3 (RGB); default: the data's (folders: guessed)")
    add_precision_argument(train)
    add_distribute_argument(train)
    add_fresh_argument(train)
    add_common_arguments(train, out_default="image_run")

    evaluate = commands.add_parser("evaluate", help="accuracy, top-5, per-class scores, confusion matrix")
    evaluate.add_argument("--model", required=True, help=MODEL_HELP)
    _data_arguments(evaluate)
    evaluate.add_argument("--split", choices=("test", "train"), default="test")
    evaluate.add_argument("--worst", type=_count, default=16, help="mistakes drawn in worst_mistakes.png")
    evaluate.add_argument("--tta", choices=TTA_MODES, default="none",
                          help="test-time augmentation: average over mirrored (flip) and 1-pixel shifted "
                               "(flip_translate, airbench's evaluation) copies; translate: shifted copies "
                               "only, for images whose mirror is another class (digits)")
    add_common_arguments(evaluate)

    predict = commands.add_parser("predict", help="top-k labels with probabilities for files or folders")
    predict.add_argument("--model", required=True, help=MODEL_HELP)
    predict.add_argument("inputs", nargs="+", metavar="FILE_OR_FOLDER")
    predict.add_argument("--top-k", type=_positive_int, default=3)
    predict.add_argument("--format", choices=("table", "csv", "json"), default="table")
    predict.add_argument("--batch-size", type=_positive_int, default=64,
                         help="images decoded and classified at a time; memory follows it (default 64)")
    add_runtime_argument(predict)
    add_common_arguments(predict)
    predict.set_defaults(summary=False)  # the predictions themselves are the output

    explain = commands.add_parser("explain", help="Grad-CAM overlays, first-layer filters and feature maps")
    explain.add_argument("--model", required=True, help=MODEL_HELP)
    explain.add_argument("inputs", nargs="+", metavar="FILE")
    explain.add_argument("--class", dest="class_name", default=None,
                         help="explain this class (default: the predicted one)")
    add_common_arguments(explain, out_default="explain")

    finetune = commands.add_parser("finetune", help="fine-tune a model, optionally adding new classes")
    finetune.add_argument("--model", required=True, help=MODEL_HELP)
    _data_arguments(finetune)
    finetune.add_argument("--add-classes", action="store_true",
                          help="extend the softmax head with the data's classes the model does not know")
    finetune.add_argument("--epochs", type=_count, default=3, help="epochs training the head (backbone frozen)")
    finetune.add_argument("--unfreeze-epochs", type=_count, default=0,
                          help="then this many epochs training everything at --unfreeze-rate times the rate")
    finetune.add_argument("--unfreeze-rate", type=_unit_rate, default=0.1,
                          help="the unfrozen epochs' learning rate as a fraction of --learning-rate (default 0.1; "
                               "1 when the data hold the old classes' images and the new classes need new features)")
    finetune.add_argument("--batch-size", type=_positive_int, default=64)
    finetune.add_argument("--learning-rate", type=_positive_rate, default=1e-3)
    finetune.add_argument("--keep", default="none", metavar="STRATEGY",
                          help="with --add-classes, keep the old classes: 'distill' (learning without forgetting: "
                               "the original model's old-class outputs on every training image are distillation "
                               "targets), 'rehearsal' (train on at most --rehearsal-size images of each old class), "
                               "both ('distill,rehearsal') or 'none' (default)")
    finetune.add_argument("--rehearsal-size", type=_positive_int, default=100,
                          help="old-class images kept per class for --keep rehearsal (default 100)")
    finetune.add_argument("--compare-scratch", action=argparse.BooleanOptionalAction, default=True,
                          help="also train the same architecture from scratch for the same epochs and report "
                               "its time and accuracy (default: on)")
    add_common_arguments(finetune, out_default="image_finetuned")

    export = commands.add_parser("export", help="export to .keras, ONNX (image predict then starts without "
                                                "TensorFlow), SavedModel or TFLite")
    export.add_argument("--model", required=True, help=MODEL_HELP)
    export.add_argument("--format", choices=EXPORT_FORMATS, default="keras")
    add_common_arguments(export, out_default="image_export")
    return parser


class _StderrHandler(logging.StreamHandler):
    """A log handler writing to whatever ``sys.stderr`` is when a record comes (redirected or
    captured standard error gets the log too)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value):
        pass


def _setup_logging(args=None):
    logger = logging.getLogger("cnnkit.image")
    if not logger.handlers:
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False


def main(argv=None) -> int:
    return run(build_parser(), sys.modules[__name__], argv, setup=_setup_logging)


def _names(names, shown=20):
    names = [str(n) for n in names]
    return ", ".join(names[:shown]) + (f" and {len(names) - shown} more" if len(names) > shown else "")


def _report_skipped(metrics):
    """One line each for the image files that could not be decoded and the entries of a folder
    that are not images (the log names the reasons)."""
    count = metrics.get("skipped_files") or 0
    if count:
        sys.stderr.write(f"skipped {count} unreadable image file(s): {_names(metrics.get('skipped_names', []))}\n")
    count = metrics.get("ignored_files") or 0
    if count:
        reasons = ", ".join(f"{n} {reason}" for reason, n in metrics.get("ignored_reasons", {}).items())
        sys.stderr.write(f"ignored {count} file(s) or folder(s) that are not images ({reasons}): "
                         f"{_names(metrics.get('ignored_names', []))}\n")


def _load(args):
    """The classifier named by ``--model`` (a file or a preset name); a warning about it goes to
    stderr as one line."""
    from shared.presets import resolve_model

    path = resolve_model(args.model, app="image")
    exported = _exported(path, getattr(args, "runtime", "keras"))
    if exported is not None:
        return exported
    from apps.image_recognition import model

    loaded = model.open_classifier(path)
    for warning in loaded.warnings:
        sys.stderr.write(f"warning: {warning}\n")
    return loaded


def _exported(path, runtime):
    """The classifier at ``path`` as its ONNX export (``shared.runtime``: no Keras import), or None
    where Keras must load it: no export, ``--runtime keras``, or class names only beside the file."""
    from types import SimpleNamespace

    from shared.runtime import open_exported

    path = Path(path) / "model.keras" if Path(path).is_dir() else Path(path)
    if not path.is_file():
        return None  # open_classifier names what is wrong
    exported = open_exported(path, runtime)
    if exported is None or exported.class_names is None:
        return None
    return SimpleNamespace(model=exported, class_names=list(exported.class_names), path=path, warnings=[])


def _with_warnings(metrics, loaded):
    return {**metrics, "warnings": list(loaded.warnings)}


def _verbose(args):
    return 2 if args.json else "auto"


def cmd_train(args):
    from apps.image_recognition import train

    classes = _checked_classes(args)
    default_recipe = args.recipe == "default"
    model, class_names, metrics = train.train(
        args.data, arch=args.arch, epochs=args.epochs or (10 if default_recipe else None),
        batch_size=args.batch_size or (64 if default_recipe else None), out_dir=args.out,
        learning_rate=args.learning_rate, augment=args.augment, image_size=args.image_size,
        channels=args.channels, val_split=args.val_split, limit=args.limit, test_limit=args.test_limit,
        seed=args.seed, weight_decay=args.weight_decay, verbose=_verbose(args), classes=classes,
        resume=not args.fresh, label_smoothing=args.label_smoothing, recipe=args.recipe)
    _report_skipped(metrics)
    if not args.json:
        print(f"classes: {', '.join(map(str, class_names[:10]))}{' ...' if len(class_names) > 10 else ''}; "
              f"images at {metrics['image_size']} ({metrics['image_size_reason']}); log and curves in {args.out}")
    return metrics


def _default_evaluation_folder(spec, path):
    """``evaluation/`` beside a model file; ``NAME_evaluation/`` in the working folder for a preset
    (never inside the repository's presets folder)."""
    from shared.presets import is_preset

    return f"{spec}_evaluation" if is_preset(spec) else str(path.with_name("evaluation"))


def cmd_evaluate(args):
    from apps.image_recognition import evaluate

    if args.classes:
        raise ValueError("--classes is not used by evaluate; the model's classes are matched by name.")
    loaded = _load(args)
    out = args.out or _default_evaluation_folder(args.model, loaded.path)
    metrics = evaluate.evaluate(loaded.model, loaded.class_names, args.data, split=args.split, out_dir=out,
                                limit=args.test_limit or args.limit, seed=args.seed, val_split=args.val_split,
                                worst=args.worst, tta=args.tta)
    _report_skipped(metrics)
    if not args.json:
        print(f"{'class':<14}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>10}")
        for name, row in metrics["per_class"].items():
            print(f"{name:<14}{row['precision']:>10.4f}{row['recall']:>10.4f}{row['f1-score']:>10.4f}"
                  f"{int(row['support']):>10d}")
    return _with_warnings(metrics, loaded)


def cmd_predict(args):
    """Predictions printed (and written to ``--out``) batch by batch as they are made, so a large
    folder needs the memory of one batch of images; the rows are kept only for ``--json``."""
    from apps.image_recognition import data, evaluate

    loaded = _load(args)
    files, ignored = evaluate.collect_inputs(args.inputs)
    writer = evaluate.PredictionWriter(args.format, min(args.top_k, len(loaded.class_names)),
                                       max([len(str(f)) for f in files] + [4]))
    skipped, rows, count = data.SkipLog(), [], 0
    out = None
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        out = open(args.out, "w")  # noqa: SIM115 - closed below, after the last batch
    try:
        with progress_bar(len(files), "predict", "image") as bar:
            def emit(text):
                if out is not None:
                    out.write(text)
                if text and not args.json:
                    with bar.external_write_mode(file=sys.stdout):
                        sys.stdout.write(text)
                        sys.stdout.flush()

            emit(writer.header())
            for indices, batch in evaluate.iter_predictions(loaded.model, loaded.class_names, files, args.top_k,
                                                            args.batch_size, skipped):
                emit(writer.rows(batch))
                count += len(batch)
                if args.json:
                    rows += batch
                bar.update(int(indices[-1]) + 1 - bar.n)
            emit(writer.footer())
    finally:
        if out is not None:
            out.close()
    metrics = {"predictions": rows, "images": count, **evaluate.skip_fields(skipped, ignored),
               "runtime": getattr(loaded.model, "runtime", "keras")}
    _report_skipped(metrics)
    return _with_warnings(metrics, loaded)


def cmd_explain(args):
    from apps.image_recognition import evaluate, gradcam

    loaded = _load(args)
    files, ignored = evaluate.collect_inputs(args.inputs)
    metrics = gradcam.explain_files(loaded.model, loaded.class_names, files, args.out, class_name=args.class_name)
    metrics.update(evaluate.skip_fields(None, ignored))
    _report_skipped(metrics)
    if not args.json:
        for row in metrics["images"]:
            print(f"{row['file']}: {row['explained_class']} ({row['probability']:.3f}) -> {row['png']}")
    return _with_warnings(metrics, loaded)


def cmd_finetune(args):
    from apps.image_recognition import finetune, model

    classes = _checked_classes(args)
    loaded = _load(args)
    _, new_names, metrics = finetune.finetune(
        loaded.model, loaded.class_names, args.data, add_classes=args.add_classes, epochs=args.epochs,
        unfreeze_epochs=args.unfreeze_epochs, batch_size=args.batch_size, learning_rate=args.learning_rate,
        out_dir=args.out, compare_scratch=args.compare_scratch, classes=classes,
        limit=args.limit, test_limit=args.test_limit, val_split=args.val_split, seed=args.seed,
        verbose=_verbose(args), arch=model.saved_record(loaded.path).get("arch"), keep=args.keep,
        rehearsal_size=args.rehearsal_size, unfreeze_rate=args.unfreeze_rate)
    _report_skipped(metrics)
    if not args.json:
        new = ", ".join(map(str, metrics["new_classes"])) or "none"
        print(f"classes: {', '.join(map(str, new_names))} (new: {new})")
        if "scratch" in metrics:
            scratch = metrics["scratch"]
            accuracy = "-" if scratch["accuracy"] is None else f"{100 * scratch['accuracy']:.2f}%"
            print(f"from scratch: accuracy {accuracy} in {scratch['seconds']} s")
    return _with_warnings(metrics, loaded)


def cmd_export(args):
    from apps.image_recognition import export

    loaded = _load(args)
    path = export.export_model(loaded.model, args.out, args.format, loaded.class_names, source=loaded.path)
    return _with_warnings({"format": args.format, "path": str(path)}, loaded)


if __name__ == "__main__":
    sys.exit(main())
