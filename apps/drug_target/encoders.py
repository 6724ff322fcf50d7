"""Label encoders: SMILES characters and protein residues -> fixed-length integer arrays.

Index 0 is padding, index 1 an unknown character; sequences longer than ``max_length``
are truncated (DeepDTA: 85/1200 for Davis, 100/1000 for KIBA).
"""

from __future__ import annotations

import numpy as np

from apps.drug_target.proteins import EXTENDED_AMINO_ACIDS

# Every character that appears in (isomeric) SMILES of the DeepDTA/DrugBAN sets and more.
SMILES_CHARACTERS = "#%()+-./0123456789:=@ABCDEFGHIKLMNOPRSTUVWXYZ[\\]abcdefghiklmnoprstuy*$"
PAD, UNKNOWN = 0, 1


class _CharacterEncoder:
    alphabet = ""

    def __init__(self, max_length: int):
        if int(max_length) < 1:
            raise ValueError(f"max_length must be a positive int, got {max_length!r}.")
        self.max_length = int(max_length)
        self.index = {ch: i + 2 for i, ch in enumerate(self.alphabet)}

    @property
    def vocab_size(self) -> int:
        return len(self.alphabet) + 2

    def encode(self, text: str) -> np.ndarray:
        codes = np.zeros(self.max_length, dtype=np.int32)
        for position, ch in enumerate(text[: self.max_length]):
            codes[position] = self.index.get(ch, UNKNOWN)
        return codes

    def encode_many(self, texts) -> np.ndarray:
        out = np.zeros((len(texts), self.max_length), dtype=np.int32)
        for row, text in enumerate(texts):
            out[row] = self.encode(text)
        return out

    def truncated(self, texts) -> int:
        """How many of ``texts`` are longer than ``max_length`` (and get truncated)."""
        return int(sum(len(t) > self.max_length for t in texts))

    def get_config(self) -> dict:
        return {"max_length": self.max_length}


class SmilesEncoder(_CharacterEncoder):
    """Character-level SMILES label encoding (DeepDTA).

    With ``fingerprint_bits`` each row also carries the molecule's ECFP4 bits (RDKit Morgan,
    radius 2) after its ``max_length`` tokens, as 0/1 ints: the input of a model built with
    ``build_deepdta(fingerprint_bits=...)``, which splits them off again. SMILES reach the
    encoder checked by RDKit; an empty one gets all-zero bits.
    """

    alphabet = SMILES_CHARACTERS

    def __init__(self, max_length: int, fingerprint_bits: int = 0):
        super().__init__(max_length)
        if int(fingerprint_bits) < 0:
            raise ValueError(f"fingerprint_bits must be 0 or a positive int, got {fingerprint_bits!r}.")
        self.fingerprint_bits = int(fingerprint_bits)

    @property
    def width(self) -> int:
        """Ints per encoded SMILES: the tokens, then the fingerprint bits."""
        return self.max_length + self.fingerprint_bits

    def encode(self, text: str) -> np.ndarray:
        return self.encode_many([text])[0]

    def encode_many(self, texts) -> np.ndarray:
        texts = list(texts)
        tokens = np.zeros((len(texts), self.max_length), dtype=np.int32)
        for row, text in enumerate(texts):
            tokens[row] = _CharacterEncoder.encode(self, text)
        if not self.fingerprint_bits:
            return tokens
        from apps.drug_target.chemistry import morgan_fingerprints

        bits = np.zeros((len(texts), self.fingerprint_bits), dtype=np.int32)
        present = [row for row, text in enumerate(texts) if text]
        if present:
            bits[present] = morgan_fingerprints([texts[row] for row in present], radius=2,
                                                n_bits=self.fingerprint_bits)
        return np.concatenate([tokens, bits], axis=1)

    def get_config(self) -> dict:
        return {**super().get_config(), "fingerprint_bits": self.fingerprint_bits}


class ProteinEncoder(_CharacterEncoder):
    """Residue-level protein label encoding over the IUPAC amino-acid alphabet."""

    alphabet = EXTENDED_AMINO_ACIDS


def encode_entities(pair_data, smiles_length: int, protein_length: int, fingerprint_bits: int = 0):
    """Token arrays of the unique drugs and proteins of ``pair_data`` (+ how many were truncated);
    the drugs' rows end with their ECFP bits when ``fingerprint_bits`` (:class:`SmilesEncoder`)."""
    smiles_encoder = SmilesEncoder(smiles_length, fingerprint_bits)
    protein_encoder = ProteinEncoder(protein_length)
    drugs = [s or "" for s in pair_data.drugs]
    proteins = [p or "" for p in pair_data.proteins]
    info = {"smiles_truncated": smiles_encoder.truncated(drugs),
            "proteins_truncated": protein_encoder.truncated(proteins)}
    return smiles_encoder.encode_many(drugs), protein_encoder.encode_many(proteins), info
