"""Datasets: Davis and KIBA matrices (DeepDTA setting 1), Human / BindingDB / user CSVs.

Everything becomes a :class:`PairData`: unique drugs (RDKit-canonical SMILES), unique
proteins (cleaned sequences) and pairs that index them. Keeping entities unique is what
lets the entity-batched trainer encode each drug/protein once per step.

A user's file is read record by record (:func:`read_table`): every record is either used or
reported as ``<file> row N (line L): what is wrong``, where N counts the records after the
header and L is the line the record starts on; never a crash halfway. A record that cannot be
parsed (bad quoting, a quote never closed) costs only its first line: reading goes on at the
next line, so one stray quote does not swallow the rest of the file.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from apps.drug_target.chemistry import canonicalize_smiles, short_repr
from apps.drug_target.options import DEFAULT_VALID_FRACTION
from apps.drug_target.proteins import clean_sequence
from shared import data as shared_data
from shared.csv_records import CsvRecords
from shared.validation import Interval, invalid_parameter

MATRIX_DATASETS = ("davis", "kiba")
CSV_DATASETS = ("human", "bindingdb_sample")
# The names load_dataset accepts besides a CSV path ("bindingdb" is the BindingDB sample).
DATASETS = ("davis", "kiba", "human", "bindingdb")
SPLITS = ("setting1", "random", "cold-drug", "cold-target", "cold")

SMILES_COLUMNS = ("smiles", "compound_iso_smiles", "drug", "ligand")
SEQUENCE_COLUMNS = ("sequence", "protein", "target_sequence", "target")
AFFINITY_COLUMNS = ("affinity", "pkd", "kiba")
LABEL_COLUMNS = ("label", "y", "interaction")
CSV_EXPECTED = "a CSV with columns smiles, sequence and (to train or evaluate) affinity or label"


@dataclasses.dataclass
class PairData:
    """Unique drugs and proteins plus (drug, protein, target) pairs."""

    drugs: list            # canonical SMILES, one per unique drug
    proteins: list         # cleaned sequences, one per unique protein
    drug_index: np.ndarray     # (n_pairs,) int index into drugs
    protein_index: np.ndarray  # (n_pairs,) int index into proteins
    y: np.ndarray | None       # (n_pairs,) float targets (pKd / KIBA score / 0-1 label)
    task: str = "affinity"
    name: str = "pairs"
    drug_ids: list | None = None
    protein_ids: list | None = None
    source_rows: np.ndarray | None = None   # input row of each pair (CSV input)
    errors: dict = dataclasses.field(default_factory=dict)  # input row -> message
    splits: dict = dataclasses.field(default_factory=dict)  # name -> pair indices
    input_lines: list | None = None  # the line each input row starts on (file input)
    notes: dict = dataclasses.field(default_factory=dict)   # input row -> note on a scored row
    truncated: dict = dataclasses.field(default_factory=dict)  # what predict cut: name -> rows

    def where(self, row: int) -> str:
        """``"<file> row N (line L)"`` for input row ``row`` (0-based)."""
        return row_label(self.name, row, self.input_lines)

    def __len__(self):
        return int(self.drug_index.size)

    def subset(self, indices) -> PairData:
        indices = np.asarray(indices, dtype=np.int64)
        return dataclasses.replace(
            self, drug_index=self.drug_index[indices], protein_index=self.protein_index[indices],
            y=None if self.y is None else self.y[indices],
            source_rows=None if self.source_rows is None else self.source_rows[indices],
            splits={},
        )

    def smiles(self) -> list:
        return [self.drugs[i] for i in self.drug_index]

    def sequences(self) -> list:
        return [self.proteins[i] for i in self.protein_index]


def _ordered_json(file_path: Path) -> list:
    # JSON objects keep file order in Python 3.7+ dicts; order = matrix row/column order.
    with open(file_path, encoding="utf-8") as handle:
        return list(json.load(handle).items())


def load_matrix_dataset(name: str) -> PairData:
    """Davis or KIBA as distributed with DeepDTA; Davis Kd (nM) becomes pKd = -log10(Kd/1e9)."""
    if name not in MATRIX_DATASETS:
        raise ValueError(f"Unknown matrix dataset {name!r}; expected one of {MATRIX_DATASETS}.")
    # Y is a pickle: load_pickle unpickles it only once its sha256 matches the registry.
    matrix = np.asarray(shared_data.load_pickle(name, "Y", encoding="latin1"), dtype=np.float64)
    ligands = _ordered_json(shared_data.path(name, "ligands_can.txt"))
    proteins = _ordered_json(shared_data.path(name, "proteins.txt"))
    if matrix.shape != (len(ligands), len(proteins)):
        raise ValueError(
            f"{name}: Y has shape {matrix.shape} but ligands_can.txt/proteins.txt list "
            f"{len(ligands)} drugs and {len(proteins)} proteins."
        )
    if name == "davis":
        matrix = -np.log10(matrix / 1e9)
    errors = {}
    drugs = []
    for row, (drug_id, smiles) in enumerate(ligands):
        try:
            drugs.append(canonicalize_smiles(smiles))
        except ValueError as error:
            errors[f"drug {row} ({drug_id})"] = str(error)
            drugs.append(None)
    sequences = []
    for column, (protein_id, sequence) in enumerate(proteins):
        try:
            sequences.append(clean_sequence(sequence))
        except ValueError as error:
            errors[f"protein {column} ({protein_id})"] = str(error)
            sequences.append(None)
    # DeepDTA's fold indices point into this flattened list of measured positions.
    rows, cols = np.where(~np.isnan(matrix))
    pair_data = PairData(
        drugs=drugs, proteins=sequences, drug_index=rows.astype(np.int64),
        protein_index=cols.astype(np.int64), y=matrix[rows, cols].astype(np.float32),
        task="affinity", name=name, drug_ids=[k for k, _ in ligands],
        protein_ids=[k for k, _ in proteins], errors=errors,
    )
    with open(shared_data.path(name, "folds/train_fold_setting1.txt")) as handle:
        train_folds = [np.asarray(fold, dtype=np.int64) for fold in json.load(handle)]
    with open(shared_data.path(name, "folds/test_fold_setting1.txt")) as handle:
        test_fold = np.asarray(json.load(handle), dtype=np.int64)
    pair_data.splits = {f"fold{i + 1}": fold for i, fold in enumerate(train_folds)}
    pair_data.splits["test"] = test_fold
    bad = np.array([drugs[d] is None or sequences[p] is None for d, p in zip(rows, cols)])
    if bad.any():  # keep indices aligned with the folds, but never train on a bad entity
        for key in pair_data.splits:
            pair_data.splits[key] = np.array([i for i in pair_data.splits[key] if not bad[i]])
    return pair_data


def row_label(name: str, row: int, lines=None) -> str:
    """``"<name> row N (line L)"``: N counts records after the header from 1, L is the line the
    record starts on (left out when the input was not a file)."""
    return f"{name} row {row + 1}" + (f" (line {lines[row]})" if lines is not None else "")


# Files that start like this are not text, whatever their name says.
_BINARY_SIGNATURES = (
    (b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"), (b"GIF8", "a GIF image"),
    (b"%PDF-", "a PDF document"), (b"PK\x03\x04", "a ZIP archive"), (b"\x1f\x8b", "a gzip file"),
    (b"\xfd7zXZ\x00", "an xz file"), (b"\x7fELF", "a program"),
    (b"\xff\xfe", "UTF-16 text; save it as UTF-8"), (b"\xfe\xff", "UTF-16 text; save it as UTF-8"),
)


def read_text(path, expected: str) -> str:
    """The text of a user's file, refused with a ValueError naming ``path`` and what was
    ``expected`` when it is binary: a known binary signature, or a NUL byte in its first 8 KB
    (the test git and grep use). Decoded as UTF-8 (a byte-order mark is dropped); a byte that
    is not UTF-8 is kept as a surrogate (``surrogateescape``) so that the record holding it can
    be reported on its own (:func:`undecodable`)."""
    content = Path(path).read_bytes()
    kind = next((kind for signature, kind in _BINARY_SIGNATURES if content.startswith(signature)), None)
    if kind is None and b"\x00" in content[:8192]:
        kind = "it holds NUL bytes"
    if kind is not None:
        raise ValueError(f"{path}: not a text file ({kind}); expected {expected}.")
    text = content.decode("utf-8", errors="surrogateescape")
    return text[1:] if text.startswith("\ufeff") else text


def undecodable(text: str) -> str | None:
    """``"byte 0x.."`` for the first byte of ``text`` that was not UTF-8 (see :func:`read_text`)."""
    for ch in text:
        if "\udc80" <= ch <= "\udcff":
            return f"byte 0x{ord(ch) - 0xDC00:02x}"
    return None


def printable(text: str) -> str:
    """``text`` with the bytes that were not UTF-8 shown as U+FFFD (so that it can be written)."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


