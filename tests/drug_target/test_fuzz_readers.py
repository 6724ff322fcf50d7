"""Property-based tests of the readers of user input: pair CSVs (``read_pairs``, ``dta predict``)
and ``.smi`` ligand libraries (``dta screen``).

The invariant, for any file: either one clear error that names the file (a ValueError), or every
record comes back, in input order, either used or with an error that names its row and the line
it starts on. A tiny untrained DeepDTA is built once for the module; nothing is trained.
"""

import csv
import io
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("hypothesis")
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from apps.drug_target.chemistry import canonicalize_smiles  # noqa: E402
from apps.drug_target.data import read_pairs  # noqa: E402

SEQ = "MKVLLEAGHKWYRSTPQNDCFI"
HEADERS = ("smiles,sequence,affinity", "SMILES,Protein,Y", "compound_iso_smiles,target_sequence,label")
# No NUL (a NUL makes the whole file binary, tested apart) and no surrogates (not encodable).
TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=16)
SMILES = st.one_of(
    st.sampled_from(["CCO", "c1ccccc1", "CC(=O)O", "[Na+].[Cl-]", "C1CC(", "not_smiles", "", " ", "CCé",
                     "C C", "C\nC", "C" * 3000, "C" * 140_000, "CC\x01C"]),
    TEXT,
)
SEQUENCES = st.one_of(
    st.sampled_from([SEQ, SEQ.lower(), f" {SEQ}\n{SEQ} ", "", "ACGT" * 10, ">sp|P1", "MKV123", "A" * 140_000]),
    st.text("ACDEFGHIKLMNPQRSTVWYXJ \n\r\t", max_size=30),
)
TARGETS = st.one_of(st.sampled_from(["5.0", "0", "1", "abc", "", "nan", "inf", " 7 ", "-3e2", "1e39"]), TEXT)
RECORDS = st.lists(st.tuples(SMILES, SEQUENCES, TARGETS), max_size=10)


def _lines(text: str) -> list:
    """Lines as the readers (and csv) count them: ends at \\n, \\r\\n or \\r."""
    return io.StringIO(text, newline="").readlines()


def _check_partition(pair_data, lines, name):
    """Every input row is used or has an error naming it; rows, lines and order line up."""
    errors, used = pair_data.errors, [int(r) for r in pair_data.source_rows]
    assert not set(errors) & set(used)
    assert sorted([*errors, *used]) == list(range(len(lines)))
    assert used == sorted(used)
    for row, message in errors.items():
        assert message.startswith(f"{name} row {row + 1} (line {lines[row]}): "), message
    assert list(lines) == sorted(set(lines))


@given(records=RECORDS, header=st.sampled_from(HEADERS), terminator=st.sampled_from(["\n", "\r\n"]),
       quoting=st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC]),
       blanks=st.lists(st.sampled_from(["", "   ", "\t"]), max_size=10))
def test_fuzz_wellformed_pair_csv_keeps_every_record(records, header, terminator, quoting, blanks):
    # A valid CSV (quoted fields over several lines, blank lines, CRLF): each record is one row,
    # numbered from 1, on the line the writer put it.
    if terminator == "\n" and quoting == csv.QUOTE_MINIMAL:
        # csv.writer quotes a field only for the characters of its own line end: a lone \r would
        # be written bare and read back (as by any CSV reader) as a line break.
        records = [tuple(field.replace("\r", "") for field in record) for record in records]
    out = io.StringIO()
    writer = csv.writer(out, quoting=quoting, lineterminator=terminator)
    out.write(header + terminator)
    starts = []
    for index, record in enumerate(records):
        if index < len(blanks):
            out.write(blanks[index] + terminator)
        starts.append(len(_lines(out.getvalue())) + 1)
        writer.writerow(record)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "pairs.csv"
        path.write_text(out.getvalue(), encoding="utf-8", newline="")
        pair_data = read_pairs(path)
    assert pair_data.input_lines == starts
    _check_partition(pair_data, starts, "pairs.csv")
    assert np.isfinite(pair_data.y).all()
    for position, row in enumerate(pair_data.source_rows):
        smiles, _, target = records[row]
        assert pair_data.drugs[pair_data.drug_index[position]] == canonicalize_smiles(smiles)
        assert pair_data.y[position] == np.float32(float(target))


# Lines of a damaged CSV: good records, stray and unclosed quotes, wrong field counts,
# separators of another dialect, bytes that are not UTF-8, huge fields, noise.
GOOD_LINES = st.builds(lambda s, q, t: f"{s},{q},{t}".encode(),
                      st.sampled_from(["CCO", "c1ccccc1", "CC(=O)O", "C1CC("]), st.sampled_from([SEQ, SEQ, "MKV1"]),
                      st.sampled_from(["5", "1", "0", "x"]))
DAMAGED_LINES = st.one_of(
    GOOD_LINES,
    GOOD_LINES,
    st.sampled_from([b'CCN,"MKV,5', b'"', b'""', b'CCO,"MKV"x,5', b'CCO,MKV', b'CCO,MKV,5,6,7', b",,", b"   ", b"",
                     b"CCO;MKV;5", b"CC\xe9O,MKV,5", b"CCO,MKV,\xff\xfe", b"C" * 140_000 + b"," + SEQ.encode() + b",5",
                     b'CCO,"MK\nV",5']),
    TEXT.map(lambda text: text.encode()),
    st.binary(max_size=12),
)


