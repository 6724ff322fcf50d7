"""Named DeepDTA configurations, and the trained DeepDTA models the app ships.

DeepDTA (Öztürk et al. 2018) uses the same network everywhere and only changes the maximum
input lengths: 85 SMILES characters / 1,200 residues on Davis, 100 / 1,000 on KIBA. Every
other dataset (Human, the BindingDB sample, a user's CSV) gets the KIBA lengths
(:data:`PRESETS`, :func:`preset_config`).

Trained models ship as ``NAME.keras`` + ``NAME.json`` in this folder (built from :data:`RECIPES`
by ``python -m benchmarks.presets build NAME``): ``deepdta_davis``, ``deepdta_kiba``,
``deepdta_ecfp_davis``, ``deepdta_ecfp_kiba`` (each with its seeds ``_seed1``, ``_seed2``) and
``deepdta_human`` load by name wherever a model is taken; ``deepdta_ecfp_davis_ensemble`` and
``deepdta_ecfp_kiba_ensemble`` name the three seeds together (ensemble presets: their mean and
spread, :class:`predict.Ensemble`)::

    from apps.drug_target.model import load_model
    from apps.drug_target.predict import predict_frame

    model, task = load_model("deepdta_davis")
    predict_frame(model, pairs)                 # a DataFrame with columns smiles, sequence

    cnnkit dta predict --model deepdta_davis --pairs pairs.csv
    cnnkit dta predict --model deepdta_ecfp_kiba_ensemble --pairs pairs.csv    # with a spread column

:func:`score`, :func:`pick_examples` and :func:`predict_example` are the hooks ``benchmarks.presets``
packs a trained model with and ``cnnkit presets --check`` checks it with. This module imports
nothing heavy (the command line reads it for ``--help``).
"""

from __future__ import annotations

import copy
import functools

# The DeepDTA network (build_deepdta's keyword arguments) without the input lengths.
DEEPDTA = {
    "embed_dim": 128,
    "filters": (32, 64, 96),
    "smiles_kernels": (4, 6, 8),
    "protein_kernels": (4, 8, 12),
    "hidden_units": (1024, 1024, 512),
    "dropout": 0.1,
}

