"""The shipped shot-boundary detector weights (``NAME.keras`` in this folder).

``DEFAULT_PRESET`` is the detector ``ShotDetector()``, ``cnnkit video shots`` and the default
frame embedder use unless given other weights.
"""

from __future__ import annotations

from pathlib import Path

FOLDER = Path(__file__).resolve().parent
PRESETS = {
    "shot_detector": {
        "description": "TransNet-style shot-boundary CNN on 48x27 frames: per-frame none / hard_cut / "
                       "dissolve / fade / wipe",
        "file": "shot_detector.keras",
        "trained_with": "cnnkit video train-shots --videos 160 --epochs 12 --seed 0",
    },
}
DEFAULT_PRESET = "shot_detector"


def preset_path(name: str = DEFAULT_PRESET) -> Path:
    """The ``.keras`` file of preset ``name``."""
    if name not in PRESETS:
        raise ValueError(f"The 'name' parameter of preset_path must be one of {sorted(PRESETS)}; got {name!r}.")
    return FOLDER / PRESETS[name]["file"]
