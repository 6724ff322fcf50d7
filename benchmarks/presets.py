"""Build the shipped presets: train each with its benchmark, then pack it into its app's presets/ folder.

    python -m benchmarks.presets list                    # the recipes, and which are packed
    python -m benchmarks.presets build kim_rand_trec     # run the recipe's training steps, then pack
    python -m benchmarks.presets pack kim_rand_trec      # pack a model the steps already trained

The recipes are data in each app's ``presets`` package (``RECIPES``). Packing copies the trained
model as ``apps/<app>/presets/NAME.keras`` (no optimizer state, float32 dtype policies, float16
weights where float32 would pass 5 MB), scores the packed file on its test split with the app's
``presets.score`` (``metrics``, beside the benchmark's figures in ``benchmark_metrics`` and the
published ``references``), records its predictions on a handful of real test inputs
(``examples``, which the tests check on every backend), and writes ``NAME.json``.
Training steps write into the cnnkit cache (``$CNNKIT_CACHE/presets/build`` and the benchmarks' own
cache folders) and their ``benchmarks/results`` records. The presets trained before this builder
(Go, the shot detector) name their shipped file as the trained model; their metadata gives their
recorded training steps, then ``pack``.

A recipe with ``members`` is an ensemble preset: ``build`` builds the members it lacks, runs its
steps (the ensemble benchmark, which reads the members' cached test predictions) and packs a
metadata file only, whose metrics, examples and ``spread_scale`` are those of the members' mean.
"""

from __future__ import annotations

import argparse
import importlib
import json
import shlex
import subprocess
import sys
import time
from pathlib import Path

from shared import data as shared_data
from shared.benchmarking import RESULTS, git_commit, machine
from shared.presets import MAX_PLAIN_BYTES, ROOT, pack_keras_file, write_metadata

APPS = {  # app name -> package
    "image": "apps.image_recognition", "video": "apps.video_analysis", "text": "apps.text_classification",
    "dta": "apps.drug_target", "go": "apps.go_policy",
}
BUILD = "{build}"  # in a step or a trained path: the build folder in the cnnkit cache


def all_recipes() -> dict:
    """Every app's ``presets.RECIPES`` (name -> recipe), each recipe with its ``app``."""
    recipes = {}
    for app, package in APPS.items():
        for name, recipe in importlib.import_module(f"{package}.presets").RECIPES.items():
            recipes[name] = {**recipe, "app": app}
    return recipes


def build_folder() -> Path:
    return shared_data.cache_dir("presets", "build")


def _fill(text: str) -> str:
    return text.replace(BUILD, str(build_folder()))


def _lookup(record: dict, dotted: str):
    """``record`` at a path such as ``metrics.ci`` or ``cells.kim_rand/sst2.accuracy``."""
    node = record
    for key in dotted.split("."):
        if not isinstance(node, dict) or key not in node:
            raise KeyError(f"no {dotted!r} in the benchmark result")
        node = node[key]
    return node


def trained_path(recipe: dict) -> Path:
    """Where the recipe's steps leave the model: the build folder, the repository (a preset trained
    before this builder existed) or a benchmark's folder in the cnnkit cache."""
    trained = recipe["trained"]
    if trained.startswith(BUILD):
        return Path(_fill(trained))
    if trained.startswith("apps/"):
        return ROOT / trained
    return shared_data.cache_dir() / trained


def benchmark_result(name: str, recipe: dict) -> dict:
    """The benchmark record the preset's figures come from (written from the CLI's metrics when the
    step is a ``cnnkit`` command rather than a benchmark)."""
    path = RESULTS / f"{recipe['result']}.json"
    if "result_from" in recipe:
        from shared.benchmarking import write_result

        metrics = json.loads(Path(_fill(recipe["result_from"])).read_text())
        metrics.pop("history", None)
        write_result(recipe["result"], metrics=metrics, references=recipe["references"],
                     command=" && ".join(recipe["steps"]).replace(str(build_folder()), BUILD),
                     notes=f"Training run of preset {name}: {recipe['description']}.")
    return json.loads(path.read_text())


def presets_folder(app: str) -> Path:
    """The ``presets`` folder of ``app`` (image, video, text, dta, go) in the repository."""
    return ROOT / APPS[app].replace(".", "/") / "presets"


