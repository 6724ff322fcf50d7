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

from shared.cli import add_common_arguments, add_distribute_argument, add_fresh_argument, add_precision_argument, run
from shared.runtime import add_export_command, add_runtime_argument

SHOT_DETECTORS = ("cnn", "histogram", "content", "adaptive")  # detectors.DETECTORS, without importing it


MODEL_HELP = "a .keras file or a preset name (`cnnkit presets`)"


def _model_file(spec, what: str = "--model"):
    """The ``.keras`` file that ``what`` names: a path, or the checked file of a video preset."""
    from shared.presets import resolve_model

    return resolve_model(spec, what, app="video")


def _detector(args):
    """The shot detector that ``--detector``, ``--model``/``--weights`` and ``--threshold`` name."""
    from apps.video_analysis.detectors import make_detector

    weights = None if args.weights is None else _model_file(args.weights, args.weights_option)
    return make_detector(args.detector, weights=weights, threshold=args.threshold,
                         runtime=getattr(args, "runtime", "keras"))


def cmd_export(args):
    """Export a shot detector (``--model``) to ONNX (``shared.runtime``): ``shots`` then starts without TensorFlow."""
    from apps.video_analysis.detectors import load_detector_model
    from apps.video_analysis.presets import inference_graph
    from shared.runtime import export_command

    return export_command(args.model, "video", lambda spec: inference_graph(load_detector_model(spec)), args.out)


def _detect(args):
    return _detector(args).detect(args.file)


def _load_clips(args, split, count, **settings):
    """``data.load_clip_dataset`` of ``--data``; unreadable videos and entries that are not videos
    are listed on stderr."""
    from apps.video_analysis.data import load_clip_dataset

    ignored = []
    with warnings.catch_warnings():  # each skipped or ignored entry is printed below instead
        warnings.simplefilter("ignore")
        x, y, names, skipped = load_clip_dataset(args.data, split, count, seed=args.seed, progress=not args.json,
                                                 ignored=ignored, **settings)
    for path, error in skipped:
        print(f"skipped {path}: {error}", file=sys.stderr)
    for path, reason in ignored:
        print(f"ignored {path}: {reason}", file=sys.stderr)
    return x, y, names, skipped


def cmd_info(args):
    from apps.video_analysis.reader import VideoReader

    reader = VideoReader(args.file, every=args.every, target_fps=args.fps)
    start = time.perf_counter()
    kept = sum(1 for _ in reader)
    seconds = time.perf_counter() - start
    info = reader.info
    return {
        "video": str(args.file), "fps": info.fps, "frame_count_header": info.frame_count,
        "frames_decoded": reader.frames_read, "frames_sampled": kept, "width": info.width,
        "height": info.height, "duration_s": round(reader.frames_read / info.fps, 3),
        "decode_fps": round(reader.frames_read / max(seconds, 1e-9), 1), "ended_early": reader.ended_early,
    }


def cmd_shots(args):
    """Shots of one video as before; several files or a folder go to :func:`_shots_batch`."""
    if args.format == "csv":
        args.summary = False  # standard output is the CSV alone
    if len(args.files) > 1 or Path(args.files[0]).is_dir():
        return _shots_batch(args)
    args.file = args.files[0]
    start = time.perf_counter()
    result = _detect(args)
    output = _shot_output(result, time.perf_counter() - start)
    if args.thumbnails and output["shots"]:
        sheet = args.thumbnails
        if sheet == "auto":  # bare --thumbnails: next to --out, else <video>_shots.png here
            sheet = Path(args.out).with_suffix(".png") if args.out else Path(Path(args.file).stem + "_shots.png")
        output["thumbnails"] = _contact_sheet(args.file, output["shots"], sheet)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(output, indent=1))
    if result.ended_early:
        print(f"warning: {args.file} ended early after {result.frame_count} frames", file=sys.stderr)
    if not args.json:
        print(_shots_text(output, args.format), end="")
    return output


def _shot_output(result, seconds) -> dict:
    output = result.to_json()
    output["seconds"] = round(seconds, 3)
    output["frames_per_second"] = round(result.frame_count / max(seconds, 1e-9), 1)
    return output


def _contact_sheet(video, shots, path) -> str:
    from apps.video_analysis.shots import contact_sheet

    return str(contact_sheet(video, shots, path))


SHOT_CSV_COLUMNS = ("file", "kind", "start_frame", "end_frame", "start_time", "end_time", "confidence")


