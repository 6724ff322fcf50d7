"""Protein sequences: validation against the amino-acid alphabet, composition features."""

from __future__ import annotations

import itertools

import numpy as np

STANDARD_AMINO_ACIDS = "ACDEFGHIKLMNPQRSTVWY"
# IUPAC extras: B (D/N), Z (E/Q), X (any), U (selenocysteine), O (pyrrolysine).
EXTENDED_AMINO_ACIDS = STANDARD_AMINO_ACIDS + "BZXUO"
DIPEPTIDES = ["".join(p) for p in itertools.product(STANDARD_AMINO_ACIDS, repeat=2)]


def clean_sequence(sequence) -> str:
    """Upper-case with all whitespace removed; ValueError names what is wrong.

    Empty input, characters that are not letters, letters outside the IUPAC amino-acid
    alphabet (J) and nucleotide-only strings (ACGTU) are rejected.
    """
    if sequence is None or (isinstance(sequence, float) and np.isnan(sequence)):
        raise ValueError("empty protein sequence")
    text = "".join(str(sequence).split()).upper()
    if text.startswith(">"):
        raise ValueError("protein sequence starts with '>' (a FASTA header); give the residues only")
    if not text:
        raise ValueError("empty protein sequence")
    unknown = sorted(set(text) - set(EXTENDED_AMINO_ACIDS))
    if unknown:
        shown = "".join(unknown[:10])
        raise ValueError(
            f"protein sequence has {len(unknown)} unknown letter(s) {shown!r}; expected the "
            f"amino-acid alphabet {EXTENDED_AMINO_ACIDS}"
        )
    if len(text) >= 20 and set(text) <= set("ACGTU"):
        raise ValueError("sequence contains only A/C/G/T/U: it looks like DNA/RNA, not a protein")
    return text


def read_fasta_or_sequence(text: str) -> list[tuple[str, str]]:
    """Parse FASTA text (one or more records) or a bare sequence into (name, sequence)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        raise ValueError("empty target: expected a protein sequence or FASTA text")
    if not lines[0].startswith(">"):
        return [("target", clean_sequence("".join(lines)))]
    records, name, chunks = [], None, []
    for line in lines:
        if line.startswith(">"):
            if name is not None:
                records.append((name, clean_sequence("".join(chunks))))
            name, chunks = line[1:].strip() or f"record{len(records) + 1}", []
        else:
            chunks.append(line)
    records.append((name, clean_sequence("".join(chunks))))
    return records


def composition_features(sequences, dipeptides: bool = True) -> np.ndarray:
    """Amino-acid (20) and optional dipeptide (400) composition, as fractions."""
    index = {aa: i for i, aa in enumerate(STANDARD_AMINO_ACIDS)}
    width = 20 + (400 if dipeptides else 0)
    out = np.zeros((len(sequences), width), dtype=np.float32)
    for row, sequence in enumerate(sequences):
        codes = np.array([index.get(ch, -1) for ch in sequence])
        valid = codes[codes >= 0]
        if valid.size:
            out[row, :20] = np.bincount(valid, minlength=20) / valid.size
        if dipeptides and codes.size > 1:
            a, b = codes[:-1], codes[1:]
            keep = (a >= 0) & (b >= 0)
            if keep.any():
                out[row, 20:] = np.bincount(a[keep] * 20 + b[keep], minlength=400) / keep.sum()
    return out
