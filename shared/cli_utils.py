"""Conventions shared by every ``cnnkit <app>`` command line."""

from __future__ import annotations

import argparse
import json
import math
import os
import sys

import numpy as np


def add_common_arguments(parser: argparse.ArgumentParser, out_default: str | None = None) -> None:
    """Add ``--seed``, ``--out`` and ``--json`` (every command has them)."""
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument("--out", default=out_default, help="output folder or file")
    parser.add_argument(
        "--json", action="store_true",
        help="print the metrics as one JSON object on the last line of output",
    )


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and the Keras backend."""
    import keras

    keras.utils.set_random_seed(int(seed))


def _plain(value):
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    return value


def emit_json(metrics: dict, stream=None) -> None:
    """Print ``metrics`` as one JSON line (NumPy values converted, NaN -> null)."""
    stream = stream or sys.stdout
    stream.write(json.dumps(_plain(metrics), sort_keys=True) + "\n")
    stream.flush()


def fail(message: str, code: int = 2) -> int:
    """Print an error for a command line user and return the exit status."""
    sys.stderr.write(f"error: {message}\n")
    return code
