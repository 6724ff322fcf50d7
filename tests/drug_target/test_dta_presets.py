"""DeepDTA presets: ``--model NAME`` on evaluate, predict and screen, and the preset hooks (score,
pick_examples, predict_example) on real Davis and Human test pairs with tiny untrained models."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from apps.drug_target import presets as dta_presets
from apps.drug_target.cli import main
from apps.drug_target.model import build_deepdta, load_model
from apps.presets_cli import same_prediction
from shared import presets
from tests.testing import cli_json, register_preset, run_cli

TINY = dict(smiles_length=40, protein_length=64, embed_dim=8, filters=(4, 6, 8), hidden_units=(16,))
SEQUENCE = "MRPSGTAGAALLALLAALCPASRALEEKKVCQGTSNKLTQLGTFEDHFLSLQRMFNNCEVVLGNLEITYVQRNYDLSFLK"  # the start of EGFR


@pytest.fixture(scope="module")
def affinity_model():
    return build_deepdta("affinity", **TINY)


@pytest.fixture(scope="module")
def interaction_model():
    return build_deepdta("interaction", **TINY)


@pytest.fixture
def preset_folder(tmp_path, monkeypatch, affinity_model):
    """``tiny_deepdta`` packed into a registered folder (the only extra folder the registry sees)."""
    register_preset(affinity_model, tmp_path / "presets", monkeypatch, "tiny_deepdta", "dta",
                    module="apps.drug_target.model")
    return tmp_path / "presets"


@pytest.fixture
def pairs_csv(tmp_path):
    path = tmp_path / "pairs.csv"
    pd.DataFrame({"smiles": ["CCO", "c1ccccc1O"], "sequence": [SEQUENCE, SEQUENCE]}).to_csv(path, index=False)
    return path


# --------------------------------------------------------------------------- --model NAME

def test_commands_take_a_preset_name(preset_folder, pairs_csv, tmp_path, capsys, affinity_model):
    model, task = load_model("tiny_deepdta")
    assert task == "affinity" and model.count_params() == affinity_model.count_params()
    result = cli_json(main, ["predict", "--model", "tiny_deepdta", "--pairs", pairs_csv,
                             "--out", tmp_path / "out.csv"], capsys)
    assert result["predicted"] == 2 and result["task"] == "affinity"
    ligands = tmp_path / "lib.smi"
    ligands.write_text("CCO ethanol\nc1ccccc1O phenol\n")
    result = cli_json(main, ["screen", "--model", "tiny_deepdta", "--target", SEQUENCE, "--ligands", ligands,
                             "--out", tmp_path / "screen"], capsys)
    assert result["scored"] == 2


def test_evaluate_takes_a_preset_name(preset_folder, capsys, data_available):
    metrics = cli_json(main, ["evaluate", "--model", "tiny_deepdta", "--data", "davis", "--limit", "40"], capsys)
    assert metrics["n"] == 40 and 0.0 <= metrics["ci"] <= 1.0


@pytest.mark.parametrize("command", ["evaluate", "predict", "screen"])
def test_unknown_preset_name_is_one_error_line(command, preset_folder, pairs_csv, capsys):
    rest = {"evaluate": ["--data", "davis"], "predict": ["--pairs", pairs_csv],
            "screen": ["--target", "MKV", "--ligands", "lib.smi"]}[command]
    code, _, err = run_cli(main, [command, "--model", "no_such_preset", *rest], capsys)
    assert code == 2 and err.startswith("error: --model no_such_preset: no such file, and not a preset name")
    assert "tiny_deepdta" in err and err.count("\n") == 1


def test_damaged_or_missing_preset_is_refused_naming_it(preset_folder, pairs_csv, capsys):
    weights = preset_folder / "tiny_deepdta.keras"
    weights.write_bytes(weights.read_bytes()[:-10])
    code, _, err = run_cli(main, ["predict", "--model", "tiny_deepdta", "--pairs", pairs_csv], capsys)
    assert code == 2 and err.startswith("error: Preset 'tiny_deepdta' is damaged") and str(weights) in err
    with pytest.raises(presets.PresetError, match="is damaged"):
        load_model("tiny_deepdta")
    weights.unlink()
    code, _, err = run_cli(main, ["screen", "--model", "tiny_deepdta", "--target", "MKV", "--ligands", "x"], capsys)
    assert code == 2 and "Preset 'tiny_deepdta' is missing its weights file" in err


# --------------------------------------------------------------------------- hooks

def test_hooks_agree_on_real_davis_test_pairs(affinity_model, data_available):
    from apps.drug_target.data import load_dataset

    examples = dta_presets.pick_examples(affinity_model, "davis")
    json.dumps(examples)  # the metadata stores them as JSON
    pair_data, split = load_dataset("davis", "setting1")
    test = split["test"]
    assert [e["input"]["index"] for e in examples] == [round(i * (len(test) - 1) / 4) for i in range(5)]
    for example in examples:
        pair = test[example["input"]["index"]]
        assert example["input"]["smiles"] == pair_data.drugs[pair_data.drug_index[pair]]
        assert example["input"]["protein"] == pair_data.protein_ids[pair_data.protein_index[pair]]
        assert example["input"]["drug"] == pair_data.drug_ids[pair_data.drug_index[pair]]
        assert example["label"] == round(float(pair_data.y[pair]), 4)
        assert isinstance(example["prediction"], float) and example["prediction"] == round(example["prediction"], 4)
        assert same_prediction(example["prediction"], dta_presets.predict_example(affinity_model, example),
                               tolerance=1e-4)
    changed = {**examples[0], "input": {**examples[0]["input"], "smiles": "CCO"}}
    with pytest.raises(ValueError, match="the data changed"):
        dta_presets.predict_example(affinity_model, changed)


def test_score_gives_the_recipe_metrics(affinity_model, data_available):
    from apps.drug_target.data import load_dataset
    from apps.drug_target.predict import evaluate

    metrics = dta_presets.score(affinity_model, "davis")
    assert set(metrics) == set(dta_presets.RECIPES["deepdta_davis"]["benchmark_metrics"]) == {"ci", "mse"}
    pair_data, split = load_dataset("davis", "setting1")
    expected, _ = evaluate(affinity_model, pair_data, split["test"])
    assert metrics["ci"] == pytest.approx(expected["ci"], abs=1e-5)
    assert metrics["mse"] == pytest.approx(expected["mse"], rel=1e-4)


def test_interaction_hooks_on_human(interaction_model, affinity_model, data_available):
    metrics = dta_presets.score(interaction_model, "human")
    assert set(metrics) == {"auroc", "auprc"} and all(0.0 <= v <= 1.0 for v in metrics.values())
    examples = dta_presets.pick_examples(interaction_model, "human", count=3)
    assert [e["input"]["index"] for e in examples] == [0, 600, 1199]
    for example in examples:
        assert example["label"] in (0, 1) and 0.0 <= example["prediction"] <= 1.0
        assert "residues" in example["input"]["protein"]
        assert same_prediction(example["prediction"], dta_presets.predict_example(interaction_model, example),
                               tolerance=1e-4)
    with pytest.raises(ValueError, match="predicts affinity but human holds interaction"):
        dta_presets.score(affinity_model, "human")
    with pytest.raises(ValueError, match="must be one of davis, kiba, human; got 'bindingdb'"):
        dta_presets.score(affinity_model, "bindingdb")


def test_predict_pairs_matches_predict_frame_and_names_a_bad_pair(affinity_model):
    from apps.drug_target.predict import predict_frame, predict_pairs

    smiles = ["CCO", "c1ccccc1O", "CC(=O)Oc1ccccc1C(=O)O"]
    predicted = predict_pairs(affinity_model, smiles, [SEQUENCE] * 3)
    frame, _ = predict_frame(affinity_model, pd.DataFrame({"smiles": smiles, "sequence": [SEQUENCE] * 3}))
    assert predicted.shape == (3,)
    assert predicted.tolist() == pytest.approx(frame["prediction"].tolist(), abs=1e-6)
    with pytest.raises(ValueError, match="row 2: invalid SMILES"):
        predict_pairs(affinity_model, ["CCO", "C1CC("], [SEQUENCE] * 2)
    with pytest.raises(ValueError, match="one sequence per SMILES"):
        predict_pairs(affinity_model, ["CCO"], [])


# --------------------------------------------------------------------------- ensemble presets

@pytest.fixture
def ensemble_folder(tmp_path, monkeypatch, affinity_model):
    """``tiny_a`` and ``tiny_b`` (two initialisations) and ``tiny_pair``, the ensemble of both, which
    records a spread factor of 2."""
    import keras

    folder = tmp_path / "presets"
    keras.utils.set_random_seed(7)
    register_preset(affinity_model, folder, monkeypatch, "tiny_a", "dta", module="apps.drug_target.model")
    register_preset(build_deepdta("affinity", **TINY), folder, monkeypatch, "tiny_b", "dta",
                    module="apps.drug_target.model")
    record = {**presets.preset_metadata("tiny_a"), "name": "tiny_pair", "members": ["tiny_a", "tiny_b"],
              "spread_scale": 2.0}
    record.pop("folder")
    presets.write_metadata(record, folder)
    return folder


def test_ensemble_preset_predicts_its_members_mean_with_the_recorded_spread(ensemble_folder, pairs_csv, tmp_path,
                                                                            capsys):
    from apps.drug_target.predict import Ensemble

    outputs = {}
    for name, extra in (("a", ["--model", "tiny_a"]), ("b", ["--model", "tiny_b"]), ("pair", ["--model", "tiny_pair"]),
                        ("scale1", ["--model", "tiny_pair", "--spread-scale", "1"]),
                        ("listed", ["--model", "tiny_a", "tiny_b"])):
        result = cli_json(main, ["predict", *extra, "--pairs", pairs_csv, "--out", tmp_path / f"{name}.csv"], capsys)
        outputs[name] = (result, pd.read_csv(tmp_path / f"{name}.csv"))
    a, b = outputs["a"][1]["prediction"], outputs["b"][1]["prediction"]
    result, pair = outputs["pair"]
    assert result["models"] == 2 and result["spread_scale"] == 2.0
    assert pair["prediction"].tolist() == pytest.approx(((a + b) / 2).tolist(), abs=1e-5)
    assert pair["spread"].tolist() == pytest.approx((2.0 * (a - b).abs() / 2).tolist(), abs=1e-5)
    assert (a != b).any()  # two initialisations disagree, so the spread is not trivially 0
    assert outputs["scale1"][1]["spread"].tolist() == pytest.approx((pair["spread"] / 2).tolist(), abs=1e-5)
    assert outputs["listed"][0]["spread_scale"] == 1.0  # models listed one by one: the std as it is

    ensemble = Ensemble.from_preset("tiny_pair")
    assert ensemble.names == ["tiny_a", "tiny_b"] and ensemble.spread_scale == 2.0
    assert Ensemble.from_preset("tiny_pair", spread_scale=3.0).spread_scale == 3.0
    with pytest.raises(presets.PresetError, match="'tiny_a' is a single model, not an ensemble"):
        Ensemble.from_preset("tiny_a")
    with pytest.raises(presets.PresetError, match="'tiny_pair' is an ensemble of the presets tiny_a, tiny_b"):
        load_model("tiny_pair")


def test_hooks_score_an_ensemble_as_its_members_mean(affinity_model, data_available):
    import numpy as np

    from apps.drug_target.data import load_dataset
    from apps.drug_target.metrics import score
    from apps.drug_target.predict import evaluate

    other = build_deepdta("affinity", **TINY)
    pair_data, split = load_dataset("davis", "setting1")
    test = split["test"]
    mean = (evaluate(affinity_model, pair_data, test)[1] + evaluate(other, pair_data, test)[1]) / 2
    expected = score("affinity", pair_data.y[test], mean)
    metrics = dta_presets.score([affinity_model, other], "davis")
    assert metrics["ci"] == pytest.approx(expected["ci"], abs=1e-5)
    assert metrics["mse"] == pytest.approx(expected["mse"], rel=1e-4)
    example = dta_presets.pick_examples([affinity_model, other], "davis", count=2)[1]
    alone = [dta_presets.predict_example(model, example) for model in (affinity_model, other)]
    assert example["prediction"] == pytest.approx(np.mean(alone), abs=2e-4)
    assert dta_presets.predict_example([affinity_model, other], example) == pytest.approx(example["prediction"],
                                                                                         abs=1e-4)


def test_evaluate_scores_an_ensemble_preset_as_its_members_together(ensemble_folder, capsys, data_available):
    listed = cli_json(main, ["evaluate", "--model", "tiny_a", "tiny_b", "--data", "davis", "--limit", "40"], capsys)
    named = cli_json(main, ["evaluate", "--model", "tiny_pair", "--data", "davis", "--limit", "40"], capsys)
    assert named["models"] == 2 and named["n"] == 40
    assert {key: named[key] for key in ("ci", "mse", "spread_scale")} == \
        pytest.approx({key: listed[key] for key in ("ci", "mse", "spread_scale")})


def test_pack_writes_an_ensemble_recipe_as_its_members_mean(ensemble_folder, monkeypatch, tmp_path, data_available):
    from apps.presets_cli import check_preset
    from benchmarks import presets as builder

    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "tiny_ensemble.json").write_text(json.dumps(
        {"metrics": {"ensemble_ci": 0.5, "spread_scale": 1.23456}}))
    recipe = dict(dta_presets._DAVIS_PRESET, app="dta", description="two tiny initialisations together",
                  members=["tiny_a", "tiny_b"], steps=["true"], result="tiny_ensemble",
                  benchmark_metrics={"ci": "metrics.ensemble_ci"}, spread_scale="metrics.spread_scale",
                  references={"ci": "none"})
    monkeypatch.setattr(builder, "RESULTS", tmp_path / "results")
    monkeypatch.setattr(builder, "all_recipes", lambda: {"tiny_ensemble": recipe})
    monkeypatch.setattr(builder, "presets_folder", lambda app: ensemble_folder)
    record = json.loads(builder.pack("tiny_ensemble").read_text())
    assert record["members"] == ["tiny_a", "tiny_b"] and record["file"] is None and record["sha256"] is None
    assert record["spread_scale"] == 1.2346 and record["benchmark_metrics"] == {"ci": 0.5}
    assert record["command"] == ["python -m benchmarks.presets build tiny_ensemble"]
    members = [load_model(name)[0] for name in ("tiny_a", "tiny_b")]
    assert record["metrics"] == dta_presets.score(members, "davis")
    assert record["parameters"] == sum(model.count_params() for model in members)
    assert check_preset("tiny_ensemble") == {"examples": 5, "mismatches": []}


@pytest.mark.parametrize("data", ["davis", "kiba"])
def test_ecfp_seed_recipes_train_what_their_ensemble_benchmark_reads(data):
    from benchmarks.dta_ensemble import run_name

    ensemble = dta_presets.RECIPES[f"deepdta_ecfp_{data}_ensemble"]
    assert ensemble["members"] == [f"deepdta_ecfp_{data}", f"deepdta_ecfp_{data}_seed1", f"deepdta_ecfp_{data}_seed2"]
    assert ensemble["result"] == f"dta_ensemble_{data}_ecfp" and "file" not in ensemble
    options = ensemble["steps"][0].split("--seeds 0 1 2")[1].strip()
    for seed, member in enumerate(ensemble["members"]):
        recipe = dta_presets.RECIPES[member]
        assert recipe["result"] == run_name(data, seed, "ecfp") == f"{data}_ecfp_seed{seed}"
        assert recipe["trained"] == f"drug_target/bench/{recipe['result']}/model.keras"
        step = recipe["steps"][0]
        assert step.endswith(options) and f"--data {data} --arch ecfp --seed {seed} " in step
        assert recipe["dataset"] == ensemble["dataset"] and recipe["references"] == ensemble["references"]