def _shots_text(output, fmt, header=True) -> str:
    """One video's shots as ``--format`` prints them: a readable block (``table``), or CSV rows
    (``csv``: one per shot, kind ``shot``, then one per transition, kind its type)."""
    if fmt == "csv":
        import csv
        import io

        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        if header:
            writer.writerow(SHOT_CSV_COLUMNS)
        items = [("shot", shot) for shot in output["shots"]] + [(t["type"], t) for t in output["transitions"]]
        for kind, item in items:
            writer.writerow([output["video"], kind, item["start_frame"], item["end_frame"], item["start_time"],
                             item["end_time"], item.get("confidence", "")])
        return buffer.getvalue()
    lines = [f"{output['video']}: {output['frame_count']} frames at {output['fps']:.3f} fps, "
             f"{len(output['shots'])} shots ({output['frames_per_second']} frames/s, detector {output['detector']})"]
    for i, shot in enumerate(output["shots"]):
        lines.append(f"  shot {i + 1}: frames {shot['start_frame']}-{shot['end_frame']} "
                     f"({shot['start_time']:.2f}-{shot['end_time']:.2f} s)")
    for t in output["transitions"]:
        lines.append(f"  {t['type']}: frames {t['start_frame']}-{t['end_frame']} confidence {t['confidence']:.2f}")
    return "\n".join(lines) + "\n"


def _shots_batch(args):
    """Shots of every video in several files or folders, with the detector loaded once.

    Each video's result is printed as soon as it is known: one JSON line with ``--json`` (the
    summary is the last line), CSV rows with ``--format csv``, else the single-file text. A
    file that cannot be read as video is named on standard error, counted and skipped; the
    other entries of a folder are named as ignored. ``--out`` receives the JSON lines.
    """
    from apps.video_analysis.video_folder import video_inputs
    from shared.cli import emit_json, progress_bar

    files, ignored = video_inputs(args.files)
    for path, reason in ignored:
        print(f"ignored {path}: {reason}", file=sys.stderr)
    if not files:
        raise ValueError(f"no video files in {', '.join(args.files)}.")
    sheets = None  # the folder of the contact sheets
    if args.thumbnails == "auto":  # bare --thumbnails: beside --out, else here
        sheets = Path(args.out).parent if args.out else Path(".")
    elif args.thumbnails:
        sheets = Path(args.thumbnails)
    if sheets is not None:
        sheets.mkdir(parents=True, exist_ok=True)
    out = None
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        out = open(args.out, "w")  # noqa: SIM115 - closed below, after the last video
    detector = _detector(args)
    start = time.perf_counter()
    failures, processed, frames, sheet_names = [], 0, 0, set()
    try:
        with progress_bar(len(files), "shots", "video") as bar:
            for number, path in enumerate(files):
                began = time.perf_counter()
                try:
                    result = detector.detect(path)
                except (ValueError, OSError) as error:  # VideoReadError is a ValueError
                    failures.append({"file": str(path), "error": str(error)})
                    bar.write(f"skipped {path}: {error}", file=sys.stderr)
                    bar.update(1)
                    continue
                output = _shot_output(result, time.perf_counter() - began)
                frames += result.frame_count
                if sheets is not None and output["shots"]:
                    name = f"{path.stem}_shots.png"
                    if name in sheet_names:  # the same name in two folders: keep both sheets
                        name = f"{path.stem}_{number + 1}_shots.png"
                    sheet_names.add(name)
                    output["thumbnails"] = _contact_sheet(path, output["shots"], sheets / name)
                if result.ended_early:
                    bar.write(f"warning: {path} ended early after {result.frame_count} frames", file=sys.stderr)
                if out is not None:
                    emit_json(output, out)
                with bar.external_write_mode(file=sys.stdout):
                    if args.json:
                        emit_json(output)
                    else:
                        sys.stdout.write(_shots_text(output, args.format, header=processed == 0))
                        sys.stdout.flush()
                processed += 1
                bar.update(1)
    finally:
        if out is not None:
            out.close()
    if failures:
        print(f"{len(failures)} of {len(files)} file(s) could not be read as video", file=sys.stderr)
    if not processed:
        raise ValueError(f"none of the {len(files)} file(s) could be read as video.")
    seconds = time.perf_counter() - start
    return {"files": len(files), "processed": processed, "failed": len(failures), "ignored": len(ignored),
            "failures": failures, "frames": frames, "frames_per_second": round(frames / max(seconds, 1e-9), 1)}


