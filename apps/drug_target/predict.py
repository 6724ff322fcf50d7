"""Predictions: pairs of a dataset, a user's CSV of pairs, and a ligand library screened against one target.

Each unique drug and protein is encoded once and its features gathered per pair (the
same predictions as the per-pair model). User input keeps every row in input order, with
an ``error`` column for the rows that could not be scored and a ``note`` column for the rows
whose SMILES or sequence is longer than the model reads (the model sees only its start).

An :class:`Ensemble` of models (several seeds of one recipe) predicts their mean, with a
``spread`` column: the members' standard deviation, a measure of how sure they are together,
times a ``spread_scale`` fitted on held-out pairs (``metrics.spread_scale``) when it should read as
an interval.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd

from apps.drug_target.chemistry import draw_grid
from apps.drug_target.data import InputRecords, printable, read_pairs, read_table, read_text, undecodable
from apps.drug_target.encoders import ProteinEncoder, SmilesEncoder, encode_entities
from apps.drug_target.proteins import read_fasta_or_sequence

# apps.drug_target.model (Keras) and .metrics (scipy, scikit-learn) are imported where they are
# used: predicting with an ONNX export (shared.runtime) needs neither.


class Ensemble:
    """Models of one task whose mean is the prediction and whose standard deviation is the ``spread``.

    ``members``: Keras models or exported entity views (``shared.runtime``), each reading its own
    input lengths; ``names`` say which is which in messages. A ligand that any member reads only in
    part gets a note, so the lengths reported are the shortest a member reads. ``spread_scale``
    multiplies the standard deviation (1: as it is; ``metrics.spread_scale`` fits it on held-out pairs
    so that about 68% of them lie within one spread).
    """

    def __init__(self, members, names=None, spread_scale: float = 1.0):
        self.members = list(members)
        if len(self.members) < 2:
            raise ValueError(f"An ensemble needs at least 2 models; got {len(self.members)}.")
        try:
            scale = float(spread_scale)
        except (TypeError, ValueError):
            scale = float("nan")
        if not (np.isfinite(scale) and scale > 0):
            raise ValueError(f"The 'spread_scale' parameter of Ensemble must be a finite number > 0; "
                             f"got {spread_scale!r}.")
        self.spread_scale = scale
        self.names = list(names) if names is not None else [f"model {i + 1}" for i in range(len(self.members))]
        runtimes = {getattr(m, "runtime", "keras") for m in self.members}
        self.runtime = runtimes.pop() if len(runtimes) == 1 else "mixed"

    def __len__(self):
        return len(self.members)

    @classmethod
    def from_preset(cls, name: str, spread_scale: float | None = None) -> Ensemble:
        """The ensemble preset ``name`` (``cnnkit presets``): its member presets loaded as Keras models,
        with the ``spread_scale`` it records unless one is given."""
        from apps.drug_target.model import load_model
        from shared.presets import PresetError, ensemble_members, preset_metadata

        members = ensemble_members(name)
        if not members:
            raise PresetError(f"Preset {name!r} is a single model, not an ensemble; load it with "
                              "apps.drug_target.model.load_model.")
        scale = preset_metadata(name).get("spread_scale", 1.0) if spread_scale is None else spread_scale
        return cls([load_model(member)[0] for member in members], names=members, spread_scale=scale)


def input_lengths(model) -> tuple[int, int]:
    """(SMILES, protein) lengths that ``model`` reads: a Keras model, its exported entity view, or the
    shortest of an :class:`Ensemble`'s members."""
    if isinstance(model, Ensemble):
        lengths = [input_lengths(member) for member in model.members]
        return min(length[0] for length in lengths), min(length[1] for length in lengths)
    if getattr(model, "runtime", None) == "onnx":
        return int(model.input_shapes[0][1]) - fingerprint_bits(model), int(model.input_shapes[1][1])
    from apps.drug_target.model import input_lengths as keras_input_lengths

    return keras_input_lengths(model)


