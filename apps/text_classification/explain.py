"""Which n-grams won the max-over-time pooling for the predicted class (Kim CNN).

Every pooled feature is one filter's best window. Its evidence for class ``c`` is the
feature value times its weight in the logits layer; windows are mapped back to the
tokens they covered (Keras ``same`` padding: ``(k - 1) // 2`` positions on the left).
"""

from __future__ import annotations

import html
import re

import keras
import numpy as np

_BRANCH = re.compile(r"stage1_block1_k(\d+)_act$")


def _branches(backbone):
    found = [(layer.name, int(_BRANCH.match(layer.name).group(1)))
             for layer in backbone.layers if _BRANCH.match(layer.name)]
    if not found:
        raise ValueError(f"explain needs a Kim CNN (filter windows and max-over-time pooling); "
                         f"this model is {getattr(backbone, 'name', backbone)!r}.")
    return found


def explain(classifier, text: str, top: int = 5) -> dict:
    """The ``top`` n-grams with the most evidence for the predicted class of ``text``.

    Returns ``label``, ``probabilities``, ``tokens``, ``token_scores`` (evidence summed over
    the winning windows that cover each token) and ``ngrams`` (text, start, end, score).
    """
    if not str(getattr(classifier, "architecture", "")).startswith("kim"):
        raise ValueError(f"explain supports the Kim CNN only; this model is "
                         f"{getattr(classifier, 'architecture', type(classifier).__name__)!r}.")
    backbone = classifier.backbone
    branches = _branches(backbone)
    tokens = classifier.encoder.tokens(text)[: classifier.encoder.max_length]
    if not tokens:
        raise ValueError("Cannot explain an empty text: no tokens are left after preprocessing.")
    ids = classifier.encode([text])
    probe = keras.Model(backbone.inputs, [backbone.get_layer(name).output for name, _ in branches])
    maps = probe.predict(ids, verbose=0)
    maps = [np.asarray(m, dtype="float32")[0] for m in (maps if isinstance(maps, list) else [maps])]
    pooled = np.concatenate([m.max(axis=0) for m in maps])
    probabilities = np.asarray(classifier.predict(ids, verbose=0), dtype="float32")[0]
    predicted = int(probabilities.argmax())
    weights = np.asarray(classifier.get_layer("logits").get_weights()[0], dtype="float32")[:, predicted]
    evidence = pooled * weights
    spans: dict[tuple[int, int], float] = {}
    token_scores = np.zeros(len(tokens), dtype="float32")
    offset = 0
    for activation, (_, width) in zip(maps, branches):
        positions = activation.argmax(axis=0)
        for unit, position in enumerate(positions):
            score = float(evidence[offset + unit])
            start = int(position) - (width - 1) // 2
            begin, end = max(start, 0), min(start + width, len(tokens))
            if begin >= end or score <= 0:
                continue
            spans[(begin, end)] = spans.get((begin, end), 0.0) + score
            token_scores[begin:end] += score
        offset += activation.shape[1]
    ranked = sorted(spans.items(), key=lambda item: -item[1])[:top]
    ngrams = [dict(text=" ".join(tokens[b:e]), start=b, end=e, score=s) for (b, e), s in ranked]
    return dict(text=text, label=classifier.label_names[predicted],
                probabilities={n: float(p) for n, p in zip(classifier.label_names, probabilities)},
                tokens=tokens, token_scores=token_scores.tolist(), ngrams=ngrams)


def highlight(result: dict, ansi: bool = False) -> str:
    """Tokens with the winning n-grams marked: ``[[...]]`` in plain text, bold yellow with ANSI."""
    marked = np.zeros(len(result["tokens"]), dtype=bool)
    for gram in result["ngrams"]:
        marked[gram["start"]:gram["end"]] = True
    pieces, index = [], 0
    tokens = result["tokens"]
    while index < len(tokens):
        if marked[index]:
            end = index
            while end < len(tokens) and marked[end]:
                end += 1
            words = " ".join(tokens[index:end])
            pieces.append(f"\033[1;33m{words}\033[0m" if ansi else f"[[{words}]]")
            index = end
        else:
            pieces.append(tokens[index])
            index += 1
    return " ".join(pieces)


def highlight_html(result: dict) -> str:
    """Tokens shaded by their evidence for the predicted class (for notebooks)."""
    scores = np.asarray(result["token_scores"], dtype="float32")
    peak = float(scores.max()) if scores.size and scores.max() > 0 else 1.0
    spans = []
    for token, score in zip(result["tokens"], scores):
        alpha = max(float(score) / peak, 0.0)
        spans.append(f'<span style="background: rgba(255, 170, 0, {alpha:.2f}); padding: 1px">'
                     f"{html.escape(token)}</span>")
    return f"<p><b>{html.escape(result['label'])}</b>: " + " ".join(spans) + "</p>"
