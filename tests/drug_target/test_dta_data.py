import hashlib
import json
import pickle
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from apps.drug_target.cli import main
from apps.drug_target.data import load_dataset, load_matrix_dataset, make_split, read_pairs
from shared import data as shared_data
from tests.testing import run_cli

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


class _Payload:
    """A pickle that touches ``marker`` when it is loaded: proof that a file was unpickled."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


@pytest.mark.parametrize("where", ["CNNKIT_DATA", "cache"])
def test_a_tampered_davis_pickle_is_refused_before_unpickling(tmp_path, monkeypatch, capsys, data_available, where):
    # A copy of the few Davis files in a temporary tree, with the matrix Y replaced.
    root = tmp_path / "data" if where == "CNNKIT_DATA" else tmp_path / "cache" / "data"
    davis = root / "dta" / "davis"
    (davis / "folds").mkdir(parents=True)
    source = data_available / "dta" / "davis"
    for name in ("ligands_can.txt", "proteins.txt", "folds/train_fold_setting1.txt", "folds/test_fold_setting1.txt"):
        shutil.copyfile(source / name, davis / name)
    marker = tmp_path / "unpickled"
    tampered = pickle.dumps(_Payload(marker))
    (davis / "Y").write_bytes(tampered)
    monkeypatch.setenv("CNNKIT_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("CNNKIT_CACHE", str(tmp_path / "cache"))
    code, _, err = run_cli(main, ["train", "--data", "davis", "--out", tmp_path / "run"], capsys)
    assert not marker.exists(), "the tampered pickle was unpickled"
    assert code == 2
    expected = shared_data.DATASETS["davis"]["files"]["Y"][0]
    assert err == (f"error: Checksum mismatch for {davis / 'Y'}: expected sha256 {expected}, got "
                   f"{hashlib.sha256(tampered).hexdigest()}. The file is corrupt or a different version; "
                   "delete it and download again.\n")
    # The genuine file loads, and its passed check is remembered in the cache.
    shutil.copyfile(source / "Y", davis / "Y")
    assert len(load_matrix_dataset("davis")) == 30056
    assert str((davis / "Y").resolve()) in json.loads(shared_data.verified_checksums_file().read_text())


def test_row_numbers_are_the_record_and_the_line_it_starts_on(tmp_path):
    # Row 1 holds a quoted sequence over three lines and a blank line precedes row 3: rows count
    # records, lines are the file's.
    path = tmp_path / "pairs.csv"
    path.write_text(f'smiles,sequence,affinity\nCCO,"{SEQ[:8]}\n{SEQ[8:16]}\n{SEQ[16:]}",5.0\n'
                    f"C1CC(,{SEQ},6.0\n\nCCN,{SEQ},abc\n")
    pair_data = read_pairs(path)
    assert len(pair_data) == 1 and pair_data.proteins == [SEQ]
    assert pair_data.errors == {
        1: "pairs.csv row 2 (line 5): invalid SMILES: RDKit could not parse SMILES 'C1CC('",
        2: "pairs.csv row 3 (line 7): affinity 'abc' is not a number",
    }


def test_a_malformed_record_costs_only_its_own_row(tmp_path):
    path = tmp_path / "pairs.csv"
    path.write_bytes(
        b"smiles,sequence,affinity\n"
        b"CCO,%(s)s,5.0\n"              # row 1 (line 2)
        b'CCN,"%(s)s,6.0\n'             # row 2: a stray quote (csv pairs it with row 8's)
        b"CCC,%(s)s,7.0\n"              # row 3
        b"CCCl,%(s)s\n"                 # row 4: a field short
        b"CCBr,%(s)s,5.5,extra\n"       # row 5: a field too many
        b"CC\xe9,%(s)s,5.0\n"           # row 6: a byte that is not UTF-8 (latin-1)
        b"CCOC,%(s)s,6.5,,\n"           # row 7: trailing empty fields are harmless
        b'CCS,%(s)s,"4\n.5"\n' % {b"s": SEQ.encode()}  # row 8: a quoted number over two lines
    )
    pair_data = read_pairs(path)
    assert list(pair_data.source_rows) == [0, 2, 6]
    assert pair_data.errors == {
        1: "pairs.csv row 2 (line 3): a quoted field opened on this line is not closed properly "
           "(',' expected after '\"' on line 9); reading goes on at line 4",
        3: "pairs.csv row 4 (line 5): 2 fields, but the header has 3",
        4: "pairs.csv row 5 (line 6): 4 fields, but the header has 3",
        5: "pairs.csv row 6 (line 7): not UTF-8 text (byte 0xe9 in column smiles)",
        7: "pairs.csv row 8 (line 9): affinity '4\\n.5' is not a number",
    }
    # A quote that nothing closes runs to the end of the file: it too costs one row.
    path.write_text(f'smiles,sequence,affinity\nCCO,{SEQ},5\nCCN,"{SEQ},6\nCCC,{SEQ},7\n\n')
    pair_data = read_pairs(path)
    assert list(pair_data.source_rows) == [0, 2] and pair_data.errors == {
        1: "pairs.csv row 2 (line 3): a quoted field opened on this line is never closed (reading goes on at line 4)"}


@pytest.mark.parametrize("content, problem", [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a text file (a PNG image)"),
    (b"smiles,sequence,affinity\nCC\x00O,MKV,5\n", "not a text file (it holds NUL bytes)"),
    (b"", "empty file"),
    (b"\n\n  \n", "empty file"),
])
def test_files_that_are_not_csv_text_are_named(tmp_path, content, problem):
    path = tmp_path / "pairs.csv"
    path.write_bytes(content)
    with pytest.raises(ValueError) as error:
        read_pairs(path)
    assert str(error.value).startswith(f"{path}: {problem}; expected a CSV with columns smiles, sequence")


def test_huge_and_non_ascii_smiles_are_row_errors(tmp_path):
    # RDKit crashes the process on SMILES of tens of thousands of atoms and silently drops
    # what follows a non-ASCII character ("CCé" -> "CC"); both are refused before RDKit.
    path = tmp_path / "pairs.csv"
    path.write_text(f"smiles,sequence,affinity\n{'C' * 200_000},{SEQ},5\nCCé,{SEQ},5\nCCO,{SEQ},5\n",
                    encoding="utf-8")
    pair_data = read_pairs(path)
    assert list(pair_data.source_rows) == [2]
    assert pair_data.errors[0] == ("pairs.csv row 1 (line 2): invalid SMILES: SMILES of 200000 characters; "
                                   "at most 2000 are read")
    assert pair_data.errors[1] == "pairs.csv row 2 (line 3): invalid SMILES: SMILES 'CCé' holds 'é', not ASCII"


def test_targets_beyond_float32_are_row_errors(tmp_path):
    path = tmp_path / "pairs.csv"
    path.write_text(f"smiles,sequence,affinity\nCCO,{SEQ},1e39\nCCN,{SEQ},-1e300\nCCC,{SEQ},7\nCCCC,{SEQ},-inf\n")
    pair_data = read_pairs(path)
    assert list(pair_data.source_rows) == [2] and np.isfinite(pair_data.y).all()
    assert pair_data.errors == {0: "pairs.csv row 1 (line 2): affinity '1e39' is out of range",
                                1: "pairs.csv row 2 (line 3): affinity '-1e300' is out of range",
                                3: "pairs.csv row 4 (line 5): affinity is -inf (NaN/inf)"}
