"""``cnnkit video ...``: shots, embeddings, clip classifiers and annotated video.

Every command has ``--seed``, ``--out`` and ``--json`` (one JSON object on the last line).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np

from shared.cli import add_common_arguments, emit_json, fail, seed_everything

SHOT_DETECTORS = ("cnn", "histogram", "content", "adaptive")


def _detect(args):
    from apps.video_analysis.histogram_detector import HistogramDetector
    from apps.video_analysis.scenedetect_baseline import detect_with_scenedetect
    from apps.video_analysis.shot_detector import ShotDetector

    if args.detector == "cnn":
        return ShotDetector(args.weights, threshold=args.threshold if args.threshold_set else 0.8).detect(args.file)
    if args.detector == "histogram":
        return HistogramDetector(threshold=args.threshold if args.threshold_set else 0.4).detect(args.file)
    return detect_with_scenedetect(args.file, args.detector)


def cmd_info(args):
    from apps.video_analysis.reader import VideoReader

    reader = VideoReader(args.file, every=args.every, target_fps=args.fps)
    start = time.perf_counter()
    kept = sum(1 for _ in reader)
    seconds = time.perf_counter() - start
    info = reader.info
    result = {
        "video": str(args.file), "fps": info.fps, "frame_count_header": info.frame_count,
        "frames_decoded": reader.frames_read, "frames_sampled": kept, "width": info.width,
        "height": info.height, "duration_s": round(reader.frames_read / info.fps, 3),
        "decode_fps": round(reader.frames_read / max(seconds, 1e-9), 1), "ended_early": reader.ended_early,
    }
    if not args.json:
        for key, value in result.items():
            print(f"{key}: {value}")
    return result


def cmd_shots(args):
    from apps.video_analysis.shots import contact_sheet

    start = time.perf_counter()
    result = _detect(args)
    seconds = time.perf_counter() - start
    output = result.to_json()
    output["seconds"] = round(seconds, 3)
    output["frames_per_second"] = round(result.frame_count / max(seconds, 1e-9), 1)
    if args.thumbnails and output["shots"]:
        sheet = args.thumbnails
        if sheet == "auto":  # bare --thumbnails: next to --out, else <video>_shots.png here
            sheet = Path(args.out).with_suffix(".png") if args.out else Path(Path(args.file).stem + "_shots.png")
        output["thumbnails"] = str(contact_sheet(args.file, output["shots"], sheet))
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(output, indent=1))
    if result.ended_early:
        print(f"warning: {args.file} ended early after {result.frame_count} frames", file=sys.stderr)
    if not args.json:
        print(f"{args.file}: {result.frame_count} frames at {result.fps:.3f} fps, {len(output['shots'])} shots "
              f"({output['frames_per_second']} frames/s, detector {result.detector})")
        for i, shot in enumerate(output["shots"]):
            print(f"  shot {i + 1}: frames {shot['start_frame']}-{shot['end_frame']} "
                  f"({shot['start_time']:.2f}-{shot['end_time']:.2f} s)")
        for t in output["transitions"]:
            print(f"  {t['type']}: frames {t['start_frame']}-{t['end_frame']} confidence {t['confidence']:.2f}")
    return output


def cmd_embed(args):
    from apps.video_analysis.embed import embed_video, load_embedder, remove_near_duplicates, select_keyframes

    model, scale = load_embedder(args.model)
    start = time.perf_counter()
    embeddings, indices, times = embed_video(args.file, model, scale, every=args.every, target_fps=args.fps,
                                             batch_size=args.batch_size, progress=not args.json)
    seconds = time.perf_counter() - start
    kept = remove_near_duplicates(embeddings, args.dedup_threshold)
    keyframes = select_keyframes(embeddings[kept], args.keyframes, seed=args.seed) if len(kept) else kept
    keyframe_indices = indices[kept][keyframes] if len(kept) else np.zeros(0, int)
    result = {
        "video": str(args.file), "frames": int(len(indices)), "dimension": int(embeddings.shape[1]),
        "unique_frames": int(len(kept)), "keyframes": [int(i) for i in keyframe_indices],
        "seconds": round(seconds, 3), "frames_per_second": round(len(indices) / max(seconds, 1e-9), 1),
    }
    if args.out:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(out, embeddings=embeddings, frame_index=indices, time_s=times,
                            unique=indices[kept], keyframes=keyframe_indices)
        result["out"] = str(out)
    if not args.json:
        print(f"{result['frames']} frames embedded ({result['dimension']}-d, {result['frames_per_second']} "
              f"frames/s); {result['unique_frames']} after near-duplicate removal; keyframes {result['keyframes']}")
    return result


def _metadata_path(model_path):
    return Path(str(model_path) + ".json")


def _load_clip_data(args, split, count):
    """(x, y, class_names, skipped) for --data moving-mnist or a class-per-folder video tree."""
    from apps.video_analysis import moving_mnist
    from apps.video_analysis.video_folder import VideoFolder

    if args.data == "moving-mnist":
        seed = args.seed if split == "train" else args.seed + 1
        x, y, names = moving_mnist.generate(count, frames=args.frames, size=args.size, task=args.task,
                                            split=split, seed=seed)
        return x, y, names, []
    folder = VideoFolder(args.data, frames=args.frames, size=(args.size, args.size), grayscale=args.grayscale,
                         class_names=getattr(args, "class_names", None))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        x, y = folder.to_arrays(progress=not args.json)
    for path, error in folder.skipped:
        print(f"skipped {path}: {error}", file=sys.stderr)
    return x, y, folder.class_names, folder.skipped


def _fit(model, x, y, validation, args):
    try:
        from shared.training import fit
    except ImportError:
        fit = None
    if fit is not None:
        return fit(model, (x, y), validation=validation, epochs=args.epochs, batch_size=args.batch_size,
                   seed=args.seed, verbose=0 if args.json else "auto")
    return model.fit(x, y, validation_data=validation, epochs=args.epochs, batch_size=args.batch_size,
                     verbose=0 if args.json else "auto")


def cmd_train(args):
    from sklearn.model_selection import train_test_split

    from apps.video_analysis.clip_model import build_clip_classifier

    x, y, names, skipped = _load_clip_data(args, "train", args.clips)
    if args.data == "moving-mnist":
        xv, yv, _, _ = _load_clip_data(args, "test", max(64, args.clips // 5))
    else:
        stratify = y if min(np.bincount(y)) >= 2 and len(y) >= 2 * len(names) else None
        x, xv, y, yv = train_test_split(x, y, test_size=0.2, random_state=args.seed, stratify=stratify)
    model = build_clip_classifier(x.shape[1:], len(names), arch=args.arch)
    start = time.perf_counter()
    history = _fit(model, x, y, (xv, yv), args)
    seconds = time.perf_counter() - start
    out = Path(args.out or "clip_classifier.keras")
    out.parent.mkdir(parents=True, exist_ok=True)
    model.save(out)
    meta = {"class_names": names, "frames": args.frames, "size": args.size, "grayscale": bool(x.shape[-1] == 1),
            "arch": args.arch, "data": str(args.data), "task": args.task}
    _metadata_path(out).write_text(json.dumps(meta, indent=1))
    result = {k: float(v[-1]) for k, v in history.history.items()}
    result.update({"model": str(out), "train_clips": int(len(x)), "validation_clips": int(len(xv)),
                   "skipped": len(skipped), "seconds": round(seconds, 2), "classes": len(names)})
    if not args.json:
        print(f"saved {out}; validation accuracy {result.get('val_accuracy', float('nan')):.4f}")
    return result


def _load_clip_model(path):
    import keras

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Model file not found: {path}")
    model = keras.saving.load_model(path)
    meta_path = _metadata_path(path)
    meta = json.loads(meta_path.read_text()) if meta_path.is_file() else {}
    frames, height, width, channels = (int(s) for s in model.input_shape[1:])
    meta.setdefault("frames", frames)
    meta.setdefault("size", height)
    meta.setdefault("grayscale", channels == 1)
    meta.setdefault("class_names", [str(i) for i in range(int(model.output_shape[-1]))])
    return model, meta


def cmd_evaluate(args):
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score

    model, meta = _load_clip_model(args.model)
    args.frames, args.size, args.grayscale = meta["frames"], meta["size"], meta["grayscale"]
    args.task = meta.get("task", args.task)
    args.class_names = meta["class_names"] if args.data != "moving-mnist" else None
    x, y, names, skipped = _load_clip_data(args, "test", args.clips)
    start = time.perf_counter()
    predicted = np.argmax(model.predict(x, verbose=0, batch_size=args.batch_size), axis=1)
    seconds = time.perf_counter() - start
    labels = list(range(len(meta["class_names"])))
    matrix = confusion_matrix(y, predicted, labels=labels)
    result = {
        "accuracy": float(accuracy_score(y, predicted)),
        "macro_f1": float(f1_score(y, predicted, average="macro", labels=labels, zero_division=0)),
        "clips": int(len(y)), "skipped": len(skipped), "clips_per_second": round(len(y) / max(seconds, 1e-9), 1),
        "confusion_matrix": matrix.tolist(), "class_names": meta["class_names"],
    }
    if args.out:
        _plot_confusion(matrix, meta["class_names"], args.out)
        result["confusion_png"] = str(args.out)
    if not args.json:
        print(f"accuracy {result['accuracy']:.4f}, macro F1 {result['macro_f1']:.4f} on {len(y)} clips")
    return result


def _plot_confusion(matrix, names, out):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import ConfusionMatrixDisplay

    size = max(5, len(names) * 0.25)
    fig, ax = plt.subplots(figsize=(size, size))
    ConfusionMatrixDisplay(matrix, display_labels=names).plot(ax=ax, include_values=len(names) <= 12,
                                                              xticks_rotation=90, colorbar=False)
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(out, dpi=80)
    plt.close(fig)


def cmd_predict(args):
    from apps.video_analysis.reader import VideoReadError
    from apps.video_analysis.video_folder import VIDEO_EXTENSIONS, load_clip

    model, meta = _load_clip_model(args.model)
    files = []
    for item in args.files:
        path = Path(item)
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.suffix.lower() in VIDEO_EXTENSIONS)
        else:
            files.append(path)
    predictions, skipped = [], []
    for path in files:
        try:
            clip = load_clip(path, meta["frames"], (meta["size"], meta["size"]), meta["grayscale"])
        except VideoReadError as error:
            skipped.append({"file": str(path), "error": str(error)})
            print(f"skipped {path}: {error}", file=sys.stderr)
            continue
        p = np.asarray(model.predict(clip[None], verbose=0))[0]
        top = int(np.argmax(p))
        predictions.append({"file": str(path), "label": meta["class_names"][top], "score": float(p[top])})
        if not args.json:
            print(f"{path}: {meta['class_names'][top]} ({p[top]:.3f})")
    if not predictions and skipped:
        raise ValueError(f"None of the {len(skipped)} inputs could be read as video.")
    return {"predictions": predictions, "skipped": skipped}


def cmd_annotate(args):
    from apps.video_analysis.annotate import annotate_video, classify_shots

    result = _detect(args)
    labels = None
    if args.model:
        model, meta = _load_clip_model(args.model)
        labels = classify_shots(args.file, result.shots, model, meta["class_names"])
    out = annotate_video(args.file, args.out or "annotated.mp4", result, labels)
    summary = {"out": str(out), "shots": len(result.shots), "transitions": result.transitions,
               "frames": result.frame_count,
               "shot_labels": [{"label": l, "score": s} for l, s in labels] if labels else None}
    if not args.json:
        print(f"wrote {out}: {result.frame_count} frames, {len(result.shots)} shots")
    return summary


def cmd_train_shots(args):
    from apps.video_analysis.train_shots import DEFAULT_WEIGHTS, train

    metrics = train(args.out or DEFAULT_WEIGHTS, videos=args.videos, epochs=args.epochs, seed=args.seed,
                    windows_per_video=args.windows_per_video, verbose=0 if args.json else "auto")
    metrics["out"] = str(args.out or DEFAULT_WEIGHTS)
    return metrics


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cnnkit video", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    info = commands.add_parser("info", help="probe and decode a video; report size, fps and decoding speed")
    info.add_argument("file")
    info.add_argument("--every", type=int, default=1, help="keep every Nth frame")
    info.add_argument("--fps", type=float, default=None, help="sample at this frame rate instead")
    add_common_arguments(info)

    def detector_options(p):
        p.add_argument("--detector", choices=SHOT_DETECTORS, default="cnn",
                       help="cnn (TransNet-style, shipped weights), histogram (HSV baseline), or "
                            "PySceneDetect's content / adaptive detector")
        p.add_argument("--weights", default=None, help="shot detector .keras file (default: shipped)")
        p.add_argument("--threshold", type=float, default=None,
                       help="cnn: transition probability (default 0.8); histogram: HSV distance (default 0.4)")

    shots = commands.add_parser("shots", help="detect shot boundaries (cuts, dissolves, fades, wipes)")
    shots.add_argument("file")
    detector_options(shots)
    shots.add_argument("--thumbnails", nargs="?", const="auto", default=None, metavar="PNG",
                       help="write a contact sheet PNG, one keyframe per shot (default path: next to "
                            "--out, or <video>_shots.png)")
    add_common_arguments(shots)

    embed = commands.add_parser("embed", help="per-frame embeddings, near-duplicate removal, keyframes")
    embed.add_argument("file")
    embed.add_argument("--model", default=None, help="any trained .keras image/clip model (default: the shot "
                                                    "detector's frame network)")
    embed.add_argument("--every", type=int, default=1)
    embed.add_argument("--fps", type=float, default=None)
    embed.add_argument("--batch-size", type=int, default=64)
    embed.add_argument("--dedup-threshold", type=float, default=0.98, help="cosine similarity for duplicates")
    embed.add_argument("--keyframes", type=int, default=5)
    add_common_arguments(embed)

    def clip_options(p, training):
        p.add_argument("--data", default="moving-mnist",
                       help="'moving-mnist' or a folder of videos with one subfolder per class (UCF101 layout)")
        p.add_argument("--clips", type=int, default=4000 if training else 1000,
                       help="number of Moving-MNIST clips")
        p.add_argument("--task", choices=("digit_motion", "digit", "motion"), default="digit_motion")
        p.add_argument("--batch-size", type=int, default=32)
        if training:
            p.add_argument("--arch", choices=("td", "2plus1d", "3d"), default="td")
            p.add_argument("--frames", type=int, default=8)
            p.add_argument("--size", type=int, default=32)
            p.add_argument("--grayscale", action="store_true", help="folder data: use one channel")
            p.add_argument("--epochs", type=int, default=5)

    train = commands.add_parser("train", help="train a clip classifier")
    clip_options(train, True)
    add_common_arguments(train, out_default="clip_classifier.keras")

    evaluate = commands.add_parser("evaluate", help="evaluate a clip classifier (accuracy, confusion matrix)")
    evaluate.add_argument("--model", required=True)
    clip_options(evaluate, False)
    add_common_arguments(evaluate)

    predict = commands.add_parser("predict", help="classify video files (or every video in folders)")
    predict.add_argument("files", nargs="+")
    predict.add_argument("--model", required=True)
    add_common_arguments(predict)

    annotate = commands.add_parser("annotate", help="write a copy with shots, labels and scores drawn on it")
    annotate.add_argument("file")
    detector_options(annotate)
    annotate.add_argument("--model", default=None, help="clip classifier .keras for per-shot labels")
    add_common_arguments(annotate, out_default="annotated.mp4")

    train_shots = commands.add_parser("train-shots", help="train the shot detector on generated edits")
    train_shots.add_argument("--videos", type=int, default=160)
    train_shots.add_argument("--windows-per-video", type=int, default=8)
    train_shots.add_argument("--epochs", type=int, default=12)
    add_common_arguments(train_shots)
    return parser


COMMANDS = {
    "info": cmd_info, "shots": cmd_shots, "embed": cmd_embed, "train": cmd_train, "evaluate": cmd_evaluate,
    "predict": cmd_predict, "annotate": cmd_annotate, "train-shots": cmd_train_shots,
}


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    if hasattr(args, "threshold"):
        args.threshold_set = args.threshold is not None
    if hasattr(args, "grayscale") is False:
        args.grayscale = False
    seed_everything(args.seed)
    try:
        result = COMMANDS[args.command](args)
    except (FileNotFoundError, ValueError) as error:  # VideoReadError is a ValueError
        return fail(str(error))
    if args.json:
        emit_json(result)
    return 0