def fingerprint_bits(model) -> int:
    """How many ECFP bits follow the SMILES tokens in the drug input of a Keras model or its export."""
    if getattr(model, "runtime", None) == "onnx":
        return _saved_fingerprint_bits(model.config)
    from apps.drug_target.model import fingerprint_bits as keras_fingerprint_bits

    return keras_fingerprint_bits(model)


def _saved_fingerprint_bits(config) -> int:
    """``fingerprint_bits`` of the ``SplitFingerprint`` layer in a saved model config, 0 without one."""
    if isinstance(config, dict):
        if config.get("class_name") == "SplitFingerprint":
            return int(config["config"]["fingerprint_bits"])
        values = config.values()
    elif isinstance(config, list):
        values = config
    else:
        return 0
    return max((_saved_fingerprint_bits(value) for value in values), default=0)


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
    from apps.drug_target.model import branches, head_model

    drug_branch, protein_branch = branches(model)
    used_drugs, drug_pos = np.unique(drug_index, return_inverse=True)
    used_proteins, protein_pos = np.unique(protein_index, return_inverse=True)
    drug_features = _call_in_chunks(drug_branch, smiles_tokens[used_drugs], batch_size)
    protein_features = _call_in_chunks(protein_branch, protein_tokens[used_proteins], 64)
    features = np.concatenate([drug_features[drug_pos.ravel()], protein_features[protein_pos.ravel()]], axis=1)
    return _call_in_chunks(head_model(model), features, 8192).ravel()


def evaluate(model, pair_data, indices, smiles_tokens=None, protein_tokens=None):
    """Metrics of ``model`` on the pairs ``indices`` of ``pair_data`` (+ predictions)."""
    from apps.drug_target.metrics import score

    if smiles_tokens is None:
        smiles_tokens, protein_tokens, _ = encode_entities(pair_data, *input_lengths(model),
                                                           fingerprint_bits=fingerprint_bits(model))
    predictions = predict_entities(model, smiles_tokens, protein_tokens,
                                   pair_data.drug_index[indices], pair_data.protein_index[indices])
    return score(pair_data.task, pair_data.y[indices], predictions), predictions


def truncation_counts(pair_data, indices, smiles_length: int, protein_length: int) -> dict:
    """How many of the pairs ``indices`` have a SMILES or a sequence longer than the model reads."""
    drug_lengths = np.array([len(s or "") for s in pair_data.drugs] or [0])
    protein_lengths = np.array([len(p or "") for p in pair_data.proteins] or [0])
    indices = np.asarray(indices, dtype=np.int64)
    return {"smiles_truncated": int((drug_lengths[pair_data.drug_index[indices]] > smiles_length).sum()),
            "proteins_truncated": int((protein_lengths[pair_data.protein_index[indices]] > protein_length).sum())}


def _truncation_notes(pair_data, smiles_length: int, protein_length: int) -> dict:
    """Input row -> what was cut, for the scored rows whose SMILES or sequence is too long."""
    notes = {}
    for position, row in enumerate(pair_data.source_rows):
        smiles = pair_data.drugs[pair_data.drug_index[position]]
        sequence = pair_data.proteins[pair_data.protein_index[position]]
        cuts = []
        if len(smiles) > smiles_length:
            cuts.append(f"SMILES cut: {len(smiles)} characters, the model reads the first {smiles_length}")
        if len(sequence) > protein_length:
            cuts.append(f"sequence cut: {len(sequence)} residues, the model reads the first {protein_length}")
        if cuts:
            notes[int(row)] = f"{pair_data.where(int(row))}: " + "; ".join(cuts)
    return notes


def predict_frame(model, frame, name="pairs"):
    """Predictions for pairs (a DataFrame or :class:`data.InputRecords`) in input order.

    Returns ``(frame: row, the input columns, canonical_smiles, prediction (and spread, for an
    :class:`Ensemble`), error, note; the PairData that was scored)``. ``error`` says why a row was
    not scored; ``note`` names the SMILES and sequences the model cut to its input lengths (counted
    in the PairData's ``truncated``).
    """
    pair_data, parts = scored_parts(model, frame, name=name)
    return pd.concat(list(parts), ignore_index=True), pair_data


