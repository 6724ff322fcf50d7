"""One command-line skeleton for every ``cnnkit <app>``: parse, dispatch, print, map errors.

Each application's ``cli.py`` builds an ``argparse`` parser with one sub-command per job and
defines a ``cmd_<name>(args) -> dict | None`` function for each (``cmd_build_index`` for
``build-index``). :func:`run` does the rest, the same way in every app:

- it seeds Python, NumPy and Keras from ``--seed``;
- it calls the command and times it; the result gets a ``seconds`` entry;
- it prints the result's scalar entries as a two-column table, or with ``--json`` the whole
  result as one JSON object on the last line of standard output. A sub-command whose standard
  output is itself the product (a GTP session, CSV on stdout) sets ``summary=False`` with
  ``set_defaults`` and prints nothing more;
- bad input (``ValueError``, a missing file or data set) prints one line ``error: ...`` and
  exits with 2; ``--debug`` shows the traceback too;
- Ctrl-C prints ``interrupted; run the same command again to resume from epoch N`` (when a
  training run had N-1 epochs in its checkpoint; otherwise that the command starts over), with no
  traceback, and exits with 130;
- a command whose training kept checkpoints gets a ``resumed_from_epoch`` entry: the epoch it
  resumed from, or None when it started fresh (``shared.training.fit`` also says so on
  standard error);
- a command with ``--precision`` (:func:`add_precision_argument`) runs under that Keras dtype
  policy (:func:`apply_precision`; the previous policy is restored afterwards), finds the policy
  chosen in ``args.precision`` (``auto`` resolved) and gets a ``precision`` entry, so that every
  training result says how it was computed.

Inference commands that read many inputs show their progress with :func:`progress_bar`.

This module imports nothing heavy, so ``cnnkit <app> --help`` starts at once.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
import traceback
from collections.abc import Callable, Mapping
from types import ModuleType

import numpy as np

EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130


def fast_mode() -> bool:
    """True when ``CNNKIT_FAST`` is set to anything but ``""`` or ``"0"`` (tests, smoke runs)."""
    return os.environ.get("CNNKIT_FAST", "") not in ("", "0")


def add_common_arguments(parser: argparse.ArgumentParser, out_default: str | None = None) -> None:
    """Add ``--seed``, ``--out``, ``--json`` and ``--debug`` (every command has them)."""
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument("--out", default=out_default, help="output folder or file")
    parser.add_argument(
        "--json", action="store_true",
        help="print the result as one JSON object on the last line of output",
    )
    parser.add_argument("--debug", action="store_true", help="show the Python traceback of an error")


def add_fresh_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--fresh``: a training command ignores (and replaces) the checkpoints of an earlier run."""
    parser.add_argument("--fresh", action="store_true",
                        help="ignore checkpoints from an earlier run and start over (default: resume from them)")


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1 (a batch size, a count)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return value


def positive_float(text: str) -> float:
    """An argparse type: a finite number above 0 (a scale, a rate)."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"expected a finite number above 0, got {text!r}")
    return value


PRECISIONS = ("auto", "float32", "mixed_bfloat16")


def add_precision_argument(parser: argparse.ArgumentParser, mixed_precision_alias: bool = False,
                           default: str = "auto") -> None:
    """Add ``--precision auto|float32|mixed_bfloat16`` (every training command has it; a benchmark
    whose recorded runs trained in float32 keeps ``default="float32"``, so that they rerun as they ran).

    ``mixed_precision_alias`` also accepts ``--mixed-precision``, the flag some apps had before
    ``--precision``, as a deprecated spelling of ``--precision mixed_bfloat16``.
    """
    parser.add_argument(
        "--precision", choices=PRECISIONS, default=default,
        help="compute dtype while training: mixed_bfloat16 (bfloat16 compute, float32 weights), float32, or "
             "auto: mixed_bfloat16 on a GPU or a CPU with AMX or AVX512-BF16, float32 elsewhere "
             f"(default: {default}). "
             "The saved model computes in float32 either way; the result's 'precision' says which was used")
    if mixed_precision_alias:
        parser.add_argument("--mixed-precision", dest="precision", action="store_const", const="mixed_bfloat16",
                            help="deprecated: the same as --precision mixed_bfloat16")


def add_distribute_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--distribute mirrored|multi_worker|data_parallel`` (every training command has it)."""
    parser.add_argument(
        "--distribute", choices=("mirrored", "multi_worker", "data_parallel"), default=None,
        help="train on several devices or machines: mirrored (TensorFlow, the devices of this machine), "
             "multi_worker (TensorFlow, one process per machine, each with its TF_CONFIG; --out on storage they "
             "share, where only the chief writes), data_parallel (JAX, the devices of this process). "
             "See docs/shared.md, 'Training on several machines'")


