"""Defaults for a user's small data: early stopping (exactly resumable), a given or drawn validation
split, the small-training-set note and the ``cnnkit dta baseline`` command."""

import csv
import json

import keras
import numpy as np
import pandas as pd
import pytest

from apps.drug_target.cli import main
from shared import training
from tests.testing import cli_json, run_cli, stop_fit_during

TINY = dict(smiles_length=20, protein_length=40, embed_dim=8, filters=(4, 6, 8), hidden_units=(16, 8))
TINY_CLI = ["--embed-dim", "8", "--filters", "4", "6", "8", "--hidden-units", "16", "--max-smiles-length", "40",
            "--max-protein-length", "64", "--batch-pairs", "32"]


def _pairs():
    """Interaction pairs labelled by the drug, a quarter of the labels flipped: the validation AUROC
    peaks within a few epochs and then falls as the network learns the flips."""
    from apps.drug_target.data import PairData

    rng = np.random.default_rng(5)
    drugs, proteins = rng.integers(0, 6, 90), rng.integers(0, 4, 90)
    labels = (drugs % 2) ^ (rng.random(90) < 0.25)
    return PairData(drugs=["CCO", "c1ccccc1", "CCN", "CCCl", "OCCO", "CC(=O)O"],
                    proteins=["MKVLLEAGHK", "WYRSTPQNDCFI", "AAAAC", "MKKLLPT"],
                    drug_index=drugs, protein_index=proteins, y=labels.astype("float32"), task="interaction")


class WeightsPerEpoch(keras.callbacks.Callback):
    """The per-pair model's weights at the end of every epoch (1-based)."""

    def __init__(self, pair_model):
        super().__init__()
        self.pair_model, self.weights = pair_model, {}

    def on_epoch_end(self, epoch, logs=None):
        self.weights[epoch + 1] = self.pair_model.get_weights()


def _train(pair_data, patience, epochs=12, checkpoint_dir=None, snapshots=False):
    from apps.drug_target.model import build_deepdta
    from apps.drug_target.train import train

    keras.utils.set_random_seed(0)
    model = build_deepdta("interaction", **TINY)
    model.compile(optimizer=keras.optimizers.Adam(0.01))
    weights = WeightsPerEpoch(model) if snapshots else None
    result = train(model, pair_data, np.arange(60), np.arange(60, 90), epochs=epochs, batch_pairs=12, verbose=0,
                   seed=1, checkpoint_dir=checkpoint_dir, patience=patience, callbacks=[weights] if weights else None)
    return model, result, weights


def _assert_same_weights(a, b):
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)


@pytest.fixture(scope="module")
def stopped_run():
    return _train(_pairs(), patience=2, snapshots=True)


def test_early_stopping_stops_patience_epochs_after_the_best_and_keeps_its_weights(stopped_run, capsys):
    model, result, weights = stopped_run
    auroc = [record["val_auroc"] for record in result["records"]]
    best = int(np.argmax(auroc)) + 1  # the first epoch with the highest validation AUROC
    assert result["stopped_early"] and result["best_epoch"] == best
    assert result["epochs_run"] == result["stopped_epoch"] == best + 2 < 12
    assert all(value <= auroc[best - 1] for value in auroc[best:])
    # The model holds the best epoch's weights, not the last epoch's.
    _assert_same_weights(model.get_weights(), weights.weights[best])
    assert any(not np.array_equal(a, b) for a, b in zip(model.get_weights(), weights.weights[result["epochs_run"]]))


def test_the_benchmark_reads_the_same_stop_off_a_validation_curve(stopped_run):
    from benchmarks.dta_small_data import stop_and_keep

    _, result, _ = stopped_run
    auroc = [record["val_auroc"] for record in result["records"]]
    assert stop_and_keep(auroc, 2) == (result["stopped_epoch"], result["best_epoch"])
    assert stop_and_keep([0.5, 0.6, 0.6, 0.7, 0.65], 2) == (5, 4)   # a tie is no improvement
    assert stop_and_keep([0.5, 0.6, 0.55], 5) == (3, 2)              # no stop: the curve ends


def test_patience_zero_trains_every_epoch():
    _, result, _ = _train(_pairs(), patience=0, epochs=5)
    assert result["epochs_run"] == 5 and not result["stopped_early"] and result["stopped_epoch"] is None


