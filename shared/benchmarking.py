"""Write benchmark results: JSON plus a short markdown table, with provenance."""

from __future__ import annotations

import json
import os
import platform
import shlex
import subprocess
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent.parent / "benchmarks" / "results"


def spread(values) -> dict:
    """``{"median", "min", "max"}`` of some numbers: how benchmarks report interleaved rounds."""
    import statistics

    values = [float(v) for v in values]
    if not values:
        raise ValueError("spread() needs at least one value")
    return {"median": float(statistics.median(values)), "min": min(values), "max": max(values)}


def chosen(option: str, text: str, known) -> list:
    """The comma-separated names in ``text`` (a benchmark's ``option``), each one of ``known``."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in known]
    if unknown or not names:
        raise SystemExit(f"{option}: unknown {unknown}; choose from {', '.join(known)}")
    return names


def counted_rounds(rounds: int | None, quick: bool) -> int:
    """A benchmark's ``--rounds``: 5 by default, 2 with ``--quick``, at least 1."""
    rounds = rounds or (2 if quick else 5)
    if rounds < 1:
        raise SystemExit("--rounds must be at least 1")
    return rounds


def repo_relative(path) -> str:
    """``path`` relative to the repository when it is inside it: records carry no machine paths."""
    path = Path(path).resolve()
    root = RESULTS.parent.parent
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


def script_command(script=None, argv=None) -> str:
    """How to re-run a benchmark, for its record: ``python -m benchmarks.<name> <arguments>``.

    ``script`` is the benchmark's file (default: the running ``__main__``); a file outside
    ``benchmarks/`` is recorded as ``python <path relative to the repository>``.
    """
    arguments = sys.argv[1:] if argv is None else argv
    path = Path(script or sys.argv[0]).resolve()
    relative = Path(repo_relative(path))
    if relative.parts[:1] == ("benchmarks",) and relative.suffix == ".py":
        head = ["-m", ".".join(relative.with_suffix("").parts)]
    else:
        head = [str(relative)]
    return "python " + " ".join(_portable(part) for part in [*head, *arguments])


def _portable(argument: str) -> str:
    """A shell-quoted argument, with the cnnkit cache folder written as ``$CNNKIT_CACHE``."""
    from shared.data import cache_dir

    cache = str(cache_dir())
    if argument == cache or argument.startswith(cache + "/"):
        return "$CNNKIT_CACHE" + shlex.quote(argument[len(cache):]) if argument != cache else "$CNNKIT_CACHE"
    return shlex.quote(argument)


def git_commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True,
            cwd=Path(__file__).resolve().parent.parent,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _cpuinfo() -> str:
    """/proc/cpuinfo's text, or "" where there is none (macOS, Windows)."""
    try:
        return Path("/proc/cpuinfo").read_text()
    except OSError:
        return ""


def cpu_has_bf16() -> bool:
    """Whether this CPU has bfloat16 matrix units (AMX or AVX512-BF16): mixed bfloat16 pays off there."""
    flags = _cpuinfo()
    return "amx_bf16" in flags or "avx512_bf16" in flags


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (e.g. "AMD EPYC"): 2-core machines of different
    makes differ two- to five-fold in convolution speed, so results must say which ran them."""
    for line in _cpuinfo().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def gpu_model() -> str | None:
    """The NVIDIA GPUs' names as ``nvidia-smi`` lists them ("NVIDIA H100 80GB HBM3"), None without
    one (no ``nvidia-smi``, or it fails): a record made on a GPU must say which."""
    import shutil

    executable = shutil.which("nvidia-smi")
    if executable is None or os.environ.get("CUDA_VISIBLE_DEVICES") in ("", "-1"):
        return None
    try:
        done = subprocess.run([executable, "--query-gpu=name", "--format=csv,noheader"], capture_output=True,
                              text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return None
    names = [line.strip() for line in done.stdout.splitlines() if line.strip()]
    return ", ".join(names) if done.returncode == 0 and names else None


def machine() -> str:
    cpu, gpu = cpu_model(), gpu_model()
    cores = f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPU cores ({cpu})"
    return f"{cores}, GPU: {gpu}" if gpu else f"{cores}, no GPU"


def write_result(name: str, metrics: dict, references: dict | None = None, command: str | None = None,
                 wall_time_s: float | None = None, notes: str = "", extra: dict | None = None) -> Path:
    """Write ``benchmarks/results/<name>.json`` and ``<name>.md``.

    ``metrics`` holds measured values; ``references`` the published values under the same
    keys (missing keys show as '-'). Returns the JSON path.
    """
    import keras

    RESULTS.mkdir(parents=True, exist_ok=True)
    record = {
        "name": name,
        "command": command or script_command(),
        "commit": git_commit(),
        "machine": machine(),
        "backend": keras.backend.backend(),
        "python": platform.python_version(),
        "keras": keras.__version__,
        "date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        "wall_time_s": None if wall_time_s is None else round(float(wall_time_s), 2),
        "metrics": metrics,
        "references": references or {},
        "notes": notes,
    }
    if extra:
        record.update(extra)
    return _save(record)


def update_result(name: str, updates: dict, note: str, wall_time_s: float | None = None) -> Path:
    """Merge ``updates`` into an existing result (e.g. baselines run later) and rewrite its markdown.

    The original command, commit and date stay; the update's own command, commit, date and
    ``note`` are appended to ``record["updates"]`` and to the notes, so both runs can be re-run.
    """
    json_path = RESULTS / f"{name}.json"
    if not json_path.exists():
        raise FileNotFoundError(f"{json_path} does not exist; run the benchmark that writes {name!r} first.")
    record = json.loads(json_path.read_text())
    record.update(updates)
    command = script_command()
    stamp = {"command": command, "commit": git_commit(), "date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
             "wall_time_s": None if wall_time_s is None else round(float(wall_time_s), 2), "note": note}
    record.setdefault("updates", []).append(stamp)
    record["notes"] = (record.get("notes") or "") + f" Update (`{command}`, commit {stamp['commit']}): {note}"
    return _save(record)


def _save(record: dict) -> Path:
    from shared.cli import plain as _plain

    name = record["name"]
    json_path = RESULTS / f"{name}.json"
    json_path.write_text(json.dumps(_plain(record), indent=2, sort_keys=False) + "\n")
    lines = [
        f"# {name}", "",
        f"- command: `{record['command']}`",
        f"- commit: {record['commit']}, date: {record['date']}",
        f"- machine: {record['machine']}, backend: {record['backend']} (Keras {record['keras']})",
        f"- wall time: {record['wall_time_s']} s",
    ]
    for stamp in record.get("updates", []):
        lines.append(f"- updated by: `{stamp['command']}` (commit {stamp['commit']}, {stamp['date']}, "
                     f"wall time {stamp['wall_time_s']} s)")
    lines += ["", "| metric | measured | published reference |", "|---|---|---|"]
    metrics, references = record.get("metrics", {}), record.get("references") or {}
    for key, value in _flatten(metrics).items():
        reference = _flatten(references).get(key, "-")
        lines.append(f"| {key} | {_fmt(value)} | {_fmt(reference)} |")
    if record.get("comparison_table"):
        lines += ["", "```", *record["comparison_table"], "```"]
    if record.get("notes"):
        lines += ["", record["notes"]]
    (RESULTS / f"{name}.md").write_text("\n".join(lines) + "\n")
    return json_path


def _flatten(mapping, prefix=""):
    flat = {}
    for key, value in mapping.items():
        full = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, full + "."))
        else:
            flat[full] = value
    return flat


def _fmt(value):
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
