"""``make demo``: a short end-to-end tour of all five applications on real data.

Each application's ``demo.run(fast)`` trains or runs a small job and returns one summary
row; this prints them as a table. ``--fast`` (or ``CNNKIT_FAST=1``) shrinks every job.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
import traceback

from shared.cli import emit_json

APPS = ["image_recognition", "video_analysis", "text_classification", "drug_target", "go_policy"]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m apps.demo", description=__doc__)
    parser.add_argument("--fast", action="store_true", help="tiny slices and epochs")
    parser.add_argument("--only", nargs="*", choices=APPS, help="run only these applications")
    parser.add_argument("--json", action="store_true", help="print the rows as one JSON line at the end")
    args = parser.parse_args(argv)
    fast = args.fast or os.environ.get("CNNKIT_FAST") == "1"
    rows, failures = [], 0
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
    header = f"{'app':<20} {'task':<34} {'data':<22} {'metric':<18} {'value':>10} {'seconds':>8}"
    print(header)
    print("-" * len(header))
    for row in rows:
        value = row["value"]
        value = f"{value:.4f}" if isinstance(value, float) else str(value)
        print(f"{row['app']:<20} {row['task'][:34]:<34} {row['data'][:22]:<22} {row['metric'][:18]:<18} "
              f"{value:>10} {row['seconds']:>8.1f}")
    if args.json:
        emit_json({"rows": rows})
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