@dataclasses.dataclass
class InputRecords:
    """The records of a user's file: ``frame`` (strings, one row per record, the header's
    columns), the line each record starts on, and the records that could not be read
    (row -> what is wrong; they are reported, never used)."""

    frame: pd.DataFrame
    lines: list | None
    errors: dict
    name: str


def _column_names(header: list) -> list:
    """Header names made unique as pandas does (``x``, ``x.1``; an empty name ``Unnamed: i``)."""
    names, seen = [], {}
    for index, raw in enumerate(header):
        name = printable(raw).strip() or f"Unnamed: {index}"
        if name in seen:
            seen[name] += 1
            name = f"{name}.{seen[name]}"
        else:
            seen[name] = 0
        names.append(name)
    return names


def _csv_records(lines: list, delimiter: str, path):
    """Parse ``lines`` (kept line ends) as CSV: ``(header, [(first line, fields, problem)])``.

    Blank lines are skipped. A record that cannot be parsed, or that spans several lines and
    has the wrong number of fields (a stray quote joined lines), costs its first line: parsing
    starts again on the next line (:class:`shared.csv_records.CsvRecords`).
    """
    header, records = None, []
    parsed = CsvRecords(lines, delimiter)
    for first, last, fields in parsed:
        if isinstance(fields, csv.Error):
            if header is None:
                raise ValueError(f"{path} line {first}: cannot read the header ({fields}); "
                                 f"expected {CSV_EXPECTED}.") from None
            then = f"reading goes on at line {first + 1}" if first < len(lines) else "it is the last line"
            if str(fields) == "unexpected end of data":
                problem = f"a quoted field opened on this line is never closed ({then})"
            elif last > first:
                problem = (f"a quoted field opened on this line is not closed properly ({fields} on line "
                           f"{last}); {then}")
            else:
                problem = f"bad quoting: {fields}; {then}"
            records.append((first, None, problem))
            continue
        if not fields or (len(fields) == 1 and not fields[0].strip()):
            continue  # a blank line
        if header is None:
            header = fields
            continue
        while len(fields) > len(header) and not fields[-1].strip():
            fields = fields[:-1]  # trailing empty fields (a spreadsheet's extra commas)
        problem = None
        if len(fields) != len(header):
            problem = f"{len(fields)} fields, but the header has {len(header)}"
            if last > first:
                then = f"reading goes on at line {first + 1}"
                records.append((first, None, f"{problem} (the record runs to line {last}; {then})"))
                parsed.reject(first)
                continue
        records.append((first, fields, problem))
    return header, records


