"""RDKit chemistry: parse, validate and canonicalise SMILES; ECFP fingerprints; drawings.

Every function reports bad molecules per row instead of raising halfway through a batch.
"""

from __future__ import annotations

import numpy as np
from rdkit import Chem, DataStructs, RDLogger
from rdkit.Chem import rdFingerprintGenerator

RDLogger.DisableLog("rdApp.*")  # we report bad SMILES ourselves, by row


# RDKit takes seconds on SMILES of a few thousand atoms and crashes the process on tens of
# thousands; the longest SMILES of Davis, KIBA, Human and BindingDB has 590 characters.
MAX_SMILES_LENGTH = 2000


def short_repr(text: str, width: int = 80) -> str:
    """``repr(text)``, cut after ``width`` characters (messages quote user input, which may be huge)."""
    return repr(text) if len(text) <= width else repr(text[:width]) + "..."


def canonicalize_smiles(smiles: str, isomeric: bool = True) -> str:
    """RDKit canonical SMILES of one molecule; ValueError says what was wrong.

    SMILES is ASCII: a non-ASCII character is refused here, because RDKit silently drops what
    follows one (``"CCé"`` would become ``"CC"``). So are SMILES over ``MAX_SMILES_LENGTH``.
    """
    if not isinstance(smiles, str) or not smiles.strip():
        raise ValueError("empty SMILES")
    text = smiles.strip()
    if len(text) > MAX_SMILES_LENGTH:
        raise ValueError(f"SMILES of {len(text)} characters; at most {MAX_SMILES_LENGTH} are read")
    if any(ch.isspace() for ch in text):
        raise ValueError(f"SMILES {short_repr(text)} contains whitespace")
    if not text.isascii():
        other = next(ch for ch in text if not ch.isascii())
        raise ValueError(f"SMILES {short_repr(text)} holds {other!r}, not ASCII")
    molecule = Chem.MolFromSmiles(text)
    if molecule is None:
        raise ValueError(f"RDKit could not parse SMILES {short_repr(text)}")
    return Chem.MolToSmiles(molecule, isomericSmiles=isomeric)


def canonicalize_many(smiles_list, isomeric: bool = True):
    """Canonicalise a list: returns (canonical or None per row, {row: error message})."""
    canonical, errors = [], {}
    for row, smiles in enumerate(smiles_list):
        try:
            canonical.append(canonicalize_smiles(smiles, isomeric=isomeric))
        except ValueError as error:
            canonical.append(None)
            errors[row] = str(error)
    return canonical, errors


def morgan_fingerprints(smiles_list, radius: int = 2, n_bits: int = 1024) -> np.ndarray:
    """ECFP (Morgan) bit vectors, shape (n, n_bits) uint8. Unparsable SMILES -> ValueError."""
    generator = rdFingerprintGenerator.GetMorganGenerator(radius=radius, fpSize=n_bits)
    out = np.zeros((len(smiles_list), n_bits), dtype=np.uint8)
    for row, smiles in enumerate(smiles_list):
        molecule = Chem.MolFromSmiles(smiles)
        if molecule is None:
            raise ValueError(f"row {row}: RDKit could not parse SMILES {smiles!r}")
        DataStructs.ConvertToNumpyArray(generator.GetFingerprint(molecule), out[row])
    return out


def tanimoto_similarity(query: str, smiles_list, radius: int = 2, n_bits: int = 2048) -> np.ndarray:
    """Tanimoto similarity of ECFP fingerprints of ``query`` to each SMILES."""
    generator = rdFingerprintGenerator.GetMorganGenerator(radius=radius, fpSize=n_bits)
    reference = generator.GetFingerprint(Chem.MolFromSmiles(query))
    others = [generator.GetFingerprint(Chem.MolFromSmiles(s)) for s in smiles_list]
    return np.asarray(DataStructs.BulkTanimotoSimilarity(reference, others))


def draw_grid(smiles_list, legends, path, mols_per_row: int = 5, size=(250, 200)):
    """Draw molecules with RDKit (``Draw.MolsToGridImage``) and save a PNG."""
    from rdkit.Chem import Draw

    molecules = [Chem.MolFromSmiles(s) for s in smiles_list]
    image = Draw.MolsToGridImage(
        molecules, molsPerRow=max(1, min(mols_per_row, len(molecules))), subImgSize=size,
        legends=[str(text) for text in legends],
    )
    if hasattr(image, "save"):  # a PIL image
        image.save(str(path))
    else:  # inside IPython RDKit returns an IPython Image holding PNG bytes
        with open(path, "wb") as handle:
            handle.write(image.data)
    return path
