"""The shipped policy networks: ``NAME.keras`` with its record ``NAME.json`` beside it.

The record holds the command that trained the preset, its network and its measured accuracy;
``DEFAULT_PRESET`` is the network the engine, ``evaluate`` and the demo use unless told otherwise.
"""

from __future__ import annotations

import json
from pathlib import Path

FOLDER = Path(__file__).resolve().parent
PRESETS = {path.stem: path for path in sorted(FOLDER.glob("*.keras"))}
DEFAULT_PRESET = FOLDER / "policy_large.keras"


def preset_path(name: str) -> Path:
    """The ``.keras`` file of preset ``name`` (``policy_small``, ``policy_medium``, ``policy_large``)."""
    if name not in PRESETS:
        raise ValueError(f"The 'name' parameter of preset_path must be one of {sorted(PRESETS)}; got {name!r}.")
    return PRESETS[name]


def preset_record(preset: Path | str = DEFAULT_PRESET) -> dict:
    """The ``.json`` record shipped beside a preset (a path or a preset name)."""
    path = preset_path(preset) if isinstance(preset, str) and preset in PRESETS else Path(preset)
    return json.loads(path.with_suffix(".json").read_text())