def test_a_stopped_and_resumed_run_ends_as_an_uninterrupted_one(stopped_run, tmp_path, monkeypatch, capsys):
    reference_model, reference, _ = stopped_run
    assert reference["stopped_epoch"] >= 4  # the interruption below comes before the stop
    checkpoint = tmp_path / "checkpoint"
    with monkeypatch.context() as patch:
        stop_fit_during(patch, training, 2, KeyboardInterrupt, "fit")
        with pytest.raises(KeyboardInterrupt):
            _train(_pairs(), patience=2, checkpoint_dir=checkpoint)
    resumed_model, resumed, _ = _train(_pairs(), patience=2, checkpoint_dir=checkpoint)
    assert resumed["epochs_this_run"] == reference["epochs_run"] - 2
    for key in ("best_epoch", "stopped_epoch", "epochs_run", "stopped_early"):
        assert resumed[key] == reference[key], key
    drop_seconds = lambda records: [{k: v for k, v in r.items() if k != "seconds"} for r in records]  # noqa: E731
    assert drop_seconds(resumed["records"]) == drop_seconds(reference["records"])
    _assert_same_weights(resumed_model.get_weights(), reference_model.get_weights())
    # The early stop finished the run: the same call again trains nothing and ends the same way.
    capsys.readouterr()
    again_model, again, _ = _train(_pairs(), patience=2, checkpoint_dir=checkpoint)
    assert again["epochs_this_run"] == 0 and again["stopped_early"] and again["best_epoch"] == reference["best_epoch"]
    _assert_same_weights(again_model.get_weights(), reference_model.get_weights())
    assert f"stopped early after epoch {reference['stopped_epoch']}" in capsys.readouterr().out


def test_optimizer_is_adamw_only_with_a_weight_decay():
    from apps.drug_target.train import optimizer

    assert type(optimizer(1e-3, 0.0)) is keras.optimizers.Adam
    decayed = optimizer(1e-3, 0.1)
    assert isinstance(decayed, keras.optimizers.AdamW) and decayed.weight_decay == pytest.approx(0.1)
    with pytest.raises(ValueError, match=r"The 'weight_decay' parameter of optimizer must be a float >= 0"):
        optimizer(1e-3, -1.0)


def test_drawn_validation_share_and_full_train():
    from apps.drug_target.data import make_split

    pair_data = _pairs()
    default = make_split(pair_data, "random", seed=4)
    explicit = make_split(pair_data, "random", seed=4, valid_fraction=0.1)
    for key in default:
        np.testing.assert_array_equal(default[key], explicit[key])
    wider = make_split(pair_data, "random", seed=4, valid_fraction=0.3)
    assert (len(wider["train"]), len(wider["valid"]), len(wider["test"])) == (54, 27, 9)
    np.testing.assert_array_equal(np.sort(wider["test"]), np.sort(default["test"]))
    # full_train: what would be validation trains too; the test part stays the same
    full = make_split(pair_data, "random", seed=4, full_train=True)
    assert len(full["valid"]) == 0
    np.testing.assert_array_equal(np.sort(full["train"]), np.sort(np.concatenate([default["train"],
                                                                                   default["valid"]])))
    np.testing.assert_array_equal(full["test"], default["test"])
    cold = make_split(pair_data, "cold-drug", seed=4, valid_fraction=0.5)
    drugs = {k: set(pair_data.drug_index[v].tolist()) for k, v in cold.items()}
    assert len(drugs["valid"]) == 3 and not drugs["valid"] & (drugs["train"] | drugs["test"])
    with pytest.raises(ValueError, match=r"must be a float in \(0, 0.9\) with split 'random'.*got 0.95"):
        make_split(pair_data, "random", valid_fraction=0.95)


def test_small_data_note_names_the_baseline_command_for_the_same_split():
    from apps.drug_target.options import SMALL_DATA_PAIRS
    from apps.drug_target.train import small_data_note

    assert small_data_note(SMALL_DATA_PAIRS, "pairs.csv") is None
    note = small_data_note(SMALL_DATA_PAIRS - 1, "my pairs.csv", split="cold-drug", seed=3, valid_fraction=0.2)
    assert note.startswith("note: 4,999 training pairs (under 5,000)")
    assert note.endswith("cnnkit dta baseline --data 'my pairs.csv' --split cold-drug --valid-fraction 0.2 --seed 3")


@pytest.fixture
def bindingdb_files(data_available, tmp_path):
    """The BindingDB sample's train.csv, and its val.csv with one bad row added."""
    folder = data_available / "dta" / "bindingdb_sample"
    valid = pd.read_csv(folder / "val.csv", dtype=str)
    bad = pd.DataFrame({"SMILES": ["C1CC("], "Protein": [valid.loc[0, "Protein"]], "Y": ["1"]})
    path = tmp_path / "my_valid.csv"
    pd.concat([valid, bad]).to_csv(path, index=False)
    return folder / "train.csv", path, len(valid)


