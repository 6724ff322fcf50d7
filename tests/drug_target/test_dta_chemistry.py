import numpy as np
import pytest

from apps.drug_target.chemistry import canonicalize_many, canonicalize_smiles, morgan_fingerprints
from apps.drug_target.encoders import PAD, UNKNOWN, ProteinEncoder, SmilesEncoder
from apps.drug_target.proteins import clean_sequence, composition_features, read_fasta_or_sequence


def test_canonicalize_with_rdkit():
    assert canonicalize_smiles("OCC") == "CCO"
    assert canonicalize_smiles(" C1=CC=CC=C1 ") == "c1ccccc1"
    with pytest.raises(ValueError, match="could not parse"):
        canonicalize_smiles("C1CC(")
    with pytest.raises(ValueError, match="empty"):
        canonicalize_smiles("  ")


def test_canonicalize_many_reports_rows():
    canonical, errors = canonicalize_many(["CCO", "not_a_smiles", "c1ccccc1", ""])
    assert canonical[0] == "CCO" and canonical[1] is None and canonical[3] is None
    assert set(errors) == {1, 3}
    assert "not_a_smiles" in errors[1]


def test_morgan_fingerprints():
    fingerprints = morgan_fingerprints(["CCO", "c1ccccc1"], n_bits=512)
    assert fingerprints.shape == (2, 512) and fingerprints.dtype == np.uint8
    assert fingerprints.sum() > 0 and not np.array_equal(fingerprints[0], fingerprints[1])
    with pytest.raises(ValueError, match="row 1"):
        morgan_fingerprints(["CCO", "C1CC("])


def test_protein_validation():
    assert clean_sequence(" mkv lle\n") == "MKVLLE"
    with pytest.raises(ValueError, match="empty"):
        clean_sequence("   ")
    with pytest.raises(ValueError, match="unknown letter.*'J'"):
        clean_sequence("MKVJ")
    with pytest.raises(ValueError, match="unknown letter"):
        clean_sequence("MKV1")
    with pytest.raises(ValueError, match="DNA/RNA"):
        clean_sequence("ACGT" * 10)


def test_fasta_parsing():
    records = read_fasta_or_sequence(">sp|P1|X\nMKV\nLLE\n>two\nAAA\n")
    assert records == [("sp|P1|X", "MKVLLE"), ("two", "AAA")]
    assert read_fasta_or_sequence("mkvlle") == [("target", "MKVLLE")]


def test_encoders_pad_truncate_unknown():
    smiles = SmilesEncoder(6)
    codes = smiles.encode("CC(=O)")
    assert codes.shape == (6,) and (codes > UNKNOWN).all()
    assert (smiles.encode("CC")[2:] == PAD).all()
    assert smiles.encode("CC~")[2] == UNKNOWN
    assert smiles.truncated(["CCCCCCCC", "CC"]) == 1
    protein = ProteinEncoder(4)
    assert protein.encode_many(["MKVLLE", "MK"]).shape == (2, 4)
    assert protein.vocab_size == 27


def test_smiles_encoder_appends_the_ecfp_bits():
    encoder = SmilesEncoder(6, fingerprint_bits=64)
    rows = encoder.encode_many(["CC(=O)O", "", "c1ccccc1"])
    assert rows.shape == (3, 70) and encoder.width == 70 and rows.dtype == np.int32
    np.testing.assert_array_equal(rows[:, :6], SmilesEncoder(6).encode_many(["CC(=O)O", "", "c1ccccc1"]))
    np.testing.assert_array_equal(rows[[0, 2], 6:], morgan_fingerprints(["CC(=O)O", "c1ccccc1"], n_bits=64))
    assert rows[1, 6:].sum() == 0 and rows[0, 6:].sum() > 0
    np.testing.assert_array_equal(encoder.encode("CC(=O)O"), rows[0])
    assert encoder.get_config() == {"max_length": 6, "fingerprint_bits": 64}
    with pytest.raises(ValueError, match="fingerprint_bits must be 0 or a positive int"):
        SmilesEncoder(6, fingerprint_bits=-1)


def test_composition_features():
    features = composition_features(["AAAC", "MKV"])
    assert features.shape == (2, 420)
    assert features[0, :20].sum() == pytest.approx(1.0)
    assert features[0, 0] == pytest.approx(0.75)
