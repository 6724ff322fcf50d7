import io
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from apps.drug_target.cli import main
from tests.testing import cli_json, run_cli

TINY = ["--epochs", "1", "--embed-dim", "8", "--filters", "4", "6", "8", "--hidden-units", "16",
        "--max-smiles-length", "40", "--max-protein-length", "64", "--batch-pairs", "32"]


@pytest.fixture(scope="module")
def affinity_csv(tmp_path_factory, data_available):
    from apps.drug_target.data import load_dataset

    pair_data, _ = load_dataset("davis")
    rows = list(range(0, 30056, 500))[:60]
    frame = pd.DataFrame({"smiles": [pair_data.drugs[pair_data.drug_index[i]] for i in rows],
                          "sequence": [pair_data.proteins[pair_data.protein_index[i]] for i in rows],
                          "affinity": [f"{pair_data.y[i]:.3f}" for i in rows]})
    frame.loc[3, "smiles"] = "C1CC("          # invalid SMILES
    frame.loc[7, "affinity"] = "n/a"          # non-numeric
    path = tmp_path_factory.mktemp("dta") / "davis_slice.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def trained_affinity(tmp_path_factory, affinity_csv):
    out = tmp_path_factory.mktemp("run")
    assert main(["train", "--data", str(affinity_csv), "--out", str(out), "--json"] + TINY) == 0
    return out


def test_train_csv_affinity_saves_model(trained_affinity):
    assert (trained_affinity / "model.keras").is_file()
    summary = json.loads((trained_affinity / "metrics.json").read_text())
    assert summary["task"] == "affinity" and summary["skipped_rows"] == 2
    assert "test_ci" in summary and "test_mse" in summary
    # TINY reads short inputs: the fixture's longer SMILES and sequences are cut, and counted
    assert summary["smiles_truncated"] >= 0 and summary["proteins_truncated"] >= 0
    assert summary["smiles_truncated"] + summary["proteins_truncated"] > 0
    assert (trained_affinity / "training_log.csv").is_file()


def test_evaluate_json_has_affinity_metrics(trained_affinity, affinity_csv, capsys):
    metrics = cli_json(main, ["evaluate", "--model", trained_affinity / "model.keras", "--data", affinity_csv], capsys)
    assert {"ci", "mse", "pearson", "rm2"} <= set(metrics)
    assert metrics["n"] == 58 and metrics["skipped_rows"] == 2
    assert metrics["proteins_truncated"] == 58  # every Davis kinase is longer than the model's 64 residues


def test_evaluate_prints_a_table(trained_affinity, affinity_csv, capsys):
    code, out, err = run_cli(main, ["evaluate", "--model", trained_affinity / "model.keras", "--data", affinity_csv],
                             capsys)
    assert code == 0
    rows = dict(line.split(None, 1) for line in out.strip().splitlines())
    assert {"ci", "mse", "n", "skipped_rows", "seconds"} <= set(rows) and rows["n"] == "58"
    assert "skipped 2 bad row(s)" in err
    assert "and 58 a sequence longer than its 64 residues; the model reads only their start" in err


def test_predict_keeps_order_and_error_column(trained_affinity, tmp_path, capsys):
    pairs = tmp_path / "pairs.csv"
    seq = "MKVLLEAGHKWYRSTPQNDCFI"
    pd.DataFrame({"smiles": ["CCO", "bad(", "c1ccccc1", "CCN"],
                  "sequence": [seq, seq, "", seq]}).to_csv(pairs, index=False)
    out = tmp_path / "predictions.csv"
    result = cli_json(main, ["predict", "--model", trained_affinity / "model.keras", "--pairs", pairs, "--out", out],
                      capsys)
    assert result["predicted"] == 2 and result["errors"] == 2 and result["rows"] == 4
    frame = pd.read_csv(out, keep_default_na=False)
    assert list(frame["row"]) == [1, 2, 3, 4]
    assert list(frame["smiles"]) == ["CCO", "bad(", "c1ccccc1", "CCN"]
    assert frame.loc[1, "error"].startswith("pairs.csv row 2 (line 3): invalid SMILES")
    assert "empty protein sequence" in frame.loc[2, "error"]
    assert frame.loc[0, "error"] == "" and frame.loc[0, "prediction"] != ""


