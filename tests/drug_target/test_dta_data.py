import numpy as np
import pandas as pd
import pytest

from apps.drug_target.data import load_dataset, make_split, read_pairs

SEQ = "MKVLLEAGHKWYRSTPQNDCFI"


@pytest.fixture(scope="module")
def davis(data_available):
    return load_dataset("davis", "setting1")


def test_davis_matrix_folds_and_pkd(davis):
    pair_data, split = davis
    assert len(pair_data.drugs) == 68 and len(pair_data.proteins) == 442
    assert len(pair_data) == 30056 and not pair_data.errors
    # Kd = 10000 nM (the inactive cut-off) -> pKd = 5
    assert pair_data.y.min() == pytest.approx(5.0)
    assert pair_data.y.max() > 10
    assert len(split["test"]) == 5010 and len(split["valid"]) == 5009
    assert len(split["train"]) == 5010 + 3 * 5009
    assert not set(split["train"]) & set(split["test"])
    full = make_split(pair_data, "setting1", full_train=True)
    assert len(full["train"]) == 25046 and len(full["valid"]) == 0


def test_cold_splits_have_unseen_entities(davis):
    pair_data, _ = davis
    for split_name, keys in (("cold-drug", pair_data.drug_index), ("cold-target", pair_data.protein_index)):
        split = make_split(pair_data, split_name, seed=3)
        assert not set(keys[split["train"]]) & set(keys[split["test"]])
        assert sum(len(v) for v in split.values()) == len(pair_data)


def test_human_random_split(data_available):
    pair_data, split = load_dataset("human", "random")
    assert pair_data.task == "interaction"
    assert [len(split[k]) for k in ("train", "valid", "test")] == [4197, 600, 1200]
    assert set(np.unique(pair_data.y)) == {0.0, 1.0}


def test_csv_bad_rows_are_reported_and_skipped(tmp_path):
    path = tmp_path / "pairs.csv"
    pd.DataFrame({
        "smiles": ["CCO", "C1CC(", "c1ccccc1", "CCN", "CCC", "CCCl", "CCBr"],
        "sequence": [SEQ, SEQ, "", SEQ, SEQ, "MKV123", SEQ.lower()],
        "affinity": ["5.1", "6.0", "7.0", "abc", "nan", "5.5", "6.5"],
    }).to_csv(path, index=False)
    pair_data = read_pairs(path)
    assert pair_data.task == "affinity"
    assert len(pair_data) == 2 and list(pair_data.source_rows) == [0, 6]
    assert set(pair_data.errors) == {1, 2, 3, 4, 5}
    assert "row 2 (line 3)" in pair_data.errors[1] and "invalid SMILES" in pair_data.errors[1]
    assert "empty protein sequence" in pair_data.errors[2]
    assert "'abc' is not a number" in pair_data.errors[3]
    assert "NaN" in pair_data.errors[4]
    assert "unknown letter" in pair_data.errors[5]
    assert pair_data.proteins[pair_data.protein_index[1]] == SEQ  # lower-case cleaned


def test_csv_missing_columns_message(tmp_path):
    path = tmp_path / "bad.csv"
    pd.DataFrame({"smiles": ["CCO"], "protein_seq": [SEQ]}).to_csv(path, index=False)
    with pytest.raises(ValueError, match=r"bad.csv: missing column\(s\) sequence, affinity or label"):
        read_pairs(path)


def test_task_follows_from_the_column(tmp_path):
    path = tmp_path / "labels.csv"
    pd.DataFrame({"SMILES": ["CCO", "CCN"], "Protein": [SEQ, SEQ], "Y": ["1", "0"]}).to_csv(path, index=False)
    assert read_pairs(path).task == "interaction"
    with pytest.raises(ValueError, match="Unknown data"):
        load_dataset("nonexistent_dataset")


def test_human_cold_split_has_unseen_drugs_and_proteins(data_available):
    pair_data, split = load_dataset("human", "cold")
    assert [len(split[k]) for k in ("train", "valid", "test")] == [3453, 155, 311]
    train, test = split["train"], split["test"]
    assert not set(pair_data.drug_index[train]) & set(pair_data.drug_index[test])
    assert not set(pair_data.protein_index[train]) & set(pair_data.protein_index[test])
