"""Raw text -> padded token ids, with the vocabulary and preprocessing saved in the model.

The encoder is plain Python (no string tensors), so a saved ``.keras`` model predicts on
raw text under every Keras backend: ``TextClassifier`` stores ``encoder.get_config()``.
"""

from __future__ import annotations

import re
from collections import Counter

import numpy as np

PAD, UNK = "", "[UNK]"
# Zhang, Zhao and LeCun (2015): 69 characters plus the newline; anything else is [UNK].
CHAR_ALPHABET = list("abcdefghijklmnopqrstuvwxyz0123456789-,;.!?:'\"/\\|_@#$%^&*~`+=<>()[]{}") + ["\n", " "]
# A text this long (characters) is cut before tokenising: nothing of it could fit anyway.
MAX_RAW_CHARS = 100_000


def clean_str(text: str, lowercase: bool = True) -> str:
    """Kim's (2014) ``clean_str``: keep letters, digits and ``(),!?'` ``, split clitics.

    TREC keeps its case (``lowercase=False``), as in Kim's preprocessing.
    """
    text = re.sub(r"[^A-Za-z0-9(),!?\'\`]", " ", text)
    text = re.sub(r"\'s", " 's", text)
    text = re.sub(r"\'ve", " 've", text)
    text = re.sub(r"n\'t", " n't", text)
    text = re.sub(r"\'re", " 're", text)
    text = re.sub(r"\'d", " 'd", text)
    text = re.sub(r"\'ll", " 'll", text)
    text = re.sub(r",", " , ", text)
    text = re.sub(r"!", " ! ", text)
    text = re.sub(r"\(", " ( ", text)
    text = re.sub(r"\)", " ) ", text)
    text = re.sub(r"\?", " ? ", text)
    text = re.sub(r"\s{2,}", " ", text)
    text = text.strip()
    return text.lower() if lowercase else text


class TextEncoder:
    """Tokenise (words after ``clean_str``, or characters), map to ids, pad or cut.

    Id 0 is padding and id 1 is ``[UNK]``. The vocabulary comes from the training split only
    (``fit``), most frequent first; ``min_count`` keeps the words seen at least that often
    (rarer ones read as ``[UNK]``, so its vector is trained too and the embedding shrinks).
    ``max_length=None`` in ``fit`` pads to the longest training text, capped at ``length_cap``.
    """

    def __init__(self, level="word", lowercase=True, clean=True, max_length=None,
                 vocabulary=None, min_count=1, length_cap=400, min_length=1):
        if level not in ("word", "char"):
            raise ValueError(f"level must be 'word' or 'char', got {level!r}.")
        if isinstance(min_count, bool) or not isinstance(min_count, int) or min_count < 1:
            raise ValueError(f"min_count must be a whole number of at least 1, got {min_count!r}.")
        self.level = level
        self.lowercase = bool(lowercase)
        self.clean = bool(clean)
        self.max_length = None if max_length is None else int(max_length)
        self.min_count = int(min_count)
        self.length_cap = int(length_cap)
        self.min_length = int(min_length)
        self.vocabulary = list(vocabulary) if vocabulary is not None else None
        self._index = None if vocabulary is None else {t: i for i, t in enumerate(self.vocabulary)}

    # -- tokens ---------------------------------------------------------------------------
    def tokens(self, text: str) -> list[str]:
        """The tokens of one raw text, as the model sees them (before padding or cutting)."""
        text = str(text)[:MAX_RAW_CHARS]
        if self.level == "char":
            text = text.lower() if self.lowercase else text
            return list(text)
        if self.clean:
            return clean_str(text, lowercase=self.lowercase).split()
        return (text.lower() if self.lowercase else text).split()

    # -- fitting --------------------------------------------------------------------------
    def fit(self, texts) -> TextEncoder:
        """Build the vocabulary and the padded length from training texts only."""
        tokenised = [self.tokens(t) for t in texts]
        if not tokenised:
            raise ValueError("Cannot build a vocabulary from an empty training set.")
        if self.level == "char":
            self.vocabulary = [PAD, UNK] + CHAR_ALPHABET
        else:
            counts = Counter(token for tokens in tokenised for token in tokens)
            words = sorted((w for w, c in counts.items() if c >= self.min_count),
                           key=lambda w: (-counts[w], w))
            self.vocabulary = [PAD, UNK] + words
        self._index = {t: i for i, t in enumerate(self.vocabulary)}
        if self.max_length is None:
            longest = max(len(t) for t in tokenised)
            self.max_length = max(self.min_length, min(longest, self.length_cap))
        return self

    # -- encoding -------------------------------------------------------------------------
    @property
    def vocab_size(self) -> int:
        self._check_fitted()
        return len(self.vocabulary)

    def _check_fitted(self):
        if self.vocabulary is None or self.max_length is None:
            raise ValueError("The TextEncoder has no vocabulary yet: call fit(train_texts) first.")

    def encode(self, texts, return_report=False):
        """Texts -> int32 array (n, max_length); longer texts are cut and counted.

        With ``return_report=True`` also returns ``{"truncated": n, "unknown_tokens": n,
        "tokens": n, "empty": n}`` so callers can tell the user what happened.
        """
        self._check_fitted()
        texts = list(texts)
        ids = np.zeros((len(texts), self.max_length), dtype="int32")
        report = {"truncated": 0, "unknown_tokens": 0, "tokens": 0, "empty": 0}
        for row, text in enumerate(texts):
            tokens = self.tokens(text)
            if not tokens:
                report["empty"] += 1
            if len(tokens) > self.max_length:
                report["truncated"] += 1
                tokens = tokens[: self.max_length]
            for column, token in enumerate(tokens):
                index = self._index.get(token, 1)
                report["unknown_tokens"] += index == 1
                ids[row, column] = index
            report["tokens"] += len(tokens)
        return (ids, report) if return_report else ids

    def get_config(self) -> dict:
        return dict(level=self.level, lowercase=self.lowercase, clean=self.clean,
                    max_length=self.max_length, vocabulary=self.vocabulary,
                    min_count=self.min_count, length_cap=self.length_cap, min_length=self.min_length)

    @classmethod
    def from_config(cls, config: dict) -> TextEncoder:
        return cls(**config)

    def __repr__(self):
        size = None if self.vocabulary is None else len(self.vocabulary)
        return f"TextEncoder(level={self.level!r}, vocab_size={size}, max_length={self.max_length})"
