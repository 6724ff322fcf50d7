"""``make demo``: a short end-to-end tour of all five applications on real data.

Each application's ``demo.run(fast)`` trains or runs a small job and returns one summary
row; this prints them as a table, then loads every shipped preset by name and checks that it
predicts the real examples its metadata records (``cnnkit presets --check``). ``--fast`` (or
``CNNKIT_FAST=1``) shrinks every job; ``--record`` also writes the rows to
``benchmarks/results/demo.json`` (the README's table).
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
import traceback

from shared.cli import emit_json, fast_mode

APPS = ["image_recognition", "video_analysis", "text_classification", "drug_target", "go_policy"]
COLUMNS = (("app", 20), ("task", 34), ("data", 22), ("metric", 18))


def format_rows(rows) -> str:
    """The demo's summary table: one line per application."""
    header = " ".join(f"{name:<{width}}" for name, width in COLUMNS) + f" {'value':>10} {'seconds':>8}"
    lines = [header, "-" * len(header)]
    for row in rows:
        value = row["value"]
        value = f"{value:.4f}" if isinstance(value, float) else str(value)
        cells = " ".join(f"{str(row[name])[:width]:<{width}}" for name, width in COLUMNS)
        lines.append(f"{cells} {value:>10} {row['seconds']:>8.1f}")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m apps.demo", description=__doc__)
    parser.add_argument("--fast", action="store_true", help="tiny slices and epochs")
    parser.add_argument("--only", nargs="*", choices=APPS, help="run only these applications")
    parser.add_argument("--json", action="store_true", help="print the rows as one JSON line at the end")
    parser.add_argument("--record", action="store_true", help="write benchmarks/results/demo.json and .md")
    args = parser.parse_args(argv)
    fast = args.fast or fast_mode()
    rows, failures = [], 0
    start_all = time.perf_counter()
    for name in args.only or APPS:
        print(f"== {name} ==", flush=True)
        start = time.perf_counter()
        try:
            row = importlib.import_module(f"apps.{name}.demo").run(fast=fast)
        except Exception as error:  # noqa: BLE001 - report every app, then fail
            traceback.print_exc()
            failures += 1
            row = {"app": name, "task": "-", "data": "-", "metric": "error", "value": str(error)[:60]}
        row.setdefault("seconds", time.perf_counter() - start)
        rows.append(row)
    print()
    print(format_rows(rows))
    if not args.only:
        from apps.presets_cli import main as presets_main

        print("\n== presets: loaded by name, recorded examples re-predicted ==", flush=True)
        failures += presets_main(["--check"]) != 0
    if args.record and not failures:
        from shared.benchmarking import write_result

        write_result("demo", {row["app"]: {row["metric"]: row["value"]} for row in rows},
                     wall_time_s=time.perf_counter() - start_all,
                     command="python -m apps.demo --record" + (" --fast" if fast else ""),
                     extra={"rows": rows, "fast": fast})
    if args.json:
        emit_json({"rows": rows})
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
