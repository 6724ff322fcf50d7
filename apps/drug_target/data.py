"""Datasets: Davis and KIBA matrices (DeepDTA setting 1), Human / BindingDB / user CSVs.

Everything becomes a :class:`PairData`: unique drugs (RDKit-canonical SMILES), unique
proteins (cleaned sequences) and pairs that index them. Keeping entities unique is what
lets the entity-batched trainer encode each drug/protein once per step.
Bad rows are reported with their row number, counted and skipped; never a crash halfway.
"""

from __future__ import annotations

import dataclasses
import json
import pickle
from pathlib import Path

import numpy as np

from apps.drug_target.chemistry import canonicalize_smiles
from apps.drug_target.proteins import clean_sequence
from shared import data as shared_data

MATRIX_DATASETS = ("davis", "kiba")
CSV_DATASETS = ("human", "bindingdb_sample")
# The names load_dataset accepts besides a CSV path ("bindingdb" is the BindingDB sample).
DATASETS = ("davis", "kiba", "human", "bindingdb")
SPLITS = ("setting1", "random", "cold-drug", "cold-target", "cold")

SMILES_COLUMNS = ("smiles", "compound_iso_smiles", "drug", "ligand")
SEQUENCE_COLUMNS = ("sequence", "protein", "target_sequence", "target")
AFFINITY_COLUMNS = ("affinity", "pkd", "kiba")
LABEL_COLUMNS = ("label", "y", "interaction")


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
    with open(shared_data.path(name, "Y"), "rb") as handle:
        matrix = np.asarray(pickle.load(handle, encoding="latin1"), dtype=np.float64)
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
               name: str | None = None) -> PairData:
    """Read a CSV (path or DataFrame) with ``smiles``, ``sequence`` and ``affinity``/``label``.

    The task follows from the column when ``task`` is None (``label``/``Y`` with 0/1 values
    is interaction, otherwise affinity). Invalid SMILES, bad sequences, missing,
    non-numeric or NaN targets are reported in ``errors`` by row (1-based data row, the
    header is line 1) and skipped; the pairs keep input order via ``source_rows``.
    """
    import pandas as pd

    label = name or (Path(source).name if not isinstance(source, pd.DataFrame) else "input")
    if isinstance(source, pd.DataFrame):
        frame = source.astype(str)
    else:
        if not Path(source).is_file():
            raise FileNotFoundError(
                f"{source}: no such file; expected a CSV with columns smiles, sequence[, affinity|label].")
        frame = pd.read_csv(source, dtype=str, keep_default_na=False)
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
        where = f"{label} row {row + 1} (line {row + 2})"
        try:
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
                    raise ValueError(f"{target_column} {text!r} is not a number") from None
                if not np.isfinite(value):
                    raise ValueError(f"{target_column} is {text} (NaN/inf)")
                if task == "interaction" and value not in (0.0, 1.0):
                    raise ValueError(f"{target_column} {text!r} is not a 0/1 interaction label")
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
        errors=errors,
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


def make_split(pair_data: PairData, split: str, seed: int = 0, fractions=(0.8, 0.1, 0.1),
               full_train: bool = False) -> dict:
    """Pair indices for ``train``/``valid``/``test``.

    ``setting1``: DeepDTA folds (train folds 1-4, valid fold 5, test = the test fold; with
    ``full_train`` all five train folds train and valid is empty). ``random``: the given
    split where the dataset has one (Human), else a random 80/10/10 split of the pairs.
    ``cold-drug`` / ``cold-target``: the drugs (proteins) are split 80/10/10, so test
    entities are never seen in training. ``cold``: Human's cold split (both unseen).
    """
    if split not in SPLITS:
        raise ValueError(f"Unknown split {split!r}; expected one of {', '.join(SPLITS)}.")
    splits = pair_data.splits
    rng = np.random.default_rng(seed)
    if split == "setting1":
        if "fold1" not in splits:
            raise ValueError(
                f"split 'setting1' needs DeepDTA folds (davis or kiba); {pair_data.name} has none. "
                "Use --split random, cold-drug or cold-target."
            )
        folds = [splits[f"fold{i}"] for i in range(1, 6)]
        if full_train:
            return {"train": np.concatenate(folds), "valid": np.zeros(0, np.int64), "test": splits["test"]}
        return {"train": np.concatenate(folds[:4]), "valid": folds[4], "test": splits["test"]}
    given = {"train", "valid", "test"} <= set(splits)
    # Human ships its own random and cold splits (load_dataset reads the matching folder).
    if given and (split == "random" or (split == "cold" and pair_data.name == "human")):
        return {k: splits[k] for k in ("train", "valid", "test")}
    n = len(pair_data)
    if split == "random":
        order = rng.permutation(n)
        a, b = int(fractions[0] * n), int((fractions[0] + fractions[1]) * n)
        return {"train": order[:a], "valid": order[a:b], "test": order[b:]}
    if split in ("cold-drug", "cold-target"):
        keys = pair_data.drug_index if split == "cold-drug" else pair_data.protein_index
        entities = rng.permutation(np.unique(keys))
        a = int(round(fractions[0] * entities.size))
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
    cut = int(0.9 * train_all.size)
    return {"train": np.sort(train_all[:cut]), "valid": np.sort(train_all[cut:]), "test": test}


def load_dataset(source: str, split: str | None = None, seed: int = 0, task: str | None = None,
                 full_train: bool = False):
    """Load a named dataset or a CSV and split it. Returns (PairData, split dict)."""
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
    return pair_data, make_split(pair_data, split, seed=seed, full_train=full_train)


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
