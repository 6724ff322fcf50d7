"""Pre-trained word vectors (word2vec binary, word2vec text, GloVe text) -> an embedding matrix.

Only the words of the model's vocabulary are kept, so a multi-gigabyte file costs a
single pass and little memory. Words without a vector get uniform(-0.25, 0.25) vectors
(Kim 2014); the padding row is zero.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def detect_format(path) -> str:
    """``"word2vec-binary"``, ``"word2vec-text"`` (header ``count dim``) or ``"glove"`` (no header)."""
    with open(path, "rb") as handle:
        first = handle.readline()
        sample = handle.read(4096)
    parts = first.split()
    header = len(parts) == 2 and all(p.isdigit() for p in parts)
    if header:
        try:
            sample.decode("utf-8")
            binary = b"\x00" in sample
        except UnicodeDecodeError as error:
            # A multi-byte character cut at the end of the sample is still text.
            binary = error.start < len(sample) - 4
        return "word2vec-binary" if binary else "word2vec-text"
    return "glove"


def _lookup(vocabulary):
    exact = {word: i for i, word in enumerate(vocabulary) if i >= 2}
    return exact


def load_word_vectors(path, vocabulary, seed: int = 0, report: dict | None = None):
    """Embedding matrix (len(vocabulary), dim) for ``vocabulary`` (index 0 = padding).

    A vocabulary word without an exact match takes the vector of its lower-cased form when
    one exists. ``report`` (a dict) receives ``found``, ``missing``, ``format``, ``bad_lines``.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"Word vector file {path} does not exist "
                         "(expected word2vec .bin, word2vec text or GloVe text).")
    fmt = detect_format(path)
    wanted = _lookup(vocabulary)
    lower_wanted: dict[str, list[int]] = {}
    for word, index in wanted.items():
        lower_wanted.setdefault(word.lower(), []).append(index)
    vectors: dict[int, np.ndarray] = {}
    from_lower: dict[int, np.ndarray] = {}
    dim = None
    bad = 0

    def offer(word, vector):
        index = wanted.get(word)
        if index is not None:
            vectors[index] = vector
        for index in lower_wanted.get(word.lower(), ()):
            from_lower.setdefault(index, vector)

    if fmt == "word2vec-binary":
        with open(path, "rb") as handle:
            count, dim = (int(x) for x in handle.readline().split())
            for row in range(count):
                word = bytearray()
                while True:
                    char = handle.read(1)
                    if char == b"":
                        raise ValueError(f"{path}: the word2vec binary file ends early, at vector {row} of {count}.")
                    if char == b" ":
                        break
                    if char != b"\n":
                        word.extend(char)
                data = handle.read(4 * dim)
                if len(data) != 4 * dim:
                    raise ValueError(f"{path}: the word2vec binary file ends early, at vector {row} of {count}.")
                offer(word.decode("utf-8", errors="replace"), np.frombuffer(data, dtype="<f4").copy())
    else:
        with open(path, "rb") as handle:
            if fmt == "word2vec-text":
                dim = int(handle.readline().split()[1])
            for line_number, raw in enumerate(handle, start=2 if fmt == "word2vec-text" else 1):
                parts = raw.rstrip(b"\r\n").split(b" ")
                if len(parts) < 2:
                    continue
                if dim is None:
                    dim = len(parts) - 1
                if len(parts) - 1 != dim:
                    bad += 1
                    continue
                try:
                    vector = np.asarray([float(x) for x in parts[1:]], dtype="float32")
                except ValueError:
                    bad += 1
                    continue
                offer(parts[0].decode("utf-8", errors="replace"), vector)
    if dim is None:
        raise ValueError(f"{path}: no word vectors found (expected word2vec .bin, word2vec text or GloVe text).")
    rng = np.random.default_rng(seed)
    matrix = rng.uniform(-0.25, 0.25, size=(len(vocabulary), dim)).astype("float32")
    matrix[0] = 0.0
    for index, vector in from_lower.items():
        matrix[index] = vector
    for index, vector in vectors.items():
        matrix[index] = vector
    found = len(set(vectors) | set(from_lower))
    if report is not None:
        report.update(format=fmt, dim=dim, found=found, missing=max(len(vocabulary) - 2 - found, 0), bad_lines=bad)
    return matrix