def test_predict_in_batches_writes_what_one_batch_writes(trained_affinity, affinity_csv, tmp_path, capsys):
    from apps.drug_target.data import read_table
    from apps.drug_target.model import load_model
    from apps.drug_target.predict import predict_frame

    out = tmp_path / "batched.csv"
    result = cli_json(main, ["predict", "--model", trained_affinity / "model.keras", "--pairs", affinity_csv,
                             "--out", out, "--batch-size", "7"], capsys)
    assert result["rows"] == 60 and result["predicted"] == 59 and result["errors"] == 1  # the invalid SMILES
    batched = pd.read_csv(out, keep_default_na=False)
    model, _ = load_model(trained_affinity / "model.keras")
    whole, _ = predict_frame(model, read_table(affinity_csv), name=affinity_csv.name)  # all 60 rows at once
    whole = pd.read_csv(io.StringIO(whole.to_csv(index=False)), keep_default_na=False)
    assert list(batched.columns) == list(whole.columns)
    pd.testing.assert_frame_equal(batched.drop(columns="prediction"), whole.drop(columns="prediction"))
    got = pd.to_numeric(batched["prediction"], errors="coerce").to_numpy()
    want = pd.to_numeric(whole["prediction"], errors="coerce").to_numpy()
    np.testing.assert_allclose(got, want, atol=1e-5)
    assert np.isnan(got).sum() == 1