def cmd_embed(args):
    import numpy as np

    from apps.video_analysis.embed import embed_video, load_embedder, remove_near_duplicates, select_keyframes

    model, scale = load_embedder(None if args.model is None else _model_file(args.model))
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


def cmd_train(args):
    from apps.video_analysis.models import save_clip_classifier
    from apps.video_analysis.train import train_clip_classifier

    settings = {"frames": args.frames, "size": args.size, "task": args.task, "grayscale": args.grayscale}
    x, y, names, skipped = _load_clips(args, "train", args.clips, **settings)
    validation = None  # a folder: train_clip_classifier holds out a stratified fifth
    if args.data == "moving-mnist":
        validation = _load_clips(args, "test", max(64, args.clips // 5), **settings)[:2]
    model, metrics = train_clip_classifier(x, y, len(names), validation=validation, arch=args.arch,
                                           epochs=args.epochs, batch_size=args.batch_size, seed=args.seed,
                                           verbose=0 if args.json else "auto")
    meta = {"class_names": names, "frames": args.frames, "size": args.size, "grayscale": bool(x.shape[-1] == 1),
            "arch": args.arch, "data": str(args.data), "task": args.task, "precision": model.dtype_policy.name}
    out = save_clip_classifier(model, args.out or "clip_classifier.keras", meta)
    return {**metrics, "model": str(out), "skipped": len(skipped), "classes": len(names)}


def cmd_evaluate(args):
    from apps.video_analysis.classify import evaluate_clip_classifier
    from apps.video_analysis.models import load_clip_classifier
    from shared.plotting import plot_confusion

    model, meta = load_clip_classifier(_model_file(args.model))
    x, y, _, skipped = _load_clips(
        args, "test", args.clips, frames=meta["frames"], size=meta["size"], grayscale=meta["grayscale"],
        task=meta.get("task", args.task), class_names=meta["class_names"] if args.data != "moving-mnist" else None)
    result = evaluate_clip_classifier(model, x, y, meta["class_names"], batch_size=args.batch_size)
    result["skipped"] = len(skipped)
    if args.out:
        result["confusion_png"] = str(plot_confusion(result["confusion_matrix"], meta["class_names"], args.out))
    return result


def cmd_predict(args):
    from apps.video_analysis.classify import classify_files
    from apps.video_analysis.models import load_clip_classifier
    from apps.video_analysis.video_folder import video_inputs

    model, meta = load_clip_classifier(_model_file(args.model))
    files, ignored = video_inputs(args.files)
    for path, reason in ignored:
        print(f"ignored {path}: {reason}", file=sys.stderr)
    predictions, skipped = [], []
    for item in classify_files(model, meta, files):
        if "error" in item:
            skipped.append(item)
            print(f"skipped {item['file']}: {item['error']}", file=sys.stderr)
            continue
        predictions.append(item)
        if not args.json:
            print(f"{item['file']}: {item['label']} ({item['score']:.3f})")
    if not predictions and skipped:
        raise ValueError(f"None of the {len(skipped)} inputs could be read as video.")
    return {"predictions": predictions, "skipped": skipped}


def cmd_annotate(args):
    from apps.video_analysis.annotate import annotate_video, classify_shots
    from apps.video_analysis.models import load_clip_classifier

    result = _detect(args)
    labels = None
    if args.model:
        model, meta = load_clip_classifier(_model_file(args.model))
        labels = classify_shots(args.file, result.shots, model, meta["class_names"])
    out = annotate_video(args.file, args.out or "annotated.mp4", result, labels)
    return {"out": str(out), "shots": len(result.shots), "transitions": result.transitions,
            "frames": result.frame_count,
            "shot_labels": [{"label": l, "score": s} for l, s in labels] if labels else None}


def cmd_train_shots(args):
    from apps.video_analysis.train import train_shot_detector

    out = args.out
    metrics = train_shot_detector(out, videos=args.videos, epochs=args.epochs, seed=args.seed,
                                  windows_per_video=args.windows_per_video, checkpoint_dir=args.checkpoint_dir,
                                  verbose=0 if args.json else "auto", resume=not args.fresh)
    metrics["out"] = str(out)
    return metrics


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cnnkit video", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    info = commands.add_parser("info", help="probe and decode a video; report size, fps and decoding speed")
    info.add_argument("file")
    info.add_argument("--every", type=int, default=1, help="keep every Nth frame")
    info.add_argument("--fps", type=float, default=None, help="sample at this frame rate instead")
    add_common_arguments(info)

    def detector_options(p, model_option=True):
        p.add_argument("--detector", choices=SHOT_DETECTORS, default="cnn",
                       help="cnn (TransNet-style, shipped weights), histogram (HSV baseline), or "
                            "PySceneDetect's content / adaptive detector")
        # shots: --model (--weights kept as its alias); annotate: --model is the clip classifier
        options = ("--model", "--weights") if model_option else ("--weights",)
        p.add_argument(*options, dest="weights", default=None, metavar="NAME_OR_PATH",
                       help=f"the cnn detector's weights: {MODEL_HELP} (default: the preset shot_detector)"
                            + ("; --weights is an alias" if model_option else ""))
        p.set_defaults(weights_option=options[0])
        p.add_argument("--threshold", type=float, default=None,
                       help="cnn: transition probability (default 0.8); histogram: HSV distance (default 0.4)")

    shots = commands.add_parser(
        "shots", help="detect shot boundaries (cuts, dissolves, fades, wipes) in videos or folders of videos",
        description="Detect shot boundaries. Several files or a folder (every video below it, sorted) are read with "
                    "the detector loaded once: one result per video as it is done (one JSON line each with --json, "
                    "then the summary); unreadable videos are named on stderr, counted and skipped.")
    shots.add_argument("files", nargs="+", metavar="FILE_OR_FOLDER")
    detector_options(shots)
    shots.add_argument("--format", choices=("table", "csv"), default="table",
                       help="table: a readable block per video; csv: one row per shot and per transition, the "
                            "file name first (columns " + ", ".join(SHOT_CSV_COLUMNS) + ")")
    shots.add_argument("--thumbnails", nargs="?", const="auto", default=None, metavar="PNG",
                       help="write a contact sheet PNG, one keyframe per shot (default path: next to "
                            "--out, or <video>_shots.png; with several videos: a folder for <video>_shots.png)")
    add_runtime_argument(shots)
    add_common_arguments(shots)

    embed = commands.add_parser("embed", help="per-frame embeddings, near-duplicate removal, keyframes")
    embed.add_argument("file")
    embed.add_argument("--model", default=None, help="any trained .keras image/clip model or a preset name (default: "
                                                    "the frame network of the preset shot_detector)")
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
    add_precision_argument(train)
    add_distribute_argument(train)
    add_common_arguments(train, out_default="clip_classifier.keras")

    evaluate = commands.add_parser("evaluate", help="evaluate a clip classifier (accuracy, confusion matrix)")
    evaluate.add_argument("--model", required=True, help="a clip classifier: " + MODEL_HELP)
    clip_options(evaluate, False)
    add_common_arguments(evaluate)

    predict = commands.add_parser("predict", help="classify video files (or every video in folders)")
    predict.add_argument("files", nargs="+")
    predict.add_argument("--model", required=True, help="a clip classifier: " + MODEL_HELP)
    add_common_arguments(predict)

    annotate = commands.add_parser("annotate", help="write a copy with shots, labels and scores drawn on it")
    annotate.add_argument("file")
    detector_options(annotate, model_option=False)
    annotate.add_argument("--model", default=None, help="a clip classifier for per-shot labels: " + MODEL_HELP)
    add_common_arguments(annotate, out_default="annotated.mp4")

    train_shots = commands.add_parser("train-shots", help="train the shot detector on generated edits")
    train_shots.add_argument("--videos", type=int, default=160)
    train_shots.add_argument("--windows-per-video", type=int, default=8)
    train_shots.add_argument("--epochs", type=int, default=12)
    train_shots.add_argument("--checkpoint-dir", default=None,
                             help="save the model and optimizer every epoch here; a rerun resumes")
    add_precision_argument(train_shots)
    add_distribute_argument(train_shots)
    add_fresh_argument(train_shots)
    add_common_arguments(train_shots, out_default="runs/shot_detector.keras")
    add_export_command(commands, "a shot detector: a .keras file or a video preset name (`cnnkit presets --app video`)")
    return parser


def main(argv=None) -> int:
    return run(build_parser(), sys.modules[__name__], argv)
