"""``cnnkit image``: train, evaluate, predict, explain, finetune and export image classifiers."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from shared.cli import add_common_arguments, run

EPILOG = """examples:
  cnnkit image train --data mnist --arch convnet --epochs 8 --augment translate,rotate --out runs/mnist
  cnnkit image train --data path/to/flowers --val-split 0.2 --image-size 64 --arch resnet --out runs/flowers
  cnnkit image evaluate --model runs/mnist/model.keras --data mnist --json
  cnnkit image predict --model runs/mnist/model.keras digit.png more_digits/ --top-k 3 --format csv
  cnnkit image explain --model runs/mnist/model.keras digit.png --out runs/mnist/explain
  cnnkit image finetune --model runs/two/model.keras --data mnist --classes 0,1,2 --add-classes --out runs/three
  cnnkit image export --model runs/mnist/model.keras --format tflite --out runs/mnist/tflite
"""


def _image_size(text):
    if text is None:
        return None
    try:
        parts = [int(p) for p in str(text).lower().split("x")]
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"--image-size expects N or HxW, got {text!r}") from error
    if len(parts) == 1:
        parts = parts * 2
    if len(parts) != 2 or min(parts) < 1:
        raise argparse.ArgumentTypeError(f"--image-size expects N or HxW, got {text!r}")
    return tuple(parts)


def _classes(text):
    return None if text is None else [c.strip() for c in text.split(",") if c.strip()]


def _data_arguments(parser):
    parser.add_argument("--data", required=True,
                        help="mnist, cifar10, digits, or a folder with one subfolder per class "
                             "(optionally inside train/ and test/)")
    parser.add_argument("--val-split", type=float, default=0.0,
                        help="fraction held out as the test split for a folder without train/ and test/")
    parser.add_argument("--limit", type=int, default=None, help="use at most this many training images")
    parser.add_argument("--test-limit", type=int, default=None, help="use at most this many test images")
    parser.add_argument("--classes", default=None,
                        help="comma list of class names to keep from a named dataset, e.g. 0,1,2")


def build_parser():
    from apps.image_recognition.presets import ARCHITECTURE_NAMES, AUGMENTATIONS, EXPORT_FORMATS, TTA_MODES

    parser = argparse.ArgumentParser(
        prog="cnnkit image", description=__doc__, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    train = commands.add_parser("train", help="train a classifier; saves model.keras, class names, log, curves")
    _data_arguments(train)
    train.add_argument("--arch", default="convnet", choices=sorted(ARCHITECTURE_NAMES))
    train.add_argument("--epochs", type=int, default=10)
    train.add_argument("--batch-size", type=int, default=64)
    train.add_argument("--learning-rate", type=float, default=1e-3)
    train.add_argument("--weight-decay", type=float, default=0.0, help="AdamW weight decay (0: Adam)")
    train.add_argument("--label-smoothing", type=float, default=0.0,
                       help="label smoothing of the cross-entropy target, in [0, 1) (airbench: 0.2)")
    train.add_argument("--augment", default="none",
                       help=f"comma list of {', '.join(AUGMENTATIONS)} or none (crop: whole-pixel shifts of up "
                            "to 1/8 of the side, CIFAR's pad-and-crop; translate: sub-pixel shifts of up to 1/10)")
    train.add_argument("--image-size", type=_image_size, default=None,
                       help="N or HxW; images are resized (folders default to 64x64, named datasets keep "
                            "their size)")
    train.add_argument("--channels", type=int, choices=(1, 3), default=None,
                       help="1 (grey) or 3 (RGB); default: the data's (folders: guessed)")
    train.add_argument("--fresh", action="store_true",
                       help="ignore checkpoints in --out from an earlier run (default: resume from them)")
    add_common_arguments(train, out_default="image_run")

    evaluate = commands.add_parser("evaluate", help="accuracy, top-5, per-class scores, confusion matrix")
    evaluate.add_argument("--model", required=True)
    _data_arguments(evaluate)
    evaluate.add_argument("--split", choices=("test", "train"), default="test")
    evaluate.add_argument("--worst", type=int, default=16, help="mistakes drawn in worst_mistakes.png")
    evaluate.add_argument("--tta", choices=TTA_MODES, default="none",
                          help="test-time augmentation: average over mirrored (flip) and 1-pixel shifted "
                               "(flip_translate, airbench's evaluation) copies")
    add_common_arguments(evaluate)

    predict = commands.add_parser("predict", help="top-k labels with probabilities for files or folders")
    predict.add_argument("--model", required=True)
    predict.add_argument("inputs", nargs="+", metavar="FILE_OR_FOLDER")
    predict.add_argument("--top-k", type=int, default=3)
    predict.add_argument("--format", choices=("table", "csv", "json"), default="table")
    add_common_arguments(predict)
    predict.set_defaults(summary=False)  # the predictions themselves are the output

    explain = commands.add_parser("explain", help="Grad-CAM overlays, first-layer filters and feature maps")
    explain.add_argument("--model", required=True)
    explain.add_argument("inputs", nargs="+", metavar="FILE")
    explain.add_argument("--class", dest="class_name", default=None,
                         help="explain this class (default: the predicted one)")
    add_common_arguments(explain, out_default="explain")

    finetune = commands.add_parser("finetune", help="fine-tune a model, optionally adding new classes")
    finetune.add_argument("--model", required=True)
    _data_arguments(finetune)
    finetune.add_argument("--add-classes", action="store_true",
                          help="extend the softmax head with the data's classes the model does not know")
    finetune.add_argument("--epochs", type=int, default=3, help="epochs training the head (backbone frozen)")
    finetune.add_argument("--unfreeze-epochs", type=int, default=0,
                          help="then this many epochs training everything at a tenth of the rate")
    finetune.add_argument("--batch-size", type=int, default=64)
    finetune.add_argument("--learning-rate", type=float, default=1e-3)
    finetune.add_argument("--compare-scratch", action=argparse.BooleanOptionalAction, default=True,
                          help="also train the same architecture from scratch for the same epochs and report "
                               "its time and accuracy (default: on)")
    add_common_arguments(finetune, out_default="image_finetuned")

    export = commands.add_parser("export", help="export to .keras, SavedModel or TFLite")
    export.add_argument("--model", required=True)
    export.add_argument("--format", choices=EXPORT_FORMATS, default="keras")
    add_common_arguments(export, out_default="image_export")
    return parser


def _setup_logging(args=None):
    logger = logging.getLogger("cnnkit.image")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False


def main(argv=None) -> int:
    return run(build_parser(), sys.modules[__name__], argv, setup=_setup_logging)


def _report_skipped(metrics):
    count = metrics.get("skipped_files") or 0
    if count:
        names = metrics.get("skipped_names", [])
        sys.stderr.write(f"skipped {count} unreadable image file(s): {', '.join(map(str, names))}\n")


def _verbose(args):
    return 2 if args.json else "auto"


def cmd_train(args):
    from apps.image_recognition import train

    model, class_names, metrics = train.train(
        args.data, arch=args.arch, epochs=args.epochs, batch_size=args.batch_size, out_dir=args.out,
        learning_rate=args.learning_rate, augment=args.augment, image_size=args.image_size,
        channels=args.channels, val_split=args.val_split, limit=args.limit, test_limit=args.test_limit,
        seed=args.seed, weight_decay=args.weight_decay, verbose=_verbose(args), classes=_classes(args.classes),
        resume=not args.fresh, label_smoothing=args.label_smoothing)
    _report_skipped(metrics)
    if not args.json:
        print(f"classes: {', '.join(map(str, class_names[:10]))}{' ...' if len(class_names) > 10 else ''}; "
              f"log and curves in {args.out}")
    return metrics


def cmd_evaluate(args):
    from apps.image_recognition import evaluate, model

    classifier, class_names = model.load_classifier(args.model)
    out = args.out or str(Path(args.model).with_name("evaluation"))
    if args.classes:
        raise ValueError("--classes is not used by evaluate; the model's classes are matched by name.")
    metrics = evaluate.evaluate(classifier, class_names, args.data, split=args.split, out_dir=out,
                                limit=args.test_limit or args.limit, seed=args.seed, val_split=args.val_split,
                                worst=args.worst, tta=args.tta)
    _report_skipped(metrics)
    if not args.json:
        print(f"{'class':<14}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>10}")
        for name, row in metrics["per_class"].items():
            print(f"{name:<14}{row['precision']:>10.4f}{row['recall']:>10.4f}{row['f1-score']:>10.4f}"
                  f"{int(row['support']):>10d}")
    return metrics


def cmd_predict(args):
    from apps.image_recognition import evaluate, model

    classifier, class_names = model.load_classifier(args.model)
    rows, skipped = evaluate.predict_files(classifier, class_names, args.inputs, top_k=args.top_k)
    text = evaluate.format_predictions(rows, args.format)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text + "\n")
    if not args.json:
        print(text)
    metrics = {"predictions": rows, "images": len(rows), "skipped_files": skipped.count,
               "skipped_names": skipped.files}
    _report_skipped(metrics)
    return metrics


def cmd_explain(args):
    from apps.image_recognition import evaluate, gradcam, model

    classifier, class_names = model.load_classifier(args.model)
    files = evaluate.collect_files(args.inputs)
    metrics = gradcam.explain_files(classifier, class_names, files, args.out, class_name=args.class_name)
    _report_skipped(metrics)
    if not args.json:
        for row in metrics["images"]:
            print(f"{row['file']}: {row['explained_class']} ({row['probability']:.3f}) -> {row['png']}")
    return metrics


def cmd_finetune(args):
    from apps.image_recognition import finetune, model

    classifier, class_names = model.load_classifier(args.model)
    _, new_names, metrics = finetune.finetune(
        classifier, class_names, args.data, add_classes=args.add_classes, epochs=args.epochs,
        unfreeze_epochs=args.unfreeze_epochs, batch_size=args.batch_size, learning_rate=args.learning_rate,
        out_dir=args.out, compare_scratch=args.compare_scratch, classes=_classes(args.classes),
        limit=args.limit, test_limit=args.test_limit, val_split=args.val_split, seed=args.seed,
        verbose=_verbose(args), arch=model.saved_record(args.model).get("arch"))
    _report_skipped(metrics)
    if not args.json:
        new = ", ".join(map(str, metrics["new_classes"])) or "none"
        print(f"classes: {', '.join(map(str, new_names))} (new: {new})")
        if "scratch" in metrics:
            scratch = metrics["scratch"]
            accuracy = "-" if scratch["accuracy"] is None else f"{100 * scratch['accuracy']:.2f}%"
            print(f"from scratch: accuracy {accuracy} in {scratch['seconds']} s")
    return metrics


def cmd_export(args):
    from apps.image_recognition import export, model

    classifier, class_names = model.load_classifier(args.model)
    path = export.export_model(classifier, args.out, args.format, class_names)
    return {"format": args.format, "path": str(path)}


if __name__ == "__main__":
    sys.exit(main())
