"""Predictions: pairs of a dataset, a user's CSV of pairs, and a ligand library screened against one target.

Each unique drug and protein is encoded once and its features gathered per pair (the
same predictions as the per-pair model). User input keeps every row in input order, with
an ``error`` column for the rows that could not be scored.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from apps.drug_target.chemistry import draw_grid
from apps.drug_target.data import read_pairs
from apps.drug_target.encoders import encode_entities
from apps.drug_target.metrics import score
from apps.drug_target.model import branches, head_model, input_lengths
from apps.drug_target.proteins import read_fasta_or_sequence


def _call_in_chunks(layer_model, array, chunk):
    # Eager calls: no tf.function tracing per new shape (predict() retraces on every new
    # model and batch shape, which dominates small evaluations).
    outputs = [np.asarray(layer_model(array[i:i + chunk], training=False)) for i in range(0, len(array), chunk)]
    return np.concatenate(outputs) if outputs else np.zeros((0,) + tuple(layer_model.output_shape[1:]))


def predict_entities(model, smiles_tokens, protein_tokens, drug_index, protein_index, batch_size=256):
    """Predictions for pairs, encoding each unique drug/protein once (same as per-pair)."""
    drug_index = np.asarray(drug_index, dtype=np.int64)
    protein_index = np.asarray(protein_index, dtype=np.int64)
    if drug_index.size == 0:
        return np.zeros(0, dtype=np.float32)
    drug_branch, protein_branch = branches(model)
    used_drugs, drug_pos = np.unique(drug_index, return_inverse=True)
    used_proteins, protein_pos = np.unique(protein_index, return_inverse=True)
    drug_features = _call_in_chunks(drug_branch, smiles_tokens[used_drugs], batch_size)
    protein_features = _call_in_chunks(protein_branch, protein_tokens[used_proteins], 64)
    features = np.concatenate([drug_features[drug_pos.ravel()], protein_features[protein_pos.ravel()]], axis=1)
    return _call_in_chunks(head_model(model), features, 8192).ravel()


def evaluate(model, pair_data, indices, smiles_tokens=None, protein_tokens=None):
    """Metrics of ``model`` on the pairs ``indices`` of ``pair_data`` (+ predictions)."""
    if smiles_tokens is None:
        smiles_tokens, protein_tokens, _ = encode_entities(pair_data, *input_lengths(model))
    predictions = predict_entities(model, smiles_tokens, protein_tokens,
                                   pair_data.drug_index[indices], pair_data.protein_index[indices])
    return score(pair_data.task, pair_data.y[indices], predictions), predictions


def predict_frame(model, frame, name="pairs"):
    """Predictions for a DataFrame of pairs in input order, with an ``error`` column.

    Returns ``(frame: row, the input columns, canonical_smiles, prediction, error; the PairData
    that was scored)``.
    """
    pair_data = read_pairs(frame, require_target=False, name=name)
    predictions = np.full(len(frame), np.nan)
    if len(pair_data):
        smiles_tokens, protein_tokens, _ = encode_entities(pair_data, *input_lengths(model))
        values = predict_entities(model, smiles_tokens, protein_tokens,
                                  pair_data.drug_index, pair_data.protein_index)
        predictions[pair_data.source_rows] = values
    errors = [""] * len(frame)
    for row, message in pair_data.errors.items():
        errors[row] = message
    canonical = [""] * len(frame)
    for position, row in enumerate(pair_data.source_rows):
        canonical[row] = pair_data.drugs[pair_data.drug_index[position]]
    out = pd.DataFrame({"row": np.arange(1, len(frame) + 1)})
    for column in frame.columns:
        out[column] = frame[column].values
    out["canonical_smiles"] = canonical
    out["prediction"] = predictions
    out["error"] = errors
    return out, pair_data


def predict_file(model, pairs, out=None):
    """Predict the pairs of CSV ``pairs`` and write them, in input order, to a CSV.

    ``out``: a ``.csv`` path, a folder (``predictions.csv`` inside it) or None
    (``<pairs>_predictions.csv`` beside the input). Returns ``(path written, PairData scored)``.
    """
    path = Path(pairs)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file; expected a CSV with columns smiles and sequence.")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    out_frame, pair_data = predict_frame(model, frame, name=path.name)
    out_path = Path(out) if out else path.with_name(path.stem + "_predictions.csv")
    if out_path.suffix.lower() != ".csv":
        out_path.mkdir(parents=True, exist_ok=True)
        out_path = out_path / "predictions.csv"
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_frame.to_csv(out_path, index=False)
    return out_path, pair_data


def read_ligands(path):
    """``.smi``: one SMILES per line, optional name after whitespace; '#' lines are comments."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such ligand file; expected one SMILES per line (optionally a name).")
    smiles, names = [], []
    for line_number, line in enumerate(path.read_text().splitlines(), start=1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        parts = text.split(None, 1)
        if parts[0].lower() == "smiles":  # header line
            continue
        smiles.append(parts[0])
        names.append(parts[1].strip() if len(parts) > 1 else f"line{line_number}")
    if not smiles:
        raise ValueError(f"{path}: no SMILES found.")
    return smiles, names


def read_target(target):
    """``(name, sequence)`` of a protein sequence or the first record of a FASTA file."""
    text = target
    if Path(target).is_file():
        text = Path(target).read_text()
    try:
        return read_fasta_or_sequence(text)[0]
    except ValueError as error:
        raise ValueError(f"--target: {error}") from None


def screen(model, target, ligands, out, top=20):
    """Rank the ligand library ``ligands`` (a ``.smi`` file) against ``target`` by prediction.

    Writes ``out/ranked.csv`` (every ligand: rank, name, target, SMILES, prediction, error;
    unparsable ligands last, unranked) and ``out/top_molecules.png`` (the ``top`` best, drawn
    by RDKit). Returns the summary (paths, counts, the top ligands) and the PairData scored.
    """
    target_name, sequence = read_target(target)
    smiles, names = read_ligands(ligands)
    frame = pd.DataFrame({"name": names, "smiles": smiles, "sequence": sequence})
    scored, pair_data = predict_frame(model, frame, name=Path(ligands).name)
    scored = scored.drop(columns=["sequence"])
    scored.insert(1, "target", target_name)
    valid = scored[scored["error"] == ""].sort_values("prediction", ascending=False, kind="mergesort")
    invalid = scored[scored["error"] != ""]
    valid.insert(0, "rank", np.arange(1, len(valid) + 1))
    invalid.insert(0, "rank", "")
    ranked = pd.concat([valid, invalid], ignore_index=True)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    ranked.to_csv(out / "ranked.csv", index=False)
    best = valid.head(top)
    png = None
    if len(best):
        legends = [f"{r}. {n}: {p:.2f}" for r, n, p in zip(best["rank"], best["name"], best["prediction"])]
        png = draw_grid(list(best["canonical_smiles"]), legends, out / "top_molecules.png")
    summary = {"ranked": str(out / "ranked.csv"), "image": str(png) if png else None, "target": target_name,
               "ligands": len(frame), "scored": len(valid), "errors": len(invalid),
               "top": [{"name": n, "smiles": s, "prediction": float(p)}
                       for n, s, p in zip(best["name"], best["canonical_smiles"], best["prediction"])]}
    return summary, pair_data
