import struct

import numpy as np
import pytest

from apps.text_classification.vectors import detect_format, load_word_vectors

VOCAB = ["", "[UNK]", "good", "film", "Paris", "unseen"]
VECTORS = {"good": [1.0, 2.0, 3.0], "film": [-1.0, 0.5, 0.25], "paris": [0.0, 0.0, 7.0], "other": [9.0, 9.0, 9.0]}


def write_word2vec_binary(path):
    with open(path, "wb") as handle:
        handle.write(f"{len(VECTORS)} 3\n".encode())
        for word, vector in VECTORS.items():
            handle.write(word.encode() + b" " + struct.pack("<3f", *vector) + b"\n")


def write_text(path, header):
    lines = [f"{len(VECTORS)} 3"] if header else []
    lines += [word + " " + " ".join(str(v) for v in vector) for word, vector in VECTORS.items()]
    path.write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize("kind", ["word2vec-binary", "word2vec-text", "glove"])
def test_every_format_gives_the_same_matrix(tmp_path, kind):
    path = tmp_path / f"vectors.{kind}"
    if kind == "word2vec-binary":
        write_word2vec_binary(path)
    else:
        write_text(path, header=kind == "word2vec-text")
    assert detect_format(path) == kind
    report = {}
    matrix = load_word_vectors(path, VOCAB, report=report)
    assert matrix.shape == (6, 3)
    np.testing.assert_array_equal(matrix[0], 0.0)  # padding
    np.testing.assert_allclose(matrix[2], VECTORS["good"])
    np.testing.assert_allclose(matrix[3], VECTORS["film"])
    np.testing.assert_allclose(matrix[4], VECTORS["paris"])  # lower-case fallback
    assert np.all(np.abs(matrix[5]) <= 0.25)  # Kim: uniform(-0.25, 0.25) for words without a vector
    assert report == {"format": kind, "dim": 3, "found": 3, "missing": 1, "bad_lines": 0}


def test_bad_lines_are_counted_and_missing_files_named(tmp_path):
    path = tmp_path / "glove.txt"
    path.write_text("good 1 2 3\nfilm 1 2\nfilm x y z\n")
    report = {}
    load_word_vectors(path, VOCAB, report=report)
    assert report["bad_lines"] == 2 and report["found"] == 1
    with pytest.raises(ValueError, match="missing.vec does not exist"):
        load_word_vectors(tmp_path / "missing.vec", VOCAB)
