"""Average Go policy networks fine-tuned from one preset into one network (a model soup).

    CNNKIT_DATA=../shared/data python -m benchmarks.go_soup \
        --models apps/go_policy/presets/policy_large.keras runs/policy_large_c5/policy.keras \
                 runs/policy_large_distilled/policy.keras runs/policy_large_full2/policy.keras \
        --out runs/policy_large_soup
    CNNKIT_DATA=../shared/data python -m benchmarks.go_compare --models apps/go_policy/presets/policy_large.keras \
        runs/policy_large_soup/policy.keras --sgf ../shared/data/go/cwi_pro/cwi_pro_19x19_part12.tar.gz \
        --skip-games 200 --games 200 --name go_soup_trial/compare

The first model is the parent (usually the shipped preset); the others are runs that started
from it (``cnnkit go train --init-model``, ``go_distill``). Networks reading more input planes
than the parent are fine: every network is extended to the largest plane set first
(``apps.go_policy.model.soup``). ``OUT/policy.keras`` and ``OUT/summary.json`` have the layout of
a training run, so ``go_preset`` packages the soup; the summary lists each ingredient with the
command, data and minutes of its run (from the ``summary.json`` beside it), and counts their
training time and positions as this run's, since the soup cost that much compute beyond the parent.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from benchmarks.go_common import argument_parser
from shared.benchmarking import repo_relative, script_command


def ingredient_record(path: Path) -> dict:
    """What is known of how one ingredient was trained: its run's summary, or its preset record."""
    for record_file in (path.parent / "summary.json", path.with_suffix(".json")):
        if record_file.is_file():
            record = json.loads(record_file.read_text())
            record = record.get("training", record)  # a packed preset's metadata holds its training record there
            kept = ("command", "init_model", "features", "skip_games", "learning_rate", "ema_momentum",
                    "train_seconds", "train_positions_seen_this_run", "train_positions_per_s", "games",
                    "distillation", "measured_accuracy_held_out")
            return {"model": repo_relative(path), "record": repo_relative(record_file),
                    **{key: record[key] for key in kept if key in record}}
    return {"model": repo_relative(path), "record": None}


def build_parser():
    parser = argument_parser(__doc__, __file__)
    parser.add_argument("--models", nargs="+", required=True,
                        help="two or more .keras policy networks; the first is the parent they were fine-tuned from")
    parser.add_argument("--coefficients", nargs="+", type=float, default=None,
                        help="one weight per model (default: uniform)")
    parser.add_argument("--out", required=True, help="folder for policy.keras and summary.json")
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if len(args.models) < 2:
        parser.error("--models needs two or more networks")
    if args.coefficients is not None and len(args.coefficients) != len(args.models):
        parser.error(f"--coefficients needs one weight per model ({len(args.models)}), got {len(args.coefficients)}")
    paths = [Path(model) for model in args.models]
    for path in paths:
        if not path.is_file():
            parser.error(f"--models: {path} does not exist")

    from apps.go_policy.model.soup import average_policy_networks
    from apps.go_policy.play.engine import load_policy

    start = time.perf_counter()
    soup = average_policy_networks([load_policy(path) for path in paths], args.coefficients)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    soup.save(out / "policy.keras")

    ingredients = [ingredient_record(path) for path in paths]
    children = ingredients[1:]
    summary = {
        "model": repo_relative(out / "policy.keras"), "features": list(soup.features), "planes": soup.num_planes,
        "depth": soup.depth, "filters": soup.filters, "parameters": int(soup.count_params()),
        "init_model": repo_relative(paths[0]),
        "soup": {"method": "mean of the weights (Wortsman et al. 2022, model soups); networks extended to the "
                           "largest plane set first",
                 "coefficients": args.coefficients or [1.0] * len(paths), "ingredients": ingredients,
                 "seconds": round(time.perf_counter() - start, 1)},
        # the compute the soup took beyond its parent: the fine-tunes it averages
        "train_seconds": round(sum(child.get("train_seconds", 0.0) for child in children), 1),
        "train_positions_seen_this_run": int(sum(child.get("train_positions_seen_this_run", 0) for child in children)),
        "train_positions_per_s": None,
        "command": script_command(__file__, argv),
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=1))
    print(json.dumps({"model": summary["model"], "features": summary["features"], "planes": summary["planes"],
                      "ingredients": [ingredient["model"] for ingredient in ingredients]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
