"""Record a finished ``benchmarks/go_gpu_preset.sh`` run as ``benchmarks/results/go_gpu_preset``.

    python -m benchmarks.go_gpu_record --results runs/go_gpu --machine "one NVIDIA H200, 16 CPU cores" \
        --command "GAMES=1500 DEADLINE_S=470 bash benchmarks/go_gpu_preset.sh"

The GPU machine has no copy of this repository's history, so the run's output folder
(``train.json``, ``evaluate.json``, ``encode.json``, ``steps.log`` and ``gpu.csv`` from
``nvidia-smi``) is brought back and recorded here, with the backend and machine it ran on.
"""

from __future__ import annotations

import csv
import json
import re
import sys
from pathlib import Path

from benchmarks.go_common import PUBLISHED_TOP1, argument_parser


def last_json_line(path: Path) -> dict:
    """The JSON object on the last non-empty line of a ``--json`` command's output."""
    lines = [line for line in path.read_text().splitlines() if line.strip()]
    if not lines:
        raise SystemExit(f"{path} is empty: did that step of the run fail? (see the .err file beside it)")
    return json.loads(lines[-1])


def portable(command: str) -> str:
    """The training command with the machine's own paths replaced by the script's variables."""
    command = re.sub(r"\S*/go/cwi_pro/", "$CNNKIT_DATA/go/cwi_pro/", command)
    return re.sub(r"--out \S+", "--out $RESULTS/run", command)


def gpu_utilisation(path: Path) -> float | None:
    """Mean GPU utilisation (%) over the samples taken while the GPU held memory (the training)."""
    if not path.is_file():
        return None
    values = []
    with path.open() as handle:
        for row in csv.DictReader(handle, skipinitialspace=True):
            used = float(row["memory.used [MiB]"].split()[0])
            if used > 10_000:
                values.append(float(row["utilization.gpu [%]"].split()[0]))
    return round(sum(values) / len(values), 1) if values else None


def build_parser():
    parser = argument_parser(__doc__, __file__)
    parser.add_argument("--results", required=True, help="the RESULTS folder of go_gpu_preset.sh")
    parser.add_argument("--machine", required=True, help="the machine the run had, in words")
    parser.add_argument("--backend", default="jax")
    parser.add_argument("--python", default="3.12", help="the Python version of the GPU machine")
    parser.add_argument("--command", required=True, help="the command line that ran go_gpu_preset.sh")
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)

    from shared.benchmarking import write_result

    results = Path(args.results)
    train = last_json_line(results / "train.json")
    heldout = last_json_line(results / "evaluate.json")
    steps = (results / "steps.log").read_text()
    finished = re.findall(r"^\[(\d+) s\] done", steps, flags=re.M)
    metrics = {
        "heldout_top1": heldout["top1"], "heldout_top5": heldout["top5"], "heldout_positions": heldout["positions"],
        "heldout_by_phase": {phase: {"top1": v["top1"], "top5": v["top5"]} for phase, v in heldout["by_phase"].items()},
        "test_split_top1": train["test"]["top1"], "test_split_top5": train["test"]["top5"],
        "parameters": train["parameters"], "depth": train["depth"], "filters": train["filters"],
        "planes": train["planes"], "train_positions": train["positions"]["train"],
        "train_games": train["games"]["train"], "games_skipped": train["dataset"]["games_skipped"],
        "train_seconds": train["train_seconds"], "epochs_run": train["epochs_run"],
        "train_positions_seen": train["train_positions_seen_this_run"],
        "train_positions_per_s": train["train_positions_per_s"],
        "encode_positions_per_s": train["encode_positions_per_s"],
        "heldout_predict_positions_per_s": heldout["predict_positions_per_s"],
        "gpu_utilisation_percent_while_training": gpu_utilisation(results / "gpu.csv"),
    }
    references = {
        "heldout_top1": PUBLISHED_TOP1,
        "test_split_top1": "0.444 (Clark & Storkey 2015)",
    }
    notes = (
        "Held-out = the first 200 games of cwi_pro_19x19_part12 (never trained on), every non-pass move, raw "
        "network output. Test split = 20,000 positions of the 5% of games of shards 1-11 held out by game hash. "
        f"The training ran for {train['train_seconds']} s ({train['epochs_run']} epochs of "
        f"{train['train_positions_seen_this_run'] // max(train['epochs_run'], 1)} positions), the time the script's "
        "DEADLINE_S left after the backend check and the encoding. Skipped games are counted by reason in "
        "train.json's dataset report."
    )
    write_result("go_gpu_preset", metrics, references, command=args.command,
                 wall_time_s=float(finished[-1]) if finished else None, notes=notes,
                 extra={"machine": args.machine, "backend": args.backend,
                        "python": args.python, "training_command": portable(train.get("command", ""))})
    return 0


if __name__ == "__main__":
    sys.exit(main())
