"""Tables of ``docs/video_analysis.md``: shot boundaries, clip classification, speed, the detector's threshold."""

from __future__ import annotations

from benchmarks.report import lookup, markdown_table, number, provenance, rerun, result, table

DETECTORS = (("cnn", "**CNN (this app)**"), ("histogram", "HSV histogram baseline"),
             ("pyscenedetect_content", "PySceneDetect ContentDetector"),
             ("pyscenedetect_adaptive", "PySceneDetect AdaptiveDetector"))
CLIP_MODELS = (("td", "TimeDistributed(Backbone) + temporal Conv1D (`td`)"), ("2plus1d", "(2+1)-D (`2plus1d`)"),
               ("3d", "3-D, `Backbone(conv_dims=3)` (`3d`)"))
SPEED_STEPS = (("decode_full_resolution", "OpenCV decoding, full resolution"),
               ("decode_resize_48x27", "decoding + resize to 48x27"),
               ("shots_cnn", "shots, CNN"), ("shots_histogram", "shots, HSV histogram"),
               ("shots_pyscenedetect_content", "shots, PySceneDetect ContentDetector"),
               ("shots_pyscenedetect_adaptive", "shots, PySceneDetect AdaptiveDetector"),
               ("embed_every_frame", "embedding every frame (default embedder)"))
DATASET_NAMES = {"clipshots": "ClipShots", "bbc": "BBC Planet Earth", "rai": "RAI"}
CLIP_NAMES = {"bikes_scene_cuts.mp4": "bikes", "big_buck_bunny_0-30s_720p.webm": "BBB 30 s",
              "big_buck_bunny_5s_720p.mp4": "BBB 5 s", "chaplin_clip_360p.mp4": "Chaplin",
              "carphone_qcif.mp4": "carphone"}


@table("video_shots")
def video_shots() -> str:
    """F1 and speed of every detector on the real cuts and on the generated edits, same run."""
    record = result("video_shots")
    rows = []
    for key, label in DETECTORS:
        real = lookup(record, f"metrics.real_cuts.{key}", {})
        generated = lookup(record, f"metrics.generated.{key}", {})
        rows.append([label, number(real.get("f1"), 3), number(real.get("frames_per_second"), 0),
                     number(generated.get("f1"), 3), number(generated.get("recall_gradual"), 2),
                     number(generated.get("recall_hard_cut"), 2), generated.get("hard_negatives_fired", "-"),
                     number(generated.get("frames_per_second"), 0)])
    real_cuts = lookup(record, "metrics.real_cuts.cnn.tp", 0) + lookup(record, "metrics.real_cuts.cnn.fn", 0)
    edits = len(lookup(record, "metrics.generated.cnn.f1_per_file", {}))
    headers = ["detector", f"real cuts F1 ({real_cuts} cuts)", "real fps", f"generated F1 ({edits} edits)",
               "gradual recall", "hard-cut recall", "hard negatives fired", "generated fps"]
    return "\n".join([markdown_table(headers, rows), "", provenance(record), "",
                      rerun(record)])


@table("video_shots_goals")
def video_shots_goals() -> str:
    """The CNN against the best PySceneDetect detector, and TransNet V2's published F1 for scale."""
    record = result("video_shots")
    summary = lookup(record, "metrics.summary", {})
    rows = [
        ["F1, generated edits", number(summary.get("cnn_f1_generated"), 3),
         number(summary.get("best_pyscenedetect_f1_generated"), 3), "higher"],
        ["F1, real cuts", number(summary.get("cnn_f1_real"), 3), number(summary.get("best_pyscenedetect_f1_real"), 3),
         "at least as high"],
        ["frames per second, real clips", number(summary.get("cnn_fps_real"), 0),
         number(summary.get("pyscenedetect_content_fps_real"), 0), "at least as high"],
    ]
    published = lookup(record, "references.transnet_v2_published_f1", {})
    reference = markdown_table(["TransNet V2 (published, other data sets)", *map(DATASET_NAMES.get, published)],
                               [["F1", *(number(value, 3) for value in published.values())]])
    return "\n".join([markdown_table(["", "CNN", "best PySceneDetect", "goal for the CNN"], rows), "", reference,
                      "", provenance(record)])


@table("video_clips")
def video_clips() -> str:
    """Accuracy of the three clip classifiers on Moving-MNIST-style digit x motion clips."""
    record = result("video_clips")
    rows = []
    for key, label in CLIP_MODELS:
        row = lookup(record, f"metrics.{key}", {})
        rows.append([label, number(row.get("accuracy_digit_and_motion"), 3), number(row.get("accuracy_digit"), 3),
                     number(row.get("accuracy_motion"), 3), number(row.get("parameters")),
                     number(row.get("train_seconds"), 0), number(row.get("test_clips_per_second"), 0)])
    rows.append(["chance", number(lookup(record, "references.chance_accuracy_digit_and_motion"), 3),
                 "-", "-", "-", "-", "-"])
    headers = ["model", "digit x motion accuracy", "digit", "motion", "parameters", "training (s)",
               "test clips/s"]
    return "\n".join([markdown_table(headers, rows), "", provenance(record), "",
                      rerun(record)])


@table("video_speed")
def video_speed() -> str:
    """Frames per second of each step on each real clip (x real time in brackets) and over all clips."""
    record = result("video_speed")
    metrics = record["metrics"]
    clips = [name for name in CLIP_NAMES if name in metrics]
    rows = []
    for key, label in SPEED_STEPS:
        cells = [f"{number(metrics[clip].get(f'{key}_fps'), 0)} ({number(metrics[clip].get(f'{key}_x_realtime'), 1)}x)"
                 for clip in clips]
        rows.append([label, number(lookup(record, f"metrics.all_clips_fps.{key}"), 0), *cells])
    headers = ["step", "all clips", *(f"{CLIP_NAMES[clip]} ({metrics[clip]['resolution']})" for clip in clips)]
    ratio = markdown_table(["CNN / ContentDetector frames per second, all clips", "goal"],
                           [[number(lookup(record, "metrics.cnn_vs_pyscenedetect_content_speed_ratio"), 2),
                             "at least 1"]])
    return "\n".join([markdown_table(headers, rows), "", ratio, "", provenance(record), "",
                      rerun(record)])


@table("video_threshold")
def video_threshold() -> str:
    """The CNN detector's threshold sweep on validation edits; the best is the shipped default."""
    record = result("video_threshold")
    best = lookup(record, "metrics.best_threshold")
    rows = []
    for key, scores in record["metrics"].items():
        if not key.startswith("threshold_"):
            continue
        threshold = float(key.removeprefix("threshold_"))
        label = f"**{threshold:g}** (best)" if threshold == best else f"{threshold:g}"
        rows.append([label, number(scores["precision"], 3), number(scores["recall"], 3), number(scores["f1"], 3)])
    return "\n".join([markdown_table(["threshold", "precision", "recall", "F1"], rows), "", provenance(record), "",
                      rerun(record)])
