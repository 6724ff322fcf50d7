"""Evaluation and prediction: accuracy, top-5, per-class scores (scikit-learn), confusion
matrix and worst-mistakes PNGs; top-k predictions for files and folders."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np

from apps.image_recognition import data as image_data
from apps.image_recognition.tta import predict_arrays, predict_with_tta
from shared.plotting import plot_confusion

log = logging.getLogger("cnnkit.image")


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def input_spec(model):
    """``(image_size, channels)`` that ``model`` takes: a Keras model, or its ONNX export
    (``shared.runtime.OnnxModel``, run without importing Keras)."""
    shapes = getattr(model, "input_shapes", None)
    if shapes is not None:
        _, height, width, channels = shapes[0]
        return (height, width), channels
    from apps.image_recognition import model as image_model

    return image_model.model_input_spec(model)


def check_class_match(model_classes, data_classes, source):
    """Every data class must be a model class; returns the data -> model label mapping."""
    missing = [c for c in data_classes if c not in model_classes]
    if missing:
        raise ValueError(
            f"Class mismatch between the model and --data {source}: the data has class(es) "
            f"{missing} that the model does not know. Model classes: {list(model_classes)}; data "
            f"classes: {list(data_classes)}. Use `cnnkit image finetune --add-classes` to add classes.")
    return np.asarray([list(model_classes).index(c) for c in data_classes], dtype=np.int32)


def skip_fields(skipped, ignored) -> dict:
    """The result fields that count and name what was not used: ``skipped_*`` for image files that
    could not be decoded (a :class:`~apps.image_recognition.data.SkipLog`), ``ignored_*`` for the
    entries of a folder that are not images (``(path, reason)`` pairs); names are capped at 50."""
    fields = {}
    if skipped is not None:
        fields.update({"skipped_files": skipped.count, "skipped_names": skipped.files[:50],
                       "skipped_reasons": skipped.reason_counts()})
    reasons = {}
    for _, reason in ignored:
        reasons[reason] = reasons.get(reason, 0) + 1
    fields.update({"ignored_files": len(ignored), "ignored_names": [path for path, _ in ignored[:50]],
                   "ignored_reasons": reasons})
    return fields


def load_eval_data(source, model, split="test", limit=None, seed=0, val_split=0.0, ignored=None):
    """Images (uint8 array, decoded here so mistakes can be drawn), labels, class names, skipped,
    and the names of the images. The folder entries that are not images are appended to
    ``ignored`` (a list) as ``(path, reason)``."""
    image_size, channels = input_spec(model)
    source = image_data.resolve_source(str(source))
    skipped = image_data.SkipLog()
    ignored = [] if ignored is None else ignored
    if isinstance(source, str):
        d = image_data.load_named(source, test_limit=limit if split == "test" else None,
                                  limit=limit if split == "train" else None, seed=seed)
        x, y = (d.x_test, d.y_test) if split == "test" else (d.x_train, d.y_train)
        if x.shape[1:3] != image_size or x.shape[-1] != channels:
            x = np.stack([image_data.prepare_image(i, image_size, channels) for i in x])
        return x, y, d.class_names, skipped, [f"{source}[{i}]" for i in range(len(y))]
    train_split, test_split = image_data.scan_dataset_folder(source, val_split=val_split, seed=seed)
    chosen = test_split if (split == "test" and test_split is not None) else train_split
    files, labels = chosen.files, chosen.labels
    ignored += chosen.ignored
    if limit and limit < len(files):
        keep = np.sort(np.random.default_rng(seed).choice(len(files), size=limit, replace=False))
        files, labels = [files[i] for i in keep], labels[keep]
    images, kept = [], []
    for indices, batch in image_data.iterate_files(files, image_size, channels, skipped=skipped):
        images.append(batch)
        kept.append(indices)
    if not images:
        raise ValueError(f"--data {source}: none of the {len(files)} images could be read "
                         f"(e.g. {skipped.files[:3]}).")
    kept = np.concatenate(kept)
    return (np.concatenate(images), labels[kept], chosen.class_names, skipped,
            [str(files[i]) for i in kept])


def evaluate(model, class_names, source, split="test", out_dir=None, limit=None, seed=0,
             val_split=0.0, worst=16, tta="none"):
    """Score ``model`` on a data source; write confusion-matrix and worst-mistakes PNGs (and the
    list of unreadable files, if any) to ``out_dir``.

    ``tta`` (``"flip"``, ``"flip_translate"``, ``"translate"``) averages predictions over transformed
    copies (:mod:`apps.image_recognition.tta`).
    """
    from sklearn.metrics import accuracy_score, classification_report, confusion_matrix, top_k_accuracy_score

    ignored = []
    x, y_data, data_classes, skipped, names = load_eval_data(source, model, split, limit, seed, val_split,
                                                             ignored)
    mapping = check_class_match(class_names, data_classes, source)
    y = mapping[y_data]
    probabilities = predict_with_tta(model, x, tta)
    predicted = probabilities.argmax(axis=1)
    labels = np.arange(len(class_names))
    metrics = {
        "data": str(source), "split": split, "images": int(len(y)), "tta": tta,
        "accuracy": float(accuracy_score(y, predicted)), **skip_fields(skipped, ignored),
    }
    if len(class_names) > 5:
        metrics["top5_accuracy"] = float(top_k_accuracy_score(y, probabilities, k=5, labels=labels))
    report = classification_report(y, predicted, labels=labels, target_names=[str(c) for c in class_names],
                                   output_dict=True, zero_division=0)
    scores = ("precision", "recall", "f1-score", "support")
    metrics["per_class"] = {str(c): {k: float(report[str(c)][k]) for k in scores} for c in class_names}
    metrics["macro_f1"] = float(report["macro avg"]["f1-score"])
    matrix = confusion_matrix(y, predicted, labels=labels)
    metrics["confusion_matrix"] = matrix.tolist()
    if out_dir is not None:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        metrics["confusion_matrix_png"] = str(plot_confusion(matrix, class_names, out / "confusion_matrix.png"))
        metrics["worst_mistakes_png"] = str(plot_worst(x, y, probabilities, class_names,
                                                       out / "worst_mistakes.png", worst, names))
        (out / "evaluation.json").write_text(json.dumps(metrics, indent=2) + "\n")
        skipped.write(out)
    return metrics


def worst_mistakes(y, probabilities, count=16):
    """Indices of the wrong predictions made with the highest confidence."""
    predicted = probabilities.argmax(axis=1)
    wrong = np.flatnonzero(predicted != y)
    confidence = probabilities[wrong, predicted[wrong]]
    return wrong[np.argsort(-confidence)][:count]


def plot_worst(x, y, probabilities, class_names, path, count=16, names=None):
    plt = _plt()
    chosen = worst_mistakes(y, probabilities, count)
    columns = 4
    rows = max(1, -(-len(chosen) // columns))
    figure, axes = plt.subplots(rows, columns, figsize=(2.4 * columns, 2.6 * rows), squeeze=False)
    for axis in axes.ravel():
        axis.axis("off")
    for axis, index in zip(axes.ravel(), chosen):
        image = x[index]
        axis.imshow(image[..., 0] if image.shape[-1] == 1 else image, cmap="gray" if image.shape[-1] == 1 else None)
        guess = int(probabilities[index].argmax())
        axis.set_title(f"true {class_names[y[index]]}\npred {class_names[guess]} ({probabilities[index, guess]:.2f})",
                       fontsize=8)
    if not len(chosen):
        axes[0, 0].text(0.5, 0.5, "no mistakes", ha="center")
    figure.suptitle("Most confident mistakes")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return Path(path)


def collect_inputs(paths) -> tuple[list, list]:
    """``(files, ignored)``: files given directly plus every image inside given folders
    (recursive), and the folder entries that are not images as ``(path, reason)`` (also logged)."""
    files, ignored = [], []
    for item in paths:
        item = Path(item)
        if item.is_dir():
            found, other = image_data.walk_images(item)
            if not found:
                holds = f" Not used there: {image_data.describe_ignored(other)}." if other else ""
                raise ValueError(f"{item}: folder contains no images "
                                 f"({', '.join(image_data.IMAGE_EXTENSIONS)}).{holds}")
            files += found
            ignored += other
            if other:
                log.warning("%s: %d file(s) or folder(s) not used: %s", item, len(other),
                            image_data.describe_ignored(other))
        elif item.is_file():
            files.append(item)
        elif item.exists() or item.is_symlink():
            raise ValueError(f"{item}: not a regular file or folder (a broken link, device or pipe).")
        else:
            raise ValueError(f"{item}: no such file or folder.")
    return files, ignored


def collect_files(paths) -> list:
    """Files given directly plus every image inside given folders (recursive)."""
    return collect_inputs(paths)[0]


def predict_files(model, class_names, paths, top_k=3, batch_size=64):
    """Top-k labels and probabilities per readable file; unreadable files are listed apart."""
    files = collect_files(paths)
    skipped = image_data.SkipLog()
    rows = [row for _, batch in iter_predictions(model, class_names, files, top_k, batch_size, skipped)
            for row in batch]
    return rows, skipped


def iter_predictions(model, class_names, files, top_k=3, batch_size=64, skipped=None):
    """:func:`predict_files` one batch at a time: yields ``(indices into files, rows)`` per batch
    of ``batch_size`` readable images, so only one batch of decoded images is ever in memory.
    Unreadable files go to ``skipped`` (a :class:`~apps.image_recognition.data.SkipLog`)."""
    image_size, channels = input_spec(model)
    k = min(top_k, len(class_names))
    for indices, batch in image_data.iterate_files(files, image_size, channels, batch_size, skipped):
        probabilities = predict_arrays(model, batch, batch_size)
        order = np.argsort(-probabilities, axis=1)[:, :k]
        yield indices, [{
            "file": str(files[index]),
            "top": [{"label": str(class_names[c]), "probability": float(probabilities[row, c])} for c in order[row]],
        } for row, index in enumerate(indices)]


def format_predictions(rows, fmt="table"):
    """The rows of :func:`predict_files` as one text: a table, CSV (file, label1, probability1, ...)
    or a JSON list."""
    import io

    buffer = io.StringIO()
    k = len(rows[0]["top"]) if rows else 0
    writer = PredictionWriter(fmt, k, max([len(r["file"]) for r in rows] + [4]))
    buffer.write(writer.header())
    buffer.write(writer.rows(rows))
    buffer.write(writer.footer())
    return buffer.getvalue().rstrip("\n")


class PredictionWriter:
    """The text of :func:`format_predictions` in pieces, for printing rows as they are predicted:
    ``header()``, then ``rows(batch)`` for each batch, then ``footer()``. ``k`` is the number of
    labels per row; ``width`` the width of the table's file column."""

    def __init__(self, fmt: str, k: int, width: int = 4):
        if fmt not in ("table", "csv", "json"):
            raise ValueError(f"The 'fmt' parameter of PredictionWriter must be 'table', 'csv' or 'json'; got {fmt!r}.")
        self.fmt, self.k, self.width, self.count = fmt, k, width, 0

    def header(self) -> str:
        if self.fmt == "csv":
            return self._csv(["file"] + [f"{p}{i + 1}" for i in range(self.k) for p in ("label", "probability")])
        if self.fmt == "table":
            return f"{'file':<{self.width}}  top predictions\n"
        return ""

    def rows(self, rows) -> str:
        pieces = []
        for row in rows:
            if self.fmt == "json":  # the items of json.dumps(all_rows, indent=2), one at a time
                item = "\n".join("  " + line for line in json.dumps(row, indent=2).splitlines())
                pieces.append(("[\n" if self.count == 0 else ",\n") + item)
            elif self.fmt == "csv":
                pieces.append(self._csv([row["file"]] + [v for t in row["top"]
                                                        for v in (t["label"], f"{t['probability']:.6f}")]))
            else:
                tops = ", ".join(f"{t['label']} {t['probability']:.3f}" for t in row["top"])
                pieces.append(f"{row['file']:<{self.width}}  {tops}\n")
            self.count += 1
        return "".join(pieces)

    def footer(self) -> str:
        if self.fmt != "json":
            return ""
        return "[]\n" if self.count == 0 else "\n]\n"

    @staticmethod
    def _csv(fields) -> str:
        import csv
        import io

        buffer = io.StringIO()
        csv.writer(buffer).writerow(fields)
        return buffer.getvalue()
