"""``cnnkit presets``: the shipped trained models, with their metric, dataset and command.

    cnnkit presets                      # one row per preset: app, task, test metrics, size
    cnnkit presets kim_rand_sst2        # one preset's metadata
    cnnkit presets --check              # load every preset and re-predict its recorded examples
    cnnkit presets --export             # export every preset to ONNX once: inference starts in under a second

Each application loads a preset by name wherever it takes ``--model`` (``shared.presets``).
"""

from __future__ import annotations

import argparse
import importlib
import math
import sys

from shared.cli import run


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cnnkit presets", description=__doc__.splitlines()[0],
                                     epilog="Load one in Python with shared.presets.load_preset(NAME) or "
                                            "TaskClass.from_preset(NAME).")
    parser.add_argument("name", nargs="?", help="show this preset's metadata")
    parser.add_argument("--app", choices=("image", "video", "text", "dta", "go"), help="only this application's")
    parser.add_argument("--check", action="store_true",
                        help="load each preset (checksum first) and re-predict the examples its metadata records")
    parser.add_argument("--export", action="store_true",
                        help="export each preset (or NAME) to ONNX in the cache, checked against Keras, so the "
                             "inference commands run it without loading TensorFlow (shared.runtime)")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object on the last line")
    parser.add_argument("--debug", action="store_true", help="show the Python traceback of an error")
    parser.set_defaults(command="presets", summary=False)
    return parser


def app_hooks(record: dict):
    """The ``presets`` package of the preset's application (``score``, ``pick_examples``, ``predict_example``)."""
    from apps.cli import APPS

    return importlib.import_module(f"apps.{APPS[record['app']][0]}.presets")


def same_prediction(expected, actual, tolerance: float = 0.02) -> bool:
    """Class names must be equal; numbers (affinities, probabilities) may differ by ``tolerance``
    (float16 storage and the backends' arithmetic); lists are compared item by item."""
    if isinstance(expected, (list, tuple)):
        return (isinstance(actual, (list, tuple)) and len(expected) == len(actual)
                and all(same_prediction(e, a, tolerance) for e, a in zip(expected, actual)))
    if isinstance(expected, (int, float)) and not isinstance(expected, bool):
        return isinstance(actual, (int, float)) and math.isclose(expected, actual, abs_tol=tolerance)
    return expected == actual


def check_preset(name: str) -> dict:
    """Load preset ``name`` (an ensemble: its members) and re-predict its recorded examples:
    ``{"examples": n, "mismatches": [...]}``."""
    from shared.presets import ensemble_members, load_preset, preset_metadata

    record = preset_metadata(name)
    members = ensemble_members(name)
    # An ensemble's examples record its members' mean, which its app's hooks compute from the list.
    model = [load_preset(member) for member in members] if members else load_preset(name)
    hooks = app_hooks(record)
    mismatches = []
    for example in record["examples"]:
        actual = hooks.predict_example(model, example)
        if not same_prediction(example["prediction"], actual):
            mismatches.append({"input": example["input"], "recorded": example["prediction"], "now": actual})
    return {"examples": len(record["examples"]), "mismatches": mismatches}


def export_preset(name: str) -> dict:
    """Export preset ``name`` to the ONNX cache (``shared.runtime``) unless it is there already; an
    ensemble exports its members."""
    from shared.presets import ensemble_members, load_preset, preset_file, preset_metadata
    from shared.runtime import export_file, exported_path

    members = ensemble_members(name)
    if members:
        rows = [export_preset(member) for member in members]
        return {"onnx": ", ".join(row["onnx"] for row in rows), "exported": any(row["exported"] for row in rows),
                "members": members}
    record = preset_metadata(name)
    path = preset_file(name)
    parts = getattr(app_hooks(record), "INFERENCE_PARTS", None)
    targets = [exported_path(path, record["sha256"], part) for part in (parts or [None])]
    if all(target.is_file() for target in targets):
        return {"onnx": ", ".join(map(str, targets)), "exported": False}
    written = export_file(path, model=inference_graph(record, load_preset(name)))
    return {"onnx": ", ".join(map(str, written.values())) if isinstance(written, dict) else str(written),
            "exported": True}


def inference_graph(record: dict, model):
    """The graph that the inference commands of the preset's app run: ``model`` itself, or what
    its presets package's ``inference_graph(model)`` makes of it (a dict of graphs for an app
    whose presets package names ``INFERENCE_PARTS``)."""
    hook = getattr(app_hooks(record), "inference_graph", None)
    return model if hook is None else hook(model)


def _metric_text(metrics: dict) -> str:
    return ", ".join(f"{key} {value:.4g}" if isinstance(value, float) else f"{key} {value}"
                     for key, value in metrics.items())


def cmd_presets(args):
    from shared.presets import list_presets, preset_metadata

    if args.export:
        # An ensemble's members are presets of their own: exporting them all covers it.
        names = [args.name] if args.name else [record["name"] for record in list_presets(args.app)
                                               if not record.get("members")]
        width = max(map(len, names), default=0)
        rows = []
        for name in names:
            row = {"name": name, **export_preset(name)}
            rows.append(row)
            if not args.json:
                print(f"{name:{width}} {'exported to' if row['exported'] else 'up to date:'} {row['onnx']}", flush=True)
        return {"exports": rows}
    if args.name:
        record = preset_metadata(args.name)
        if not args.json:
            for key in ("name", "app", "task", "description", "input", "output", "weights_dtype", "result"):
                print(f"{key:13} {record[key]}")
            print(f"{'dataset':13} {record['dataset']['name']}: {record['dataset']['description']} "
                  f"(license: {record['dataset']['license']})")
            print(f"{'metrics':13} {_metric_text(record['metrics'])}")
            print(f"{'references':13} {_metric_text(record['references'])}")
            if record.get("members"):
                scale = f"; spread_scale {record['spread_scale']:g}" if "spread_scale" in record else ""
                print(f"{'members':13} {', '.join(record['members'])} ({record['file_bytes'] / 1e6:.2f} MB "
                      f"together{scale})")
            else:
                print(f"{'file':13} {record['file']} ({record['file_bytes'] / 1e6:.2f} MB)")
            print(f"{'rebuild':13} {' && '.join(record['command'])}")
        return record
    records = list_presets(args.app)
    width = max((len(record["name"]) for record in records), default=0)
    rows = []
    for record in records:
        row = {"name": record["name"], "app": record["app"], "task": record["task"],
               "dataset": record["dataset"]["name"], "metrics": record["metrics"],
               "megabytes": round(record["file_bytes"] / 1e6, 2)}
        if args.check:
            outcome = check_preset(record["name"])
            row["check"] = "ok" if not outcome["mismatches"] else f"{len(outcome['mismatches'])} mismatch(es)"
            row["mismatches"] = outcome["mismatches"]
        rows.append(row)
    if not args.json:
        for row in rows:
            check = f"  [{row['check']}]" if "check" in row else ""
            print(f"{row['name']:{width}} {row['app']:6} {row['dataset']:13} {_metric_text(row['metrics']):40} "
                  f"{row['megabytes']:5.2f} MB{check}")
    failed = [row["name"] for row in rows if row.get("mismatches")]
    if failed:
        raise ValueError(f"preset(s) {', '.join(failed)} no longer predict their recorded examples.")
    return {"presets": rows}


def main(argv=None) -> int:
    return run(build_parser(), {"presets": cmd_presets}, argv)


if __name__ == "__main__":
    sys.exit(main())