def test_predict_and_screen_with_several_models_report_their_spread(trained_affinity, affinity_csv, tmp_path,
                                                                     capsys):
    second = tmp_path / "seed1"
    assert main(["train", "--data", str(affinity_csv), "--out", str(second), "--seed", "1", "--json"] + TINY) == 0
    capsys.readouterr()
    models = [trained_affinity / "model.keras", second / "model.keras"]
    result = cli_json(main, ["predict", "--model", *models, "--pairs", affinity_csv, "--out", tmp_path / "both.csv"],
                      capsys)
    assert result["models"] == 2 and result["predicted"] == 59  # all but the invalid SMILES
    both = pd.read_csv(tmp_path / "both.csv")
    alone = []
    for number, model in enumerate(models):
        cli_json(main, ["predict", "--model", model, "--pairs", affinity_csv, "--out", tmp_path / f"{number}.csv"],
                 capsys)
        alone.append(pd.read_csv(tmp_path / f"{number}.csv")["prediction"].to_numpy())
    np.testing.assert_allclose(both["prediction"], np.mean(alone, axis=0), rtol=1e-5)
    np.testing.assert_allclose(both["spread"], np.abs(alone[0] - alone[1]) / 2, rtol=1e-4, atol=1e-6)
    assert both["spread"].max() > 0  # two seeds disagree
    ligands = tmp_path / "ligands.smi"
    ligands.write_text("CCO ethanol\nc1ccccc1 benzene\nCC(=O)Oc1ccccc1C(=O)O aspirin\n")
    summary = cli_json(main, ["screen", "--model", *models, "--target", "MKVLLEAGHKWYRSTPQNDCFI", "--ligands",
                              ligands, "--out", tmp_path / "screen", "--top", "2"], capsys)
    assert all(entry["spread"] >= 0 for entry in summary["top"]) and len(summary["top"]) == 2
    assert "spread" in pd.read_csv(tmp_path / "screen" / "ranked.csv").columns

    # evaluate scores the two models' mean and fits the factor that widens their spread to the errors
    scored = cli_json(main, ["evaluate", "--model", *models, "--data", affinity_csv], capsys)
    assert scored["models"] == 2 and scored["n"] == 58 and scored["skipped_rows"] == 2  # bad SMILES, n/a
    assert scored["spread_scale"] > 0 and 0 <= scored["within_1_spread"] <= scored["within_2_spreads"] <= 1
    one = [cli_json(main, ["evaluate", "--model", model, "--data", affinity_csv], capsys) for model in models]
    assert "spread_scale" not in one[0] and scored["mse"] <= max(m["mse"] for m in one)
    scale = scored["spread_scale"]
    assert result["spread_scale"] == 1.0 and summary["spread_scale"] == 1.0   # the members' std as it is
    widened = cli_json(main, ["predict", "--model", *models, "--spread-scale", str(scale), "--pairs", affinity_csv,
                              "--out", tmp_path / "scaled.csv"], capsys)
    assert widened["spread_scale"] == pytest.approx(scale)
    scaled = pd.read_csv(tmp_path / "scaled.csv")
    np.testing.assert_allclose(scaled["spread"], scale * both["spread"], rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(scaled["prediction"], both["prediction"], rtol=1e-6)
    truth = pd.to_numeric(pd.read_csv(affinity_csv)["affinity"], errors="coerce")
    scored_rows = truth.notna() & scaled["spread"].notna()
    covered = np.abs(truth - scaled["prediction"])[scored_rows] <= scaled["spread"][scored_rows] * (1 + 1e-6)
    assert scored_rows.sum() == 58 and 0.683 <= covered.mean() <= 0.683 + 1 / 58  # the fewest that cover 68%
    code, _, err = run_cli(main, ["predict", "--model", models[0], "--spread-scale", "2", "--pairs", affinity_csv],
                           capsys)
    assert code == 2 and "--spread-scale scales the spread of several --model; got one model" in err
    with pytest.raises(SystemExit) as stop:
        main(["predict", "--model", *map(str, models), "--spread-scale", "0", "--pairs", str(affinity_csv)])
    assert stop.value.code == 2
    assert "argument --spread-scale: expected a finite number above 0, got '0'" in capsys.readouterr().err


def test_an_ensemble_of_affinity_and_interaction_models_is_refused(trained_affinity, tmp_path, capsys):
    from apps.drug_target.model import build_deepdta

    interaction = tmp_path / "interaction.keras"
    build_deepdta("interaction", smiles_length=40, protein_length=64, embed_dim=8, filters=(4, 6, 8),
                  hidden_units=(16,)).save(interaction)
    pairs = tmp_path / "pairs.csv"
    pd.DataFrame({"smiles": ["CCO"], "sequence": ["MKVLLEAGHK"]}).to_csv(pairs, index=False)
    code, _, err = run_cli(main, ["predict", "--model", trained_affinity / "model.keras", interaction,
                                  "--pairs", pairs], capsys)
    assert code != 0 and "an ensemble's models must predict one task" in err
    assert "model.keras (affinity)" in err and "interaction.keras (interaction)" in err


def test_screen_ranks_and_draws(trained_affinity, tmp_path, capsys):
    ligands = tmp_path / "ligands.smi"
    ligands.write_text("CCO ethanol\nc1ccccc1 benzene\nnot_smiles broken\nCC(=O)Oc1ccccc1C(=O)O aspirin\n")
    fasta = tmp_path / "target.fasta"
    fasta.write_text(">kinase\nMKVLLEAGHK\nWYRSTPQNDCFI\n")
    out = tmp_path / "screen"
    result = cli_json(main, ["screen", "--model", trained_affinity / "model.keras", "--target", fasta,
                             "--ligands", ligands, "--top", "2", "--out", out], capsys)
    assert result["scored"] == 3 and result["errors"] == 1 and len(result["top"]) == 2
    assert result["target"] == "kinase" and result["ligands"] == 4
    ranked = pd.read_csv(out / "ranked.csv", keep_default_na=False)
    assert list(ranked["rank"][:3].astype(int)) == [1, 2, 3]
    assert ranked["prediction"][:3].is_monotonic_decreasing
    assert ranked.loc[3, "name"] == "broken" and "invalid SMILES" in ranked.loc[3, "error"]
    assert (out / "top_molecules.png").read_bytes()[:4] == b"\x89PNG"


def test_train_interaction_on_bindingdb_sample(tmp_path, capsys, data_available):
    result = cli_json(main, ["train", "--data", "bindingdb", "--out", tmp_path] + TINY, capsys)
    assert result["task"] == "interaction" and 0 <= result["test_auroc"] <= 1
    metrics = cli_json(main, ["evaluate", "--model", tmp_path / "model.keras", "--data", "bindingdb"], capsys)
    assert {"auroc", "auprc"} <= set(metrics)


def test_train_arch_attention_saves_the_variant_and_predicts(tmp_path, affinity_csv, capsys):
    result = cli_json(main, ["train", "--data", affinity_csv, "--out", tmp_path, "--arch", "attention"] + TINY, capsys)
    assert result["arch"] == "attention"
    assert json.loads((tmp_path / "dta_config.json").read_text())["arch"] == "attention"
    from apps.drug_target.model import branches, load_model

    model, task = load_model(tmp_path / "model.keras")
    assert task == "affinity"
    assert all(any(layer.name == "global_attention_pool" for layer in branch.layers) for branch in branches(model))
    with pytest.raises(SystemExit) as stop:
        main(["train", "--data", str(affinity_csv), "--out", str(tmp_path / "x"), "--arch", "graph"])
    assert stop.value.code == 2
    assert "argument --arch: invalid choice: 'graph'" in capsys.readouterr().err


def test_train_arch_ecfp_predicts_alike_with_keras_and_its_onnx_export(tmp_path, affinity_csv, capsys,
                                                                       monkeypatch):
    monkeypatch.setenv("CNNKIT_CACHE", str(tmp_path / "cache"))
    run = tmp_path / "run"
    result = cli_json(main, ["train", "--data", affinity_csv, "--out", run, "--arch", "ecfp"] + TINY, capsys)
    assert result["arch"] == "ecfp" and "test_ci" in result
    from apps.drug_target.model import fingerprint_bits, input_lengths, load_model

    model, _ = load_model(run / "model.keras")
    assert fingerprint_bits(model) == 1024 and input_lengths(model) == (40, 64)
    outputs = {}
    for runtime in ("keras", "onnx"):
        if runtime == "onnx":
            cli_json(main, ["export", "--model", run / "model.keras"], capsys)
        out = tmp_path / f"{runtime}.csv"
        predicted = cli_json(main, ["predict", "--model", run / "model.keras", "--pairs", affinity_csv, "--out", out,
                                    "--runtime", runtime], capsys)
        assert predicted["runtime"] == runtime and predicted["predicted"] == 59  # the bad SMILES is not
        outputs[runtime] = pd.read_csv(out)["prediction"].to_numpy()
    np.testing.assert_allclose(outputs["onnx"], outputs["keras"], atol=1e-4, equal_nan=True)


def test_bad_inputs_give_clear_messages(tmp_path, capsys, trained_affinity):
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"smiles": ["CCO"], "affinity": [5.0]}).to_csv(bad, index=False)
    assert main(["train", "--data", str(bad), "--out", str(tmp_path / "o")]) == 2
    assert "bad.csv: missing column(s) sequence" in capsys.readouterr().err
    assert main(["predict", "--model", str(tmp_path / "missing.keras"), "--pairs", str(bad)]) == 2
    assert "missing.keras: no such file, and not a preset name" in capsys.readouterr().err
    assert main(["screen", "--model", str(trained_affinity / "model.keras"), "--target", "ACGTACGTACGTACGTACGTACGT",
                 "--ligands", str(bad), "--out", str(tmp_path / "s")]) == 2
    assert "DNA/RNA" in capsys.readouterr().err
    assert main(["train", "--data", "davis", "--split", "setting1", "--task", "interaction",
                 "--out", str(tmp_path / "x")]) == 2
    assert "use --task affinity" in capsys.readouterr().err