def _scored_record(name: str, recipe: dict, model) -> dict:
    """The metadata that a preset and an ensemble preset share: what the recipe says, and ``model``'s
    (a list for an ensemble) test metrics and examples beside the benchmark's figures."""
    import keras

    package = importlib.import_module(f"{APPS[recipe['app']]}.presets")
    start = time.perf_counter()
    metrics = package.score(model, recipe["dataset"]["name"])
    examples = package.pick_examples(model, recipe["dataset"]["name"])
    result = benchmark_result(name, recipe)
    return {
        "name": name, "app": recipe["app"], "task": recipe["task"], "module": recipe["module"],
        "description": recipe["description"], "input": recipe["input"], "output": recipe["output"],
        "dataset": recipe["dataset"],
        "metrics": metrics,
        "benchmark_metrics": {key: _lookup(result, path) for key, path in recipe["benchmark_metrics"].items()},
        "references": recipe["references"],
        "result": f"benchmarks/results/{recipe['result']}.json",
        "command": _rebuild_commands(name, recipe),
        "steps": recipe["steps"],
        "examples": examples,
        **({"spread_scale": round(float(_lookup(result, recipe["spread_scale"])), 4)}
           if "spread_scale" in recipe else {}),
        "packed": {"commit": git_commit(), "machine": machine(), "backend": keras.backend.backend(),
                   "scoring_seconds": round(time.perf_counter() - start, 1)},
    }


def pack(name: str) -> Path:
    """Pack the trained model of recipe ``name`` into its app's presets folder (an ensemble: its
    metadata, :func:`pack_ensemble`); returns the metadata path."""
    import keras

    recipe = all_recipes()[name]
    if recipe.get("members"):
        return pack_ensemble(name)
    importlib.import_module(recipe["module"])
    source = trained_path(recipe)
    if not source.is_file():
        raise FileNotFoundError(f"{source}: not trained yet; run python -m benchmarks.presets build {name}")
    folder = presets_folder(recipe["app"])
    target = folder / f"{name}.keras"
    pack_keras_file(source, target)
    float16 = target.stat().st_size > MAX_PLAIN_BYTES
    if float16:
        pack_keras_file(source, target, float16=True)
    model = keras.saving.load_model(target, compile=False)
    record = {**_scored_record(name, recipe, model), "file": target.name,
              "weights_dtype": "float16 (cast to float32 when loaded)" if float16 else "float32",
              "parameters": int(model.count_params()),
              **_kept_record(recipe, folder / f"{name}.json")}
    return write_metadata(record, folder)


def pack_ensemble(name: str) -> Path:
    """Write the metadata of ensemble recipe ``name``: its packed member presets scored together on
    the test split (their mean), and the spread factor its benchmark fitted."""
    from shared.presets import load_preset, preset_metadata

    recipe = all_recipes()[name]
    importlib.import_module(recipe["module"])
    models = [load_preset(member) for member in recipe["members"]]
    dtypes = {preset_metadata(member)["weights_dtype"] for member in recipe["members"]}
    record = {**_scored_record(name, recipe, models), "members": recipe["members"],
              "weights_dtype": dtypes.pop() if len(dtypes) == 1 else "mixed",
              "parameters": int(sum(model.count_params() for model in models))}
    return write_metadata(record, presets_folder(recipe["app"]))


def _rebuild_commands(name: str, recipe: dict) -> list:
    """``build NAME`` for a recipe whose steps write the model the packer reads; for a preset trained
    before this builder (its ``trained`` file is the shipped one), its recorded steps, then ``pack``."""
    if recipe.get("trained", "").startswith("apps/"):
        return [*recipe["steps"], f"python -m benchmarks.presets pack {name}"]
    return [f"python -m benchmarks.presets build {name}"]


def _kept_record(recipe: dict, path: Path) -> dict:
    """``{key: record}`` for a recipe with ``keep_record_as``: the training record an older preset
    shipped as its ``NAME.json`` (or the one a previous packing already kept under ``key``)."""
    key = recipe.get("keep_record_as")
    if not key or not path.exists():
        return {}
    previous = json.loads(path.read_text(encoding="utf-8"))
    return {key: previous.get(key, previous)}


def build(name: str) -> Path:
    recipes = all_recipes()
    for member in recipes[name].get("members", []):
        if not (presets_folder(recipes[member]["app"]) / f"{member}.json").is_file():
            build(member)
    for step in recipes[name]["steps"]:
        print(f"$ {step}", flush=True)
        subprocess.run(shlex.split(_fill(step)), check=True, cwd=ROOT)
    return pack(name)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.presets", description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("list", "build", "pack"))
    parser.add_argument("names", nargs="*", help="recipes (default: all)")
    args = parser.parse_args(argv)
    recipes = all_recipes()
    names = args.names or list(recipes)
    unknown = [n for n in names if n not in recipes]
    if unknown:
        parser.error(f"unknown recipe(s) {', '.join(unknown)}; recipes: {', '.join(recipes)}")
    width = max(map(len, names))
    for name in names:
        if args.action == "list":
            state = (f"ensemble of {', '.join(recipes[name]['members'])}" if recipes[name].get("members")
                     else "trained" if trained_path(recipes[name]).is_file() else "not trained")
            print(f"{name:{width}} {recipes[name]['app']:6} {state}")
            continue
        path = build(name) if args.action == "build" else pack(name)
        record = json.loads(path.read_text())
        print(f"{name}: {record['file_bytes'] / 1e6:.1f} MB ({record['weights_dtype']}), metrics {record['metrics']}, "
              f"benchmark {record['benchmark_metrics']} -> {path.relative_to(ROOT)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