def scored_parts(model, frame, name="pairs", batch_size=None, progress=None, check_progress=None):
    """:func:`predict_frame` ``batch_size`` input rows at a time: ``(PairData, parts)``, where
    ``parts`` yields the output frame's rows in input order, one part per batch (all rows in one
    part without ``batch_size``).

    Every row is checked first (RDKit, sequences). Each part then encodes the drugs its pairs
    use, so memory follows the batch rather than the input; the features of each protein are
    computed once and kept for the parts after (proteins recur throughout a file and are few).
    ``check_progress`` and ``progress`` are called with the number of rows checked and scored.
    """
    if batch_size is not None and batch_size < 1:
        raise ValueError(f"The 'batch_size' parameter of scored_parts must be at least 1; got {batch_size}.")
    records = frame if isinstance(frame, InputRecords) else None
    frame = records.frame if records is not None else frame
    pair_data = read_pairs(records if records is not None else frame, require_target=False, name=name,
                           progress=check_progress)
    lengths = input_lengths(model)
    pair_data.notes = _truncation_notes(pair_data, *lengths)
    pair_data.truncated = truncation_counts(pair_data, np.arange(len(pair_data)), *lengths)
    step = batch_size or max(len(frame), 1)

    def parts():
        scorer = _scorer(model) if len(pair_data) else None
        for start in range(0, max(len(frame), 1), step):
            stop = min(start + step, len(frame))
            yield _scored_rows(scorer, frame, pair_data, start, stop)
            if progress is not None:
                progress(stop - start)

    return pair_data, parts()


def _scorer(model):
    """A callable ``(pair_data, drug_index, protein_index) -> predictions`` (``(mean, spread)`` for an ensemble)."""
    if isinstance(model, Ensemble):
        return _EnsembleScorer([_scorer(member) for member in model.members], model.spread_scale)
    exported = getattr(model, "runtime", None) == "onnx"
    return (_ExportedPairScorer if exported else _PairScorer)(model, input_lengths(model))


class _EnsembleScorer:
    def __init__(self, scorers, spread_scale=1.0):
        self.scorers = scorers
        self.spread_scale = spread_scale

    def __call__(self, pair_data, drug_index, protein_index):
        predictions = np.stack([scorer(pair_data, drug_index, protein_index) for scorer in self.scorers])
        return predictions.mean(axis=0), self.spread_scale * predictions.std(axis=0)


class _PairScorer:
    """Predictions for pairs given by entity index, as :func:`predict_entities` computes them,
    with the protein features kept from one call to the next."""

    def __init__(self, model, lengths):
        from apps.drug_target.model import branches, head_model

        self.drug_branch, self.protein_branch = branches(model)
        self.head = head_model(model)
        self.smiles_encoder = SmilesEncoder(lengths[0], fingerprint_bits(model))
        self.protein_encoder = ProteinEncoder(lengths[1])
        self.protein_features = {}  # protein index -> its branch's features

    def __call__(self, pair_data, drug_index, protein_index):
        used_drugs, drug_position = np.unique(drug_index, return_inverse=True)
        tokens = self.smiles_encoder.encode_many([pair_data.drugs[i] or "" for i in used_drugs])
        drug_features = _call_in_chunks(self.drug_branch, tokens, 256)
        new = [int(i) for i in np.unique(protein_index) if int(i) not in self.protein_features]
        if new:
            tokens = self.protein_encoder.encode_many([pair_data.proteins[i] or "" for i in new])
            self.protein_features.update(zip(new, _call_in_chunks(self.protein_branch, tokens, 64)))
        protein_features = np.stack([self.protein_features[int(i)] for i in protein_index])
        features = np.concatenate([drug_features[drug_position.ravel()], protein_features], axis=1)
        return _call_in_chunks(self.head, features, 8192).ravel()