def test_train_with_a_given_validation_file(bindingdb_files, tmp_path, capsys):
    data, valid, valid_rows = bindingdb_files
    out = tmp_path / "run"
    code, stdout, stderr = run_cli(main, ["train", "--data", data, "--valid", valid, "--out", out, "--epochs", "6",
                                          "--patience", "2", "--json"] + TINY_CLI, capsys)
    assert code == 0, stderr
    result = json.loads(stdout.strip().splitlines()[-1])
    saved = json.loads((out / "metrics.json").read_text())
    assert saved["valid"] == str(valid) and saved["valid_pairs"] == valid_rows and saved["valid_skipped_rows"] == 1
    # --data splits into training and test pairs only (172 rows: 90% train, 10% test)
    assert (saved["train_pairs"], saved["test_pairs"]) == (154, 18)
    assert f"valid {valid_rows} ({valid})" in stdout
    assert "skipped 1 bad row(s) of" in stderr and "my_valid.csv row 26" in stderr
    assert "note: 154 training pairs (under 5,000)" in stderr and "cnnkit dta baseline --data" in stderr
    # metrics.json's best epoch is the training log's best validation AUROC, and says whether it stopped
    with open(out / "training_log.csv") as handle:
        log = list(csv.DictReader(handle))
    auroc = [float(row["val_auroc"]) for row in log]
    assert saved["best_epoch"] == int(np.argmax(auroc)) + 1 and saved["epochs"] == len(log)
    assert saved["stopped_early"] == (len(log) < 6)
    if saved["stopped_early"]:
        assert len(log) - saved["best_epoch"] == 2 and "stopped early after epoch" in stdout
    assert {k: result[k] for k in ("best_epoch", "stopped_early", "valid_pairs")} == \
        {k: saved[k] for k in ("best_epoch", "stopped_early", "valid_pairs")}


def test_no_note_on_enough_training_pairs(monkeypatch, bindingdb_files, tmp_path, capsys):
    from apps.drug_target import train

    monkeypatch.setattr(train, "SMALL_DATA_PAIRS", 100)
    data, _, _ = bindingdb_files
    code, _, stderr = run_cli(main, ["train", "--data", data, "--out", tmp_path, "--epochs", "1"] + TINY_CLI, capsys)
    assert code == 0 and "training pairs (under" not in stderr


@pytest.mark.parametrize("options, message", [
    (["--patience", "-1"], "The '--patience' parameter of cnnkit dta train must be an int >= 0 (0: no early "
                           "stopping); got -1."),
    (["--valid-fraction", "1.5"], "The '--valid-fraction' parameter of cnnkit dta train must be a float in (0, 1); "
                                  "got 1.5."),
    (["--valid-fraction", "0"], "The '--valid-fraction' parameter of cnnkit dta train must be a float in (0, 1); "
                                "got 0.0."),
    (["--weight-decay", "-0.1"], "The '--weight-decay' parameter of cnnkit dta train must be a float >= 0"),
    (["--valid", "missing.csv"], "--valid: missing.csv: no such file; expected a CSV with columns smiles, sequence"),
    (["--valid", "{bad_columns}"], "--valid: wrong.csv: missing column(s) smiles, sequence, affinity or label"),
    (["--valid", "{bad_columns}", "--valid-fraction", "0.2"], "--valid gives the validation pairs and "
                                                              "--valid-fraction draws them from --data; use one"),
])
def test_bad_validation_options_are_one_error_line(options, message, bindingdb_files, tmp_path, capsys):
    data, _, _ = bindingdb_files
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("name,value\na,1\n")
    options = [str(wrong) if option == "{bad_columns}" else option for option in options]
    code, _, stderr = run_cli(main, ["train", "--data", data, "--out", tmp_path / "run", *options], capsys)
    assert code == 2 and message in stderr, stderr
    assert not (tmp_path / "run" / "model.keras").exists()


def test_valid_fraction_is_refused_where_the_split_has_its_own_validation_part(data_available, tmp_path, capsys):
    code, _, stderr = run_cli(main, ["train", "--data", "bindingdb", "--valid-fraction", "0.2", "--out", tmp_path],
                              capsys)
    assert code == 2 and "bindingdb_sample's 'random' split comes with its own validation part" in stderr


def test_baseline_on_the_bindingdb_sample_writes_both_models(data_available, tmp_path, capsys):
    result = cli_json(main, ["baseline", "--data", "bindingdb", "--out", tmp_path], capsys)
    record = json.loads((tmp_path / "baselines.json").read_text())
    assert set(record["models"]) == {"random_forest", "gradient_boosting"}
    assert (record["task"], record["train_pairs"], record["test_pairs"]) == ("interaction", 172, 49)
    for name, metrics in record["models"].items():
        assert 0.0 <= metrics["auroc"] <= 1.0 and 0.0 <= metrics["auprc"] <= 1.0 and metrics["n"] == 49
        assert result[f"{name}_auroc"] == pytest.approx(metrics["auroc"])


def test_baseline_fits_the_training_pairs_train_uses(bindingdb_files, tmp_path, capsys):
    from apps.drug_target.data import load_training_data

    data, valid, _ = bindingdb_files
    result = cli_json(main, ["baseline", "--data", data, "--valid", valid, "--seed", "2"], capsys)
    _, splits, _ = load_training_data(str(data), seed=2, valid=str(valid))
    assert (result["train_pairs"], result["test_pairs"]) == (len(splits["train"]), len(splits["test"])) == (154, 18)
    assert "output" not in result  # nothing written without --out


def test_baseline_names_an_unknown_dataset(tmp_path, capsys):
    code, _, stderr = run_cli(main, ["baseline", "--data", "nope", "--out", tmp_path], capsys)
    assert code == 2 and "Unknown data 'nope': expected davis, kiba, human, bindingdb or a CSV file" in stderr
    assert not (tmp_path / "baselines.json").exists()
