"""Named DeepDTA configurations: the network per dataset and the settings its benchmark trains with.

DeepDTA (Öztürk et al. 2018) uses the same network everywhere and only changes the maximum
input lengths: 85 SMILES characters / 1,200 residues on Davis, 100 / 1,000 on KIBA. Every
other dataset (Human, the BindingDB sample, a user's CSV) gets the KIBA lengths.
No weights are shipped: ``cnnkit dta train`` writes the model.
"""

from __future__ import annotations

import copy

# The DeepDTA network (build_deepdta's keyword arguments) without the input lengths.
DEEPDTA = {
    "embed_dim": 128,
    "filters": (32, 64, 96),
    "smiles_kernels": (4, 6, 8),
    "protein_kernels": (4, 8, 12),
    "hidden_units": (1024, 1024, 512),
    "dropout": 0.1,
}

PRESETS = {
    "davis": {
        "description": "DeepDTA on Davis kinase affinities (pKd), setting 1",
        "task": "affinity",
        "target_unit": "pKd",
        "config": {"smiles_length": 85, "protein_length": 1200, **DEEPDTA},
        "benchmark": {"epochs": 100, "batch_pairs": 512, "learning_rate": 1e-3},
    },
    "kiba": {
        "description": "DeepDTA on KIBA kinase scores, setting 1",
        "task": "affinity",
        "target_unit": "KIBA score",
        "config": {"smiles_length": 100, "protein_length": 1000, **DEEPDTA},
        "benchmark": {"epochs": 100, "batch_pairs": 512, "learning_rate": 1e-3},
    },
    "human": {
        "description": "DeepDTA encoders with a sigmoid head on Human interactions (DrugBAN's splits)",
        "task": "interaction",
        "target_unit": None,
        "config": {"smiles_length": 100, "protein_length": 1000, **DEEPDTA},
        "benchmark": {"epochs": 100, "batch_pairs": 128, "learning_rate": 1e-3},
    },
}

# Any other data: the KIBA lengths, the target unit unknown.
DEFAULT_PRESET = {
    "description": "DeepDTA with the KIBA input lengths",
    "task": None,
    "target_unit": None,
    "config": {"smiles_length": 100, "protein_length": 1000, **DEEPDTA},
}


def preset_record(name: str) -> dict:
    """The preset of dataset ``name`` (a copy), or the default one for any other data."""
    return copy.deepcopy(PRESETS.get(name, DEFAULT_PRESET))


def preset_config(name: str) -> dict:
    """``build_deepdta`` keyword arguments (without the task) for dataset ``name``."""
    return preset_record(name)["config"]


def max_lengths_for(name: str) -> tuple[int, int]:
    """DeepDTA's (SMILES, protein) maximum lengths for dataset ``name``; 100/1000 otherwise."""
    config = preset_config(name)
    return config["smiles_length"], config["protein_length"]