class _ExportedPairScorer:
    """:class:`_PairScorer` for a model's exported entity view (``model.entity_view`` run by ONNX
    Runtime): each call encodes the drugs and proteins its pairs use once and gathers per pair."""

    def __init__(self, model, lengths):
        self.model = model
        self.smiles_encoder = SmilesEncoder(lengths[0], fingerprint_bits(model))
        self.protein_encoder = ProteinEncoder(lengths[1])

    def __call__(self, pair_data, drug_index, protein_index):
        used_drugs, drug_position = np.unique(drug_index, return_inverse=True)
        used_proteins, protein_position = np.unique(protein_index, return_inverse=True)
        drugs = self.smiles_encoder.encode_many([pair_data.drugs[i] or "" for i in used_drugs])
        proteins = self.protein_encoder.encode_many([pair_data.proteins[i] or "" for i in used_proteins])
        outputs = self.model.predict([drugs, proteins, drug_position.ravel().astype("int32"),
                                      protein_position.ravel().astype("int32")])
        return np.asarray(outputs).ravel()


def _scored_rows(scorer, frame, pair_data, start, stop):
    """The output rows ``start:stop`` of :func:`predict_frame`."""
    first, last = np.searchsorted(pair_data.source_rows, [start, stop])
    rows = pair_data.source_rows[first:last] - start
    predictions = np.full(stop - start, np.nan)
    spread = np.full(stop - start, np.nan) if isinstance(scorer, _EnsembleScorer) else None
    canonical = [""] * (stop - start)
    if last > first:
        drug_index = pair_data.drug_index[first:last]
        scored = scorer(pair_data, drug_index, pair_data.protein_index[first:last])
        if spread is not None:
            scored, spread[rows] = scored
        predictions[rows] = scored
        for row, drug in zip(rows, drug_index):
            canonical[row] = pair_data.drugs[drug]
    out = pd.DataFrame({"row": np.arange(start + 1, stop + 1)})
    for column in frame.columns:
        out[column] = frame[column].values[start:stop]
    out["canonical_smiles"] = canonical
    out["prediction"] = predictions
    if spread is not None:
        out["spread"] = spread
    out["error"] = [pair_data.errors.get(row, "") for row in range(start, stop)]
    out["note"] = [pair_data.notes.get(row, "") for row in range(start, stop)]
    return out


def predict_pairs(model, smiles, sequences) -> np.ndarray:
    """Predictions of ``model`` for the pairs ``(smiles[i], sequences[i])``, in order (a preset's input).

    Each SMILES is canonicalised by RDKit and each sequence cleaned as in :func:`predict_frame`;
    a ValueError names the first pair that cannot be scored.
    """
    smiles, sequences = list(smiles), list(sequences)
    if len(smiles) != len(sequences):
        raise ValueError(f"predict_pairs needs one sequence per SMILES; got {len(smiles)} SMILES and "
                         f"{len(sequences)} sequences.")
    scored, pair_data = predict_frame(model, pd.DataFrame({"smiles": smiles, "sequence": sequences}))
    if pair_data.errors:
        raise ValueError(pair_data.errors[min(pair_data.errors)])
    return scored["prediction"].to_numpy(dtype=np.float32)


def predict_file(model, pairs, out=None, batch_size=None, progress=None, check_progress=None):
    """Predict the pairs of CSV ``pairs`` and write them, in input order, to a CSV.

    ``out``: a ``.csv`` path, a folder (``predictions.csv`` inside it) or None
    (``<pairs>_predictions.csv`` beside the input). Every record of the input is one row of the
    output. With ``batch_size`` the rows are scored and written that many at a time
    (:func:`scored_parts`, which also says what ``progress`` and ``check_progress`` are).
    Returns ``(path written, PairData scored)``.
    """
    path = Path(pairs)
    records = read_table(path)
    pair_data, parts = scored_parts(model, records, name=path.name, batch_size=batch_size, progress=progress,
                                    check_progress=check_progress)
    out_path = Path(out) if out else path.with_name(path.stem + "_predictions.csv")
    if out_path.suffix.lower() != ".csv":
        out_path.mkdir(parents=True, exist_ok=True)
        out_path = out_path / "predictions.csv"
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with open(out_path, "w", newline="", encoding="utf-8") as handle:
        for number, part in enumerate(parts):
            part.to_csv(handle, header=number == 0, index=False)
            handle.flush()
    return out_path, pair_data