# Variants of the network, as changes to DEEPDTA (``dta train --arch``, the benchmarks' ``--arch``).
# "attention" pools each branch's map by learned attention instead of the maximum; "attention_masked"
# also keeps that attention off the padding after a short SMILES or sequence. "multiscale"
# gives every stage three parallel kernel widths (DeepDTA's three, per branch) with fewer filters
# each, so the pooled vectors keep DeepDTA's width (96) at about 1.5 times its convolution work.
# "ecfp" concatenates a 128-wide projection of the drug's ECFP4 bits (1,024) to its learned vector.
ARCHITECTURES = {
    "deepdta": {},
    "attention": {"global_pooling": "attention"},
    "attention_masked": {"global_pooling": "attention", "mask_padding": True},
    "multiscale": {"filters": (16, 32, 32), "smiles_kernels": ((4, 6, 8),) * 3,
                   "protein_kernels": ((4, 8, 12),) * 3, "padding": "same"},
    "ecfp": {"fingerprint_bits": 1024, "fingerprint_units": 128},
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


def preset_record(name: str, arch: str = "deepdta") -> dict:
    """The preset of dataset ``name`` (a copy), or the default one for any other data, with the
    network changed to architecture ``arch`` (a key of :data:`ARCHITECTURES`)."""
    if arch not in ARCHITECTURES:
        raise ValueError(f"The 'arch' parameter of preset_record must be one of {sorted(ARCHITECTURES)}; "
                         f"got {arch!r}.")
    record = copy.deepcopy(PRESETS.get(name, DEFAULT_PRESET))
    record["config"].update(copy.deepcopy(ARCHITECTURES[arch]))
    return record


def preset_config(name: str, arch: str = "deepdta") -> dict:
    """``build_deepdta`` keyword arguments (without the task) for dataset ``name`` and ``arch``."""
    return preset_record(name, arch)["config"]


def max_lengths_for(name: str) -> tuple[int, int]:
    """DeepDTA's (SMILES, protein) maximum lengths for dataset ``name``; 100/1000 otherwise."""
    config = preset_config(name)
    return config["smiles_length"], config["protein_length"]


# The shipped presets (NAME.keras + NAME.json in this folder): how `python -m benchmarks.presets
# build NAME` trains each one, and what its metadata says about it.
_DTA_PRESET = {"module": "apps.drug_target.model",
               "input": "a SMILES string and a protein amino-acid sequence (encoded by predict_pairs)"}


def _affinity_preset(output: str, **dataset) -> dict:
    """What the presets of one affinity dataset share: the task, the output, the dataset record and
    the metrics read from the run."""
    return dict(_DTA_PRESET, task="Regressor", output=output, dataset=dataset,
                benchmark_metrics={"ci": "metrics.ci", "mse": "metrics.mse"})


_DAVIS_PRESET = _affinity_preset(
    "predicted pKd (-log10 of Kd in mol/L)", name="davis",
    description="Davis kinase affinities (pKd), DeepDTA setting 1: 25,046 training / 5,010 test pairs",
    license="no explicit license (DeepDTA's copy of Davis et al. 2011)",
    citation="Davis et al. 2011; Öztürk et al. 2018")
_KIBA_PRESET = _affinity_preset(
    "predicted KIBA score", name="kiba",
    description="KIBA kinase scores, DeepDTA setting 1: 98,545 training / 19,709 test pairs",
    license="no explicit license (DeepDTA's copy of Tang et al. 2014)",
    citation="Tang et al. 2014; Öztürk et al. 2018")
_KIBA_TARGETS = {"ci": "GraphDTA GAT_GCN: 0.891; DeepDTA: 0.863", "mse": "GraphDTA GAT_GCN: 0.139; DeepDTA: 0.194"}
_DAVIS_TARGETS = {"ci": "GraphDTA GIN: 0.893; DeepDTA: 0.878", "mse": "GraphDTA GIN: 0.229; DeepDTA: 0.261"}


def _ecfp_seeds(data: str, preset: dict, targets: dict, options: str) -> dict:
    """The recipes of DeepDTA with ECFP4 bits on ``data``: seeds 0, 1 and 2 of the variants benchmark
    (``deepdta_ecfp_<data>``, ``_seed1``, ``_seed2``), each trained with ``options``, and the ensemble
    preset ``deepdta_ecfp_<data>_ensemble`` of the three (their mean; their spread, widened by the
    factor fitted on the test fold, in the spread column of predict and screen)."""
    names = [f"deepdta_ecfp_{data}{'' if seed == 0 else f'_seed{seed}'}" for seed in (0, 1, 2)]
    label = {"davis": "Davis", "kiba": "KIBA"}[data]
    precision = " in mixed bfloat16" if "mixed_bfloat16" in options else ""
    recipes = {name: dict(
        preset,
        description="DeepDTA with the drug's ECFP4 bits joined to its learned vector (--arch ecfp), trained on "
                    f"{label}{precision} (setting 1: all five training folds, 100 epochs; seed {seed} of the "
                    "variants benchmark)",
        steps=[f"python -m benchmarks.dta_affinity --data {data} --arch ecfp --seed {seed} "
               f"--name {data}_ecfp_seed{seed} --skip-baselines {options}"],
        trained=f"drug_target/bench/{data}_ecfp_seed{seed}/model.keras", result=f"{data}_ecfp_seed{seed}",
        references=targets) for seed, name in zip((0, 1, 2), names)}
    recipes[f"deepdta_ecfp_{data}_ensemble"] = dict(
        preset,
        description=f"The three seeds of DeepDTA with ECFP4 bits on {label} ({names[0]}, _seed1, _seed2): "
                    "their mean, with their spread",
        members=names,
        steps=[f"python -m benchmarks.dta_ensemble --data {data} --arch ecfp --seeds 0 1 2 {options}"],
        result=f"dta_ensemble_{data}_ecfp",
        benchmark_metrics={"ci": "metrics.ensemble_ci", "mse": "metrics.ensemble_mse"},
        spread_scale="metrics.spread_scale",
        references=targets)
    return recipes


RECIPES = {
    "deepdta_davis": dict(
        _DAVIS_PRESET,
        description="DeepDTA trained on Davis (setting 1: all five training folds, 100 epochs)",
        steps=["python -m benchmarks.dta_affinity --data davis --skip-baselines --time-budget-min 16 "
               "--name preset_deepdta_davis"],
        trained="drug_target/bench/preset_deepdta_davis/model.keras", result="preset_deepdta_davis",
        references={"ci": "DeepDTA: 0.878", "mse": "DeepDTA: 0.261"}),
    "deepdta_kiba": dict(
        _KIBA_PRESET,
        description="DeepDTA trained on KIBA (setting 1: all five training folds) within a 22-minute CPU budget",
        steps=["python -m benchmarks.dta_affinity --data kiba --skip-baselines --time-budget-min 22 "
               "--name preset_deepdta_kiba"],
        trained="drug_target/bench/preset_deepdta_kiba/model.keras", result="preset_deepdta_kiba",
        references={"ci": "DeepDTA (100 epochs): 0.863", "mse": "DeepDTA (100 epochs): 0.194"}),
    **_ecfp_seeds("davis", _DAVIS_PRESET, _DAVIS_TARGETS, "--time-budget-min 90"),
    **_ecfp_seeds("kiba", _KIBA_PRESET, _KIBA_TARGETS, "--precision mixed_bfloat16 --time-budget-min 110"),
    "deepdta_human": dict(
        _DTA_PRESET, task="MultiLabelClassifier",
        output="probability that the compound interacts with the protein",
        description="DeepDTA encoders with a sigmoid head trained on Human interactions (epoch chosen on val.csv)",
        dataset={"name": "human", "description": "Human compound-protein interactions, DrugBAN's random split: "
                                                 "4,197 training / 1,200 test pairs",
                 "license": "no explicit data license (DrugBAN's repository is MIT)",
                 "citation": "Liu et al. 2015; Bai et al. 2023"},
        steps=["python -m benchmarks.dta_interaction --time-budget-min 18 --name preset_deepdta_human"],
        trained="drug_target/bench/preset_deepdta_human/model.keras",
        result="preset_deepdta_human", benchmark_metrics={"auroc": "metrics.auroc", "auprc": "metrics.auprc"},
        references={"auroc": "issue target 0.97; DrugBAN: 0.982"}),
}


# --------------------------------------------------------------------------- preset hooks

EXAMPLE_COUNT = 5
# The test split each preset dataset is scored on, and the metrics of its task.
HOOK_DATASETS = {"davis": "setting1", "kiba": "setting1", "human": "random"}
TASK_METRICS = {"affinity": ("ci", "mse"), "interaction": ("auroc", "auprc")}


@functools.lru_cache(maxsize=2)
def _test_pairs(dataset: str):
    """``(PairData, test pair indices)``: Davis/KIBA's setting-1 test fold, Human's random test.csv."""
    from apps.drug_target.data import load_dataset

    if dataset not in HOOK_DATASETS:
        raise ValueError(f"The 'dataset' parameter of the drug-target preset hooks must be one of "
                         f"{', '.join(HOOK_DATASETS)}; got {dataset!r}.")
    pair_data, split = load_dataset(dataset, HOOK_DATASETS[dataset])
    return pair_data, split["test"]


def _check_task(model, pair_data) -> None:
    from shared import MultiLabelClassifier

    task = "interaction" if isinstance(model, MultiLabelClassifier) else "affinity"
    if task != pair_data.task:
        raise ValueError(f"model {model.name!r} predicts {task} but {pair_data.name} holds {pair_data.task} targets.")


def _members(model) -> list:
    """The models of ``model``: itself, or the members of an ensemble given as a list."""
    return list(model) if isinstance(model, (list, tuple)) else [model]


def _predict_pairs(model, pair_data, pairs) -> list:
    """The model's predictions (an ensemble's: its members' mean) for pair indices ``pairs`` of
    ``pair_data``, rounded to 4 decimals."""
    import numpy as np

    from apps.drug_target.encoders import ProteinEncoder
    from apps.drug_target.model import drug_encoder, input_lengths
    from apps.drug_target.predict import predict_entities

    order = np.arange(len(pairs))
    predictions = []
    for member in _members(model):
        smiles = drug_encoder(member).encode_many([pair_data.drugs[i] for i in pair_data.drug_index[pairs]])
        proteins = ProteinEncoder(input_lengths(member)[1]).encode_many(
            [pair_data.proteins[i] for i in pair_data.protein_index[pairs]])
        predictions.append(predict_entities(member, smiles, proteins, order, order))
    return [round(float(value), 4) for value in np.mean(predictions, axis=0)]


def _protein_name(pair_data, protein: int) -> str:
    """The protein's identifier (Davis/KIBA), else the start and length of its sequence (Human has no names)."""
    if pair_data.protein_ids:
        return str(pair_data.protein_ids[protein])
    sequence = pair_data.proteins[protein]
    return f"{sequence[:12]}... ({len(sequence)} residues)"


def score(model, dataset: str) -> dict:
    """Test metrics of a DeepDTA ``model`` (or a list of them: their mean) on ``dataset``: ``ci`` and
    ``mse`` on Davis or KIBA's setting-1 test fold, ``auroc`` and ``auprc`` on Human's random test.csv
    (:func:`predict.evaluate`, :func:`metrics.score`)."""
    import numpy as np

    from apps.drug_target.metrics import score as task_score
    from apps.drug_target.predict import evaluate

    pair_data, test = _test_pairs(dataset)
    members = _members(model)
    for member in members:
        _check_task(member, pair_data)
    mean = np.mean([evaluate(member, pair_data, test)[1] for member in members], axis=0)
    metrics = task_score(pair_data.task, pair_data.y[test], mean)
    return {key: round(float(metrics[key]), 5) for key in TASK_METRICS[pair_data.task]}


def pick_examples(model, dataset: str, count: int = EXAMPLE_COUNT) -> list:
    """``count`` test pairs at fixed positions of the test split: ``{"input": {"dataset", "split",
    "index", "drug", "smiles", "protein"}, "label": the measured affinity (or 0/1 interaction),
    "prediction": the model's value (a list of models: their mean) rounded to 4 decimals}``."""
    import numpy as np

    pair_data, test = _test_pairs(dataset)
    for member in _members(model):
        _check_task(member, pair_data)
    positions = sorted({int(i) for i in np.linspace(0, len(test) - 1, min(count, len(test))).round()})
    pairs = test[positions]
    predictions = _predict_pairs(model, pair_data, pairs)
    examples = []
    for position, pair, prediction in zip(positions, pairs, predictions):
        drug, protein = int(pair_data.drug_index[pair]), int(pair_data.protein_index[pair])
        target = float(pair_data.y[pair])
        examples.append({
            "input": {"dataset": dataset, "split": "test", "index": position,
                      "drug": str(pair_data.drug_ids[drug]) if pair_data.drug_ids else None,
                      "smiles": pair_data.drugs[drug], "protein": _protein_name(pair_data, protein)},
            "label": int(target) if pair_data.task == "interaction" else round(target, 4),
            "prediction": prediction})
    return examples


def inference_graph(model):
    """What ``cnnkit dta predict`` runs of ``model`` when exported (``shared.runtime``): its entity
    view, which encodes each drug and protein of a batch once and gathers them per pair."""
    from apps.drug_target.model import entity_view

    return entity_view(model)


def predict_example(model, example: dict) -> float:
    """The prediction of ``model`` (a list of models: their mean; rounded to 4 decimals) for the test pair an example of
    :func:`pick_examples` names; a ValueError when the data no longer holds that pair."""
    source = example["input"]
    if source.get("split") != "test":
        raise ValueError(f"drug-target preset examples come from the test split; got split {source.get('split')!r}.")
    pair_data, test = _test_pairs(source["dataset"])
    index = int(source["index"])
    if not 0 <= index < len(test):
        raise ValueError(f"example index {index} is outside the {source['dataset']} test split (0..{len(test) - 1}).")
    pair = test[index]
    smiles = pair_data.drugs[pair_data.drug_index[pair]]
    if source.get("smiles") not in (None, smiles):
        raise ValueError(f"{source['dataset']} test pair {index} now has drug {smiles}, not the recorded "
                         f"{source['smiles']}: the data changed.")
    return _predict_pairs(model, pair_data, test[index:index + 1])[0]