def start_distribution(args) -> None:
    """Apply ``args.distribute`` before anything else runs; a non-chief worker writes to a scratch ``--out``."""
    import tempfile

    from shared.training import is_chief, use_distribution, worker_info

    shared_out = own_out = None
    if args.distribute == "multi_worker" and not is_chief() and getattr(args, "out", None):
        shared_out = args.out
        own_out = args.out = tempfile.mkdtemp(prefix=f"cnnkit-worker{worker_info()[0]}-")
    use_distribution(args.distribute, shared_out=shared_out, own_out=own_out)


def _end_distribution() -> None:
    """Drop the default distribution; a non-chief worker's scratch ``--out`` is removed."""
    import shutil

    from shared.training import distribution_outputs, use_distribution

    outs = distribution_outputs()
    use_distribution(None)
    if outs is not None:
        shutil.rmtree(outs[0], ignore_errors=True)


def _has_gpu() -> bool:
    from shared.training import has_gpu

    return has_gpu()


def _cpu_has_bf16() -> bool:
    from shared.benchmarking import cpu_has_bf16

    return cpu_has_bf16()


def choose_precision(choice: str) -> str:
    """The Keras dtype policy that ``--precision choice`` means on this machine.

    ``auto`` is ``mixed_bfloat16`` where bfloat16 arithmetic is fast (a GPU, or a CPU with AMX
    or AVX512-BF16) and ``float32`` elsewhere, where bfloat16 would be emulated and slower.
    """
    if choice not in PRECISIONS:
        raise ValueError(f"The 'precision' parameter of choose_precision must be one of {', '.join(PRECISIONS)}; "
                         f"got {choice!r}.")
    if choice != "auto":
        return choice
    return "mixed_bfloat16" if _has_gpu() or _cpu_has_bf16() else "float32"


def apply_precision(choice: str) -> str:
    """Set Keras' global dtype policy for ``--precision choice`` (models built afterwards use it);
    return the policy set (``float32`` or ``mixed_bfloat16``)."""
    import keras

    policy = choose_precision(choice)
    keras.mixed_precision.set_global_policy(policy)
    return policy


def progress_bar(total: int | None = None, description: str = "", unit: str = "it"):
    """A tqdm progress bar on standard error, drawn only when standard error is a terminal (a log
    file or a pipe gets no bar lines); the bar is gone once closed."""
    from tqdm import tqdm

    return tqdm(total=total, desc=description, unit=unit, file=sys.stderr, leave=False,
                disable=not (hasattr(sys.stderr, "isatty") and sys.stderr.isatty()))


def seed_everything(seed: int, backend: bool = True) -> None:
    """Seed Python, NumPy and (``backend``) the Keras backend.

    Inference commands (``light``: see ``shared.runtime``) seed only Python and NumPy, so that
    they do not import Keras and its backend before they know whether they need them.
    """
    if not backend:
        import random

        random.seed(int(seed))
        np.random.seed(int(seed))
        return
    import keras

    keras.utils.set_random_seed(int(seed))