LIGANDS_EXPECTED = "a .smi text file: one SMILES per line, optionally followed by a name"


def read_ligands(path) -> InputRecords:
    """A ``.smi`` library: one SMILES per line, optionally a name after whitespace.

    Blank lines and ``#`` comments are skipped, and a first line whose first word is ``smiles``
    (a header). Every other line is one ligand (columns ``name``, ``smiles``) with the line it
    is on; a line holding bytes that are not UTF-8 is kept as an error. A missing, binary or
    empty file raises, naming it.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such ligand file; expected {LIGANDS_EXPECTED}.")
    text = read_text(path, LIGANDS_EXPECTED)
    smiles, names, lines, errors = [], [], [], {}
    for line_number, line in enumerate(io.StringIO(text, newline=""), start=1):
        content = line.strip()
        if not content or content.startswith("#"):
            continue
        if not lines and content.split(None, 1)[0].lower() == "smiles":
            continue
        bad = undecodable(content)
        if bad:
            errors[len(smiles)] = f"not UTF-8 text ({bad})"
            content = printable(content)
        parts = content.split(None, 1)
        smiles.append(parts[0])
        names.append(parts[1].strip() if len(parts) > 1 else f"line{line_number}")
        lines.append(line_number)
    if not smiles:
        raise ValueError(f"{path}: no SMILES found; expected {LIGANDS_EXPECTED}.")
    return InputRecords(frame=pd.DataFrame({"name": names, "smiles": smiles}), lines=lines, errors=errors,
                        name=path.name)


def _names_a_file(text: str) -> bool:
    try:
        return Path(text).is_file()
    except (OSError, ValueError):  # too long for a file name (a sequence), or holding a NUL
        return False


def read_target(target):
    """``(name, sequence)`` of a protein sequence or the first record of a FASTA file."""
    text, source = target, "--target"
    if _names_a_file(target):
        text, source = printable(read_text(target, "a protein sequence or a FASTA file")), str(target)
    try:
        return read_fasta_or_sequence(text)[0]
    except ValueError as error:
        raise ValueError(f"{source}: {error}") from None


def screen(model, target, ligands, out, top=20):
    """Rank the ligand library ``ligands`` (a ``.smi`` file) against ``target`` by prediction.

    Writes ``out/ranked.csv`` (every ligand: rank, name, target, SMILES, prediction, the spread of
    an :class:`Ensemble`, error, note;
    unparsable ligands last, unranked) and ``out/top_molecules.png`` (the ``top`` best, drawn
    by RDKit). Returns the summary (paths, counts, the top ligands) and the PairData scored.
    """
    target_name, sequence = read_target(target)
    library = read_ligands(ligands)
    library.frame["sequence"] = sequence
    scored, pair_data = predict_frame(model, library, name=library.name)
    if not len(pair_data):
        first = pair_data.errors[min(pair_data.errors)]
        raise ValueError(f"{ligands}: none of its {len(scored)} ligands is a valid SMILES (first: {first}); "
                         "nothing was written.")
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
        spreads = [f" ± {v:.2f}" for v in best["spread"]] if "spread" in best else [""] * len(best)
        legends = [f"{r}. {n}: {p:.2f}{v}" for r, n, p, v in zip(best["rank"], best["name"], best["prediction"],
                                                                 spreads)]
        png = draw_grid(list(best["canonical_smiles"]), legends, out / "top_molecules.png")
    summary = {"ranked": str(out / "ranked.csv"), "image": str(png) if png else None, "target": target_name,
               "ligands": len(scored), "scored": len(valid), "errors": len(invalid), **pair_data.truncated,
               "top": [{"name": n, "smiles": s, "prediction": float(p)}
                       for n, s, p in zip(best["name"], best["canonical_smiles"], best["prediction"])]}
    if "spread" in best:
        for entry, spread in zip(summary["top"], best["spread"]):
            entry["spread"] = float(spread)
        summary["spread_scale"] = model.spread_scale
    return summary, pair_data