@given(header=st.sampled_from([*HEADERS * 3, "smiles,affinity", "", '"smiles,sequence', "\ufeffsmiles,sequence,y"]),
       body=st.lists(DAMAGED_LINES, max_size=12),
       start=st.sampled_from([b""] * 6 + [b"\xef\xbb\xbf", b"\x89PNG\r\n"]),
       terminator=st.sampled_from([b"\n", b"\r\n", b"\r"]))
def test_fuzz_damaged_pair_csv_reports_every_record(header, body, start, terminator):
    content = start + header.encode() + terminator + terminator.join(body) + terminator
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "pairs.csv"
        path.write_bytes(content)
        try:
            pair_data = read_pairs(path)
        except ValueError as error:  # the whole file: binary, empty, no header, missing columns
            assert str(error).startswith((f"{path}:", f"{path} line ", "pairs.csv: missing column")), error
            return
    lines = pair_data.input_lines
    _check_partition(pair_data, lines, "pairs.csv")
    if b'"' not in content:
        # Without quotes every non-blank line after the header is one record, on its own line.
        text_lines = _lines(content.decode("utf-8", "surrogateescape").removeprefix("\ufeff"))
        non_blank = [number for number, line in enumerate(text_lines, start=1) if line.strip()]
        assert lines == non_blank[1:]


@pytest.fixture(scope="module")
def tiny_model():
    from apps.drug_target.model import build_deepdta

    return build_deepdta("affinity", smiles_length=24, protein_length=32, embed_dim=4, filters=(2, 2, 2),
                         hidden_units=(4,), dropout=0.0)


@given(header=st.sampled_from(HEADERS[:2]), body=st.lists(DAMAGED_LINES, max_size=8))
def test_fuzz_predict_keeps_every_row_in_order(tiny_model, header, body):
    from apps.drug_target.predict import predict_file

    content = header.encode() + b"\n" + b"\n".join(body) + b"\n"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "pairs.csv"
        path.write_bytes(content)
        try:
            out_path, pair_data = predict_file(tiny_model, path, Path(folder) / "out.csv")
        except ValueError as error:
            assert str(error).startswith(f"{path}:"), error
            return
        frame = pd.read_csv(out_path, dtype=str, keep_default_na=False)
    rows = len(pair_data) + len(pair_data.errors)
    assert list(frame["row"].astype(int)) == list(range(1, rows + 1))
    assert ((frame["prediction"] != "") != (frame["error"] != "")).all()
    for row, error, note, line in zip(frame["row"], frame["error"], frame["note"], pair_data.input_lines):
        for message in (error, note):
            assert message == "" or message.startswith(f"pairs.csv row {row} (line {line}): "), message
    assert (frame["note"] != "").sum() == len(pair_data.notes)
    assert len(pair_data.notes) >= max(pair_data.truncated.values())


LIGAND_LINES = st.one_of(
    st.builds(lambda s, n: f"{s} {n}".strip(), st.sampled_from(["CCO", "c1ccccc1", "C1CC(", "CCé", "C" * 30]),
              st.sampled_from(["", "ethanol", "two words", "naïve"])),
    st.sampled_from(["# comment", "", "   ", "smiles name", "\tCCN\t", "C" * 140_000, "CCO\x0bname"]),
    TEXT.filter(lambda text: "\n" not in text and "\r" not in text),
)


@given(lines=st.lists(st.one_of(LIGAND_LINES.map(str.encode), st.binary(max_size=8)), max_size=10),
       terminator=st.sampled_from([b"\n", b"\r\n"]))
def test_fuzz_screen_keeps_every_ligand(tiny_model, lines, terminator):
    from apps.drug_target.predict import screen

    content = terminator.join(lines) + terminator
    # The ligands, as the .smi format defines them: each line that is not blank, a comment or a
    # leading "smiles" header.
    expected = []
    for number, line in enumerate(_lines(content.decode("utf-8", "surrogateescape").removeprefix("\ufeff")), start=1):
        text = line.strip()
        if text and not text.startswith("#") and not (not expected and text.split()[0].lower() == "smiles"):
            expected.append(number)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "lib.smi"
        path.write_bytes(content)
        try:
            summary, pair_data = screen(tiny_model, SEQ, path, Path(folder) / "screen", top=3)
        except ValueError as error:
            message = str(error)
            assert message.startswith(f"{path}: "), message
            if "none of its" in message:
                assert message.startswith(f"{path}: none of its {len(expected)} ligands"), message
                assert not (Path(folder) / "screen").exists()
            else:
                assert "not a text file" in message or (not expected and "no SMILES found" in message), message
            return
        ranked = pd.read_csv(Path(folder) / "screen" / "ranked.csv", dtype=str, keep_default_na=False)
    assert summary["ligands"] == len(expected) == len(ranked)
    assert summary["scored"] + summary["errors"] == len(expected)
    assert sorted(ranked["row"].astype(int)) == list(range(1, len(expected) + 1))
    for row, error, prediction in zip(ranked["row"].astype(int), ranked["error"], ranked["prediction"]):
        assert (error == "") == (prediction != "")
        assert error == "" or error.startswith(f"lib.smi row {row} (line {expected[row - 1]}): "), error