def read_table(path, name: str | None = None) -> InputRecords:
    """Read a user's CSV (a ``.tsv`` is tab-separated) record by record; see the module doc.

    A file that is missing, binary, empty or has an unreadable header raises (naming it); any
    other problem is a record's: too few or too many fields, bad quoting, bytes that are not
    UTF-8. Those records are kept in ``errors`` with their line, never dropped.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file; expected {CSV_EXPECTED}.")
    text = read_text(path, CSV_EXPECTED)
    lines = io.StringIO(text, newline="").readlines()  # the line ends csv and editors count
    header, records = _csv_records(lines, "\t" if path.suffix.lower() == ".tsv" else ",", path)
    if header is None:
        raise ValueError(f"{path}: empty file; expected {CSV_EXPECTED}.")
    columns = _column_names(header)
    rows, starts, errors = [], [], {}
    for row, (first, fields, problem) in enumerate(records):
        fields = list(fields or [])
        if problem is None:
            bad = next(((column, undecodable(field)) for column, field in zip(columns, fields)
                        if undecodable(field)), None)
            if bad:
                problem = f"not UTF-8 text ({bad[1]} in column {bad[0]})"
        if problem is not None:
            errors[row] = problem
        fields = [printable(field) for field in fields[:len(columns)]]
        rows.append(fields + [""] * (len(columns) - len(fields)))
        starts.append(first)
    frame = pd.DataFrame(rows, columns=columns, dtype=object) if rows else pd.DataFrame(columns=columns)
    return InputRecords(frame=frame.astype(str), lines=starts, errors=errors, name=name or path.name)


def _find_column(columns, candidates):
    lowered = {c.strip().lower(): c for c in columns}
    for candidate in candidates:
        if candidate in lowered:
            return lowered[candidate]
    return None


def _checked_once(cache, value, check, what):
    """``check(value)``, computed once per distinct value (big tables repeat drugs and proteins);
    a failure is cached too and raised again as ``ValueError("{what}: ...")`` for every row."""
    if value not in cache:
        try:
            cache[value] = check(value)
        except ValueError as error:
            cache[value] = error
    result = cache[value]
    if isinstance(result, ValueError):
        raise ValueError(f"{what}: {result}")
    return result


def read_pairs(source, task: str | None = None, require_target: bool = True,
               name: str | None = None, progress=None) -> PairData:
    """Read pairs with ``smiles``, ``sequence`` and ``affinity``/``label`` columns from a CSV
    path, a DataFrame or :class:`InputRecords`.

    The task follows from the column when ``task`` is None (``label``/``Y`` with 0/1 values
    is interaction, otherwise affinity). Records that cannot be read, invalid SMILES, bad
    sequences, missing, non-numeric or NaN targets are reported in ``errors`` by input row
    (``<file> row N (line L): ...``, see :func:`row_label`) and skipped; the pairs keep input
    order via ``source_rows``. ``progress``, when given, is called with 1 for every row checked
    (a progress bar's ``update``).
    """
    if isinstance(source, InputRecords):
        records = source
    elif isinstance(source, pd.DataFrame):
        records = InputRecords(frame=source.astype(str), lines=None, errors={}, name="input")
    else:
        records = read_table(source)
    label = name or records.name
    frame, lines = records.frame, records.lines
    smiles_column = _find_column(frame.columns, SMILES_COLUMNS)
    sequence_column = _find_column(frame.columns, SEQUENCE_COLUMNS)
    missing = [what for what, col in (("smiles", smiles_column), ("sequence", sequence_column)) if col is None]
    affinity_column = _find_column(frame.columns, AFFINITY_COLUMNS)
    label_column = _find_column(frame.columns, LABEL_COLUMNS)
    if task not in (None, "affinity", "interaction"):
        raise ValueError(f"task must be 'affinity' or 'interaction', got {task!r}.")
    target_column = None
    if require_target:
        if task == "affinity":
            target_column = affinity_column or label_column
        elif task == "interaction":
            target_column = label_column or affinity_column
        else:
            target_column = affinity_column or label_column
        if target_column is None:
            missing.append("affinity or label")
    if missing:
        raise ValueError(
            f"{label}: missing column(s) {', '.join(missing)} (found: {', '.join(map(str, frame.columns))}); "
            "expected columns smiles, sequence and affinity or label."
        )
    raw_targets = None
    if target_column is not None:
        raw_targets = frame[target_column].tolist()
        if task is None:
            if target_column == affinity_column:
                task = "affinity"
            else:
                values = set()
                for v in raw_targets:
                    try:
                        values.add(float(v))
                    except ValueError:
                        pass
                task = "interaction" if values <= {0.0, 1.0} else "affinity"
    errors = {}
    drug_lookup, protein_lookup = {}, {}
    drugs, proteins, drug_index, protein_index, ys, rows = [], [], [], [], [], []
    smiles_cache, sequence_cache = {}, {}
    for row, (smiles, sequence) in enumerate(zip(frame[smiles_column], frame[sequence_column])):
        if progress is not None:
            progress(1)
        where = row_label(label, row, lines)
        try:
            if row in records.errors:
                raise ValueError(records.errors[row])
            canonical = _checked_once(smiles_cache, smiles, canonicalize_smiles, "invalid SMILES")
            clean = _checked_once(sequence_cache, sequence, clean_sequence, "invalid sequence")
            value = np.nan
            if raw_targets is not None:
                text = str(raw_targets[row]).strip()
                if not text:
                    raise ValueError(f"{target_column} is empty")
                try:
                    value = float(text)
                except ValueError:
                    raise ValueError(f"{target_column} {short_repr(text)} is not a number") from None
                if not np.isfinite(value):
                    raise ValueError(f"{target_column} is {text} (NaN/inf)")
                if abs(value) > float(np.finfo(np.float32).max):  # targets are float32: it would be inf
                    raise ValueError(f"{target_column} {short_repr(text)} is out of range")
                if task == "interaction" and value not in (0.0, 1.0):
                    raise ValueError(f"{target_column} {short_repr(text)} is not a 0/1 interaction label")
        except ValueError as error:
            errors[row] = f"{where}: {error}"
            continue
        if canonical not in drug_lookup:
            drug_lookup[canonical] = len(drugs)
            drugs.append(canonical)
        if clean not in protein_lookup:
            protein_lookup[clean] = len(proteins)
            proteins.append(clean)
        drug_index.append(drug_lookup[canonical])
        protein_index.append(protein_lookup[clean])
        ys.append(value)
        rows.append(row)
    return PairData(
        drugs=drugs, proteins=proteins, drug_index=np.asarray(drug_index, dtype=np.int64),
        protein_index=np.asarray(protein_index, dtype=np.int64),
        y=np.asarray(ys, dtype=np.float32) if raw_targets is not None else None,
        task=task or "affinity", name=label, source_rows=np.asarray(rows, dtype=np.int64),
        errors=errors, input_lines=lines,
    )


def concatenate(parts: dict) -> PairData:
    """Join several PairData (e.g. train/val/test CSVs) into one with named splits."""
    drugs, proteins, d_lookup, p_lookup = [], [], {}, {}
    d_all, p_all, y_all, splits, errors, offset = [], [], [], {}, {}, 0
    task = None
    for split_name, part in parts.items():
        task = task or part.task
        for smiles in part.drugs:
            if smiles not in d_lookup:
                d_lookup[smiles] = len(drugs)
                drugs.append(smiles)
        for sequence in part.proteins:
            if sequence not in p_lookup:
                p_lookup[sequence] = len(proteins)
                proteins.append(sequence)
        d_map = np.array([d_lookup[s] for s in part.drugs], dtype=np.int64)
        p_map = np.array([p_lookup[s] for s in part.proteins], dtype=np.int64)
        d_all.append(d_map[part.drug_index] if len(part) else np.zeros(0, np.int64))
        p_all.append(p_map[part.protein_index] if len(part) else np.zeros(0, np.int64))
        y_all.append(part.y)
        splits[split_name] = np.arange(offset, offset + len(part))
        errors.update({f"{split_name}:{k}": v for k, v in part.errors.items()})
        offset += len(part)
    return PairData(
        drugs=drugs, proteins=proteins, drug_index=np.concatenate(d_all),
        protein_index=np.concatenate(p_all), y=np.concatenate(y_all), task=task,
        name="+".join(parts), errors=errors, splits=splits,
    )


def load_csv_dataset(name: str, split_folder: str = "random") -> PairData:
    """Human (``random``/``cold`` folders) or the BindingDB sample: train/val/test CSVs."""
    prefix = f"{split_folder}/" if name == "human" else ""
    parts = {}
    for part, file in (("train", "train.csv"), ("valid", "val.csv"), ("test", "test.csv")):
        parts[part] = read_pairs(shared_data.path(name, prefix + file), task="interaction",
                                 name=f"{name}/{prefix}{file}")
    combined = concatenate(parts)
    combined.name = name
    return combined


def _checked_valid_fraction(valid_fraction, split, available):
    """``valid_fraction`` when it leaves pairs to train on: below ``available``, the share the
    training and validation parts have together (``cold`` draws it from the non-test pairs)."""
    if not Interval(0, 1, "neither").is_satisfied_by(valid_fraction):
        raise invalid_parameter("make_split", "valid_fraction", "a float in (0, 1)", valid_fraction)
    if split != "cold" and valid_fraction >= available:
        raise invalid_parameter("make_split", "valid_fraction", f"a float in (0, {available:g}) with split {split!r} "
                                f"(the test part takes {round(1 - available, 10):g})", valid_fraction)
    return float(valid_fraction)


def make_split(pair_data: PairData, split: str, seed: int = 0, fractions=(0.8, 0.1, 0.1),
               full_train: bool = False, valid_fraction: float | None = None) -> dict:
    """Pair indices for ``train``/``valid``/``test``.

    ``setting1``: DeepDTA folds (train folds 1-4, valid fold 5, test = the test fold).
    ``random``: the given split where the dataset has one (Human, the BindingDB sample), else
    a random 80/10/10 split of the pairs. ``cold-drug`` / ``cold-target``: the drugs (proteins)
    are split 80/10/10, so test entities are never seen in training. ``cold``: Human's cold
    split (both unseen); on other data the pairs whose drug and protein are both among a fifth
    drawn for testing are the test part, and 10% of the pairs with neither are validation.

    ``valid_fraction`` replaces the drawn validation share (0.1: of the pairs for ``random``, of
    the drugs or proteins for ``cold-drug``/``cold-target``, of the non-test pairs for ``cold``);
    a split that comes with its own validation part refuses it. With ``full_train`` no
    validation part is kept: the pairs it would hold train too (the test part is unchanged),
    as when the validation pairs come from elsewhere (``cnnkit dta train --valid``).
    """
    if split not in SPLITS:
        raise ValueError(f"Unknown split {split!r}; expected one of {', '.join(SPLITS)}.")
    if valid_fraction is not None:
        valid_fraction = _checked_valid_fraction(valid_fraction, split, round(fractions[0] + fractions[1], 10))
    parts = _split_parts(pair_data, split, seed, fractions, valid_fraction)
    if full_train:
        parts = {"train": np.concatenate([parts["train"], parts["valid"]]).astype(np.int64),
                 "valid": np.zeros(0, np.int64), "test": parts["test"]}
    return parts


def _given_validation_error(pair_data, split):
    return ValueError(
        f"{pair_data.name}'s {split!r} split comes with its own validation part, so the 'valid_fraction' "
        "parameter (--valid-fraction) does not apply; it sets the share drawn from a CSV's pairs or by "
        "--split cold-drug/cold-target. Give other validation pairs with --valid FILE.csv instead."
    )


def _split_parts(pair_data, split, seed, fractions, valid_fraction):
    splits = pair_data.splits
    rng = np.random.default_rng(seed)
    if split == "setting1":
        if "fold1" not in splits:
            raise ValueError(
                f"split 'setting1' needs DeepDTA folds (davis or kiba); {pair_data.name} has none. "
                "Use --split random, cold-drug or cold-target."
            )
        if valid_fraction is not None:
            raise _given_validation_error(pair_data, split)
        folds = [splits[f"fold{i}"] for i in range(1, 6)]
        return {"train": np.concatenate(folds[:4]), "valid": folds[4], "test": splits["test"]}
    given = {"train", "valid", "test"} <= set(splits)
    # Human ships its own random and cold splits (load_dataset reads the matching folder).
    if given and (split == "random" or (split == "cold" and pair_data.name == "human")):
        if valid_fraction is not None:
            raise _given_validation_error(pair_data, split)
        return {k: splits[k] for k in ("train", "valid", "test")}
    # The training share ends where the validation share starts; the test share stays as it is.
    train_share = fractions[0] if valid_fraction is None else round(fractions[0] + fractions[1] - valid_fraction, 10)
    n = len(pair_data)
    if split == "random":
        order = rng.permutation(n)
        a, b = int(train_share * n), int((fractions[0] + fractions[1]) * n)
        return {"train": order[:a], "valid": order[a:b], "test": order[b:]}
    if split in ("cold-drug", "cold-target"):
        keys = pair_data.drug_index if split == "cold-drug" else pair_data.protein_index
        entities = rng.permutation(np.unique(keys))
        a = int(round(train_share * entities.size))
        b = int(round((fractions[0] + fractions[1]) * entities.size))
        groups = {"train": entities[:a], "valid": entities[a:b], "test": entities[b:]}
        return {k: np.flatnonzero(np.isin(keys, v)) for k, v in groups.items()}
    # cold on data without a given cold split: both drug and protein unseen in test.
    drugs = rng.permutation(np.unique(pair_data.drug_index))
    proteins = rng.permutation(np.unique(pair_data.protein_index))
    d_test = np.isin(pair_data.drug_index, drugs[: max(1, drugs.size // 5)])
    p_test = np.isin(pair_data.protein_index, proteins[: max(1, proteins.size // 5)])
    test = np.flatnonzero(d_test & p_test)
    train_all = np.flatnonzero(~d_test & ~p_test)
    train_all = rng.permutation(train_all)
    cut = int(round(1 - (DEFAULT_VALID_FRACTION if valid_fraction is None else valid_fraction), 10) * train_all.size)
    return {"train": np.sort(train_all[:cut]), "valid": np.sort(train_all[cut:]), "test": test}


def load_dataset(source: str, split: str | None = None, seed: int = 0, task: str | None = None,
                 full_train: bool = False, valid_fraction: float | None = None):
    """Load a named dataset or a CSV and split it (:func:`make_split`). Returns (PairData, split dict)."""
    if source in MATRIX_DATASETS:
        pair_data = load_matrix_dataset(source)
        split = split or "setting1"
    elif source in CSV_DATASETS or source == "bindingdb":
        name = "bindingdb_sample" if source == "bindingdb" else source
        folder = "cold" if (split == "cold" and name == "human") else "random"
        pair_data = load_csv_dataset(name, folder)
        split = split or "random"
    elif str(source).lower().endswith((".csv", ".tsv")) or Path(source).is_file():
        pair_data = read_pairs(source, task=task)
        split = split or "random"
    else:
        raise ValueError(
            f"Unknown data {source!r}: expected davis, kiba, human, bindingdb or a CSV file "
            "with columns smiles, sequence and affinity or label."
        )
    if task is not None and task != pair_data.task:
        if source in MATRIX_DATASETS and task == "interaction":
            raise ValueError(f"{source} holds affinities; use --task affinity.")
        pair_data.task = task
    return pair_data, make_split(pair_data, split, seed=seed, full_train=full_train, valid_fraction=valid_fraction)


def read_validation_pairs(path, task: str) -> PairData:
    """The validation pairs a user gives (``--valid FILE.csv``): read as the training CSV is
    (bad rows reported in ``errors`` and skipped), with ``task``'s targets. A missing or
    unreadable file, missing columns or a file without one usable pair raise, naming the file
    as ``--valid``'s."""
    try:
        valid_data = read_pairs(path, task=task)
    except (ValueError, FileNotFoundError) as error:
        raise type(error)(f"--valid: {error}") from None
    if len(valid_data) == 0:
        raise ValueError(f"--valid: {path}: no usable validation pair ({len(valid_data.errors)} bad row(s) "
                         f"skipped); expected {CSV_EXPECTED}.")
    return valid_data


def with_validation_pairs(pair_data: PairData, splits: dict, valid_data: PairData):
    """``pair_data`` with ``valid_data``'s pairs appended; ``splits``' validation part is them.

    The pairs of ``pair_data`` keep their indices (its train and test parts stay valid) and
    its ``errors`` and ``name``; returns ``(PairData, splits)``.
    """
    joined = concatenate({"data": pair_data, "valid": valid_data})
    joined.name, joined.errors = pair_data.name, pair_data.errors
    joined.drug_ids = joined.protein_ids = None
    valid = np.arange(len(pair_data), len(joined), dtype=np.int64)
    return joined, {"train": splits["train"], "valid": valid, "test": splits["test"]}


def load_training_data(source: str, split: str | None = None, seed: int = 0, task: str | None = None,
                       valid=None, valid_fraction: float | None = None):
    """The data and split ``cnnkit dta train`` and ``cnnkit dta baseline`` use.

    Without ``valid`` the validation part is drawn from ``source`` (or given by it:
    :func:`make_split`, ``valid_fraction``). With ``valid`` (a CSV) those pairs are the
    validation part and ``source`` splits into training and test pairs only. Returns
    ``(PairData, splits, valid_data)``; ``valid_data`` is the PairData read from ``valid``
    (its skipped rows in ``errors``) or None.
    """
    if valid is not None and valid_fraction is not None:
        raise ValueError("--valid gives the validation pairs and --valid-fraction draws them from --data; "
                         "use one of them.")
    pair_data, splits = load_dataset(source, split, seed=seed, task=task, full_train=valid is not None,
                                     valid_fraction=valid_fraction)
    if valid is None:
        return pair_data, splits, None
    valid_data = read_validation_pairs(valid, pair_data.task)
    pair_data, splits = with_validation_pairs(pair_data, splits, valid_data)
    return pair_data, splits, valid_data


def shared_pairs(pair_data: PairData, indices, others) -> int:
    """How many pairs of ``indices`` have the same drug and protein as a pair of ``others``."""
    def keys(part):
        part = np.asarray(part, dtype=np.int64)
        return set(zip(pair_data.drug_index[part].tolist(), pair_data.protein_index[part].tolist()))

    other = keys(others)
    indices = np.asarray(indices, dtype=np.int64)
    return sum((d, p) in other for d, p in zip(pair_data.drug_index[indices].tolist(),
                                               pair_data.protein_index[indices].tolist()))


def report_skipped(pair_data: PairData, source, limit: int = 20) -> None:
    """Name the first ``limit`` bad input rows, and how many there were, on standard error."""
    for message in list(pair_data.errors.values())[:limit]:
        print(f"skipped: {message}", file=sys.stderr)
    if pair_data.errors:
        print(f"skipped {len(pair_data.errors)} bad row(s) of {source}", file=sys.stderr)


def is_csv_source(source: str) -> bool:
    """True when ``source`` names a CSV file rather than one of :data:`DATASETS`."""
    return source not in DATASETS and (str(source).lower().endswith((".csv", ".tsv")) or Path(source).is_file())


def load_evaluation_pairs(source: str, split: str | None = None, seed: int = 0, task: str | None = None):
    """The pairs to score a model on: every row of a CSV, or a named dataset's test split.

    Returns ``(PairData, pair indices)``.
    """
    if is_csv_source(source):
        pair_data = read_pairs(source, task=task)
        return pair_data, np.arange(len(pair_data))
    pair_data, split_indices = load_dataset(source, split, seed=seed, task=task)
    return pair_data, split_indices["test"]