def test_missing_files_and_datasets_are_one_error_line(tmp_path, capsys, monkeypatch):
    code, out, err = run_cli(main, ["train", "--data", tmp_path / "nowhere.csv", "--out", tmp_path / "o"], capsys)
    assert code == 2 and err.count("error:") == 1 and "nowhere.csv: no such file" in err
    assert "Traceback" not in err
    code, _, err = run_cli(main, ["screen", "--model", tmp_path / "none.keras", "--target", "MKV",
                                  "--ligands", tmp_path / "none.smi"], capsys)
    assert code == 2 and "none.keras: no such file, and not a preset name" in err
    # A named dataset that is neither in CNNKIT_DATA, nor in the cache, nor downloadable.
    monkeypatch.setenv("CNNKIT_DATA", str(tmp_path / "empty"))
    monkeypatch.setenv("CNNKIT_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("CNNKIT_DOWNLOAD_BASE", (tmp_path / "offline").as_uri())
    code, _, err = run_cli(main, ["train", "--data", "davis", "--out", tmp_path / "d"], capsys)
    assert code == 2 and err.startswith("error: ") and err.count("\n") == 1 and "davis" in err


def test_help_and_module_entry_point():
    result = subprocess.run([sys.executable, "-m", "apps.drug_target", "train", "--help"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "--seed" in result.stdout and "--json" in result.stdout


def test_screen_with_no_valid_ligand_is_an_error_and_writes_nothing(trained_affinity, tmp_path, capsys):
    ligands = tmp_path / "lib.smi"
    ligands.write_text("# two broken ligands\nC1CC( ring\nnot_smiles broken\n")
    out = tmp_path / "screen"
    code, stdout, err = run_cli(main, ["screen", "--model", trained_affinity / "model.keras", "--target",
                                       "MKVLLEAGHKWYRSTPQNDCFI", "--ligands", ligands, "--out", out], capsys)
    assert code == 2 and stdout == ""
    assert err == (f"error: {ligands}: none of its 2 ligands is a valid SMILES (first: lib.smi row 1 (line 2): "
                   "invalid SMILES: RDKit could not parse SMILES 'C1CC('); nothing was written.\n")
    assert not out.exists()


def test_a_binary_ligand_file_is_named(trained_affinity, tmp_path, capsys):
    png = tmp_path / "molecules.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10")
    code, _, err = run_cli(main, ["screen", "--model", trained_affinity / "model.keras", "--target",
                                  "MKVLLEAGHKWYRSTPQNDCFI", "--ligands", png, "--out", tmp_path / "s"], capsys)
    assert code == 2
    assert err == (f"error: {png}: not a text file (a PNG image); expected a .smi text file: one SMILES per "
                   "line, optionally followed by a name.\n")


def test_smiles_longer_than_the_model_reads_are_cut_with_a_note(trained_affinity, tmp_path, capsys):
    # The TINY model reads 40 SMILES characters and 64 residues.
    long_smiles = "C" * 500
    seq = "MKVLLEAGHKWYRSTPQNDCFI"
    pairs = tmp_path / "pairs.csv"
    pairs.write_text(f"smiles,sequence\nCCO,{seq}\n{long_smiles},{seq}\nCCN,{seq * 3}\n")
    out = tmp_path / "predictions.csv"
    code, stdout, err = run_cli(main, ["predict", "--model", trained_affinity / "model.keras", "--pairs", pairs,
                                       "--out", out, "--json"], capsys)
    assert code == 0
    result = json.loads(stdout.strip().splitlines()[-1])
    assert result["predicted"] == 3 and result["smiles_truncated"] == 1 and result["proteins_truncated"] == 1
    frame = pd.read_csv(out, keep_default_na=False)
    assert list(frame["note"]) == [
        "", "pairs.csv row 2 (line 3): SMILES cut: 500 characters, the model reads the first 40",
        "pairs.csv row 3 (line 4): sequence cut: 66 residues, the model reads the first 64"]
    assert "note: pairs.csv row 2 (line 3): SMILES cut: 500 characters, the model reads the first 40\n" in err
    ligands = tmp_path / "lib.smi"
    ligands.write_text(f"CCO ethanol\n{long_smiles} long_chain\n")
    summary = cli_json(main, ["screen", "--model", trained_affinity / "model.keras", "--target", seq,
                              "--ligands", ligands, "--out", tmp_path / "screen"], capsys)
    assert summary["scored"] == 2 and summary["smiles_truncated"] == 1 and summary["proteins_truncated"] == 0
    ranked = pd.read_csv(tmp_path / "screen" / "ranked.csv", keep_default_na=False)
    assert ranked.set_index("name").loc["long_chain", "note"] == (
        "lib.smi row 2 (line 2): SMILES cut: 500 characters, the model reads the first 40")


def test_screen_target_as_a_long_sequence_or_a_binary_file(trained_affinity, tmp_path, capsys):
    ligands = tmp_path / "lib.smi"
    ligands.write_text("CCO ethanol\n")
    long_target = "MKVLLEAGHKWYRSTPQNDCFI" * 20  # 440 residues: longer than a file name may be
    summary = cli_json(main, ["screen", "--model", trained_affinity / "model.keras", "--target", long_target,
                              "--ligands", ligands, "--out", tmp_path / "s"], capsys)
    assert summary["scored"] == 1 and summary["target"] == "target" and summary["proteins_truncated"] == 1
    png = tmp_path / "target.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    code, _, err = run_cli(main, ["screen", "--model", trained_affinity / "model.keras", "--target", png,
                                  "--ligands", ligands, "--out", tmp_path / "t"], capsys)
    assert code == 2
    assert err == f"error: {png}: not a text file (a PNG image); expected a protein sequence or a FASTA file.\n"