def plain(value):
    """``value`` with NumPy scalars and arrays, paths and non-finite floats made JSON-ready."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, np.ndarray):
        return plain(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    return value


def emit_json(result: dict, stream=None) -> None:
    """Print ``result`` as one JSON line (NumPy values converted, NaN -> null)."""
    stream = stream or sys.stdout
    stream.write(json.dumps(plain(result), sort_keys=True) + "\n")
    stream.flush()


def format_table(result: Mapping) -> str:
    """The scalar entries of ``result`` as ``name  value`` lines (lists and dicts left out)."""
    rows = []
    for key, value in plain(dict(result)).items():
        if isinstance(value, (dict, list)):
            continue
        if isinstance(value, float):
            value = f"{value:.4f}" if abs(value) < 1e4 else f"{value:.1f}"
        rows.append((str(key), "-" if value is None else str(value)))
    width = max((len(k) for k, _ in rows), default=0)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)


def fail(message: str, code: int = EXIT_BAD_INPUT) -> int:
    """Print ``error: message`` on standard error and return the exit status."""
    sys.stderr.write(f"error: {message}\n")
    sys.stderr.flush()
    return code


# Errors that mean the user's input was wrong, not the program: one line, exit 2.
BAD_INPUT_ERRORS = (ValueError, FileNotFoundError, NotADirectoryError, IsADirectoryError, PermissionError)


def _command_function(commands, name: str) -> Callable:
    attribute = "cmd_" + name.replace("-", "_")
    if isinstance(commands, ModuleType):
        return getattr(commands, attribute)
    return commands[name] if name in commands else commands[attribute]


def _training_progress():
    """``shared.callbacks``, where training runs record their progress, once something imported it.

    Looked up rather than imported: it imports Keras, which a command that trains nothing (or
    Ctrl-C during start-up) should not wait for.
    """
    return sys.modules.get("shared.callbacks")


def _global_policy() -> str:
    import keras

    return keras.mixed_precision.global_policy().name


def interrupted_message() -> str:
    """What Ctrl-C prints: the epoch the same command resumes from, or that it starts over."""
    progress = _training_progress()
    epochs = progress.completed_epochs() if progress else None
    if epochs:
        return f"interrupted; run the same command again to resume from epoch {epochs + 1}"
    unsaved = progress.unsaved_epochs() if progress else None
    if unsaved:
        return (f"interrupted after {unsaved} finished epoch(s) without checkpoints; "
                "the same command starts over")
    return "interrupted; run the same command again to start over"


def end_interrupted_program(code: int) -> int:
    """Return ``code``, except after Ctrl-C in a program run from the shell: flush the output and
    end the process at once. TensorFlow's input threads may still be calling into Python while
    the interpreter shuts down, and would print errors after the resume message. Every file the
    training writes (checkpoints, the CSV log) is already complete at that point."""
    if code != EXIT_INTERRUPTED:
        return code
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def run(parser: argparse.ArgumentParser, commands: ModuleType | Mapping[str, Callable], argv=None,
        setup: Callable | None = None) -> int:
    """Parse ``argv``, run ``cmd_<command>(args)`` from ``commands`` and print its result.

    ``commands`` is the app's ``cli`` module (its ``cmd_*`` functions) or a mapping from command
    names to functions. ``setup(args)``, when given, runs after parsing (logging, for example).
    """
    argv_given = argv is not None
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    if getattr(args, "command", None) is None:
        parser.print_help()
        return EXIT_OK
    debug = getattr(args, "debug", False)
    start = time.perf_counter()
    progress = _training_progress()
    if progress:
        progress.reset_progress()
    previous_policy = None
    try:
        if setup is not None:
            setup(args)
        if getattr(args, "distribute", None) is not None:  # before TensorFlow runs anything
            start_distribution(args)
        if getattr(args, "precision", None) is not None:
            previous_policy = _global_policy()
            args.precision = apply_precision(args.precision)
        if getattr(args, "seed", None) is not None:
            seed_everything(args.seed, backend=not getattr(args, "light", False))
        result = _command_function(commands, args.command)(args)
    except KeyboardInterrupt:
        if debug:
            traceback.print_exc()
        sys.stderr.write(interrupted_message() + "\n")
        # A program run from the shell (no argv given) ends at once; a call from Python returns.
        return EXIT_INTERRUPTED if argv_given else end_interrupted_program(EXIT_INTERRUPTED)
    except BAD_INPUT_ERRORS as error:
        if debug:
            traceback.print_exc()
        message = str(error) or type(error).__name__
        if isinstance(error, OSError) and error.filename and str(error.filename) not in message:
            message = f"{error.filename}: {message}"
        return fail(message)
    finally:
        if getattr(args, "distribute", None) is not None:
            _end_distribution()
        if previous_policy is not None:  # the policy holds for this command only
            import keras

            keras.mixed_precision.set_global_policy(previous_policy)
    if isinstance(result, int) and not isinstance(result, bool):
        return result
    if result is None:
        return EXIT_OK
    result = dict(result)
    result.setdefault("seconds", round(time.perf_counter() - start, 2))
    if previous_policy is not None:
        result.setdefault("precision", args.precision)
    progress = _training_progress()  # training may have imported shared.callbacks since the start
    if progress and progress.checkpointed():
        result.setdefault("resumed_from_epoch", progress.resumed_from_epoch())
    if getattr(args, "json", False):
        emit_json(result)
    elif getattr(args, "summary", True):
        table = format_table(result)
        if table:
            print(table, flush=True)
    return EXIT_OK
