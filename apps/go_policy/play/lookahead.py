"""One-move lookahead with a value network: the network's likeliest moves, each judged by the
value of the position it leads to.

Why: the policy network ranks moves by how often a professional plays them; a value network
(``model.value``) estimates who wins the position after each. AlphaGo mixes the two in a
tree search of thousands of positions a move; on two CPU cores the engine can afford one
batched value call of a few positions, so it reads one move ahead, cautiously:

- the candidates are the ``width`` likeliest moves (after the engine's masks: sensible,
  and with ``tactics`` not losing stones by reading) whose probability is at least
  ``min_share`` of the favourite's: a value estimate trained on professional games has
  never seen the moves professionals do not play, so it is not asked about them;
- the favourite is kept unless another candidate's value, for the mover, beats it by more
  than ``margin`` (values run from -1, a loss, to +1, a win): the policy decides wherever
  the value sees no clear difference.

This module imports no Keras (the engine that imports it runs from ONNX too): the value
network is any model with ``input_shape`` and ``predict_on_batch`` (``model.value``).
"""

from __future__ import annotations

import numpy as np

WIDTH = 4
MIN_SHARE = 0.25
MARGIN = 0.1


def lookahead_candidates(probabilities: np.ndarray, width: int = WIDTH, min_share: float = MIN_SHARE) -> list[int]:
    """The points the lookahead reads, likeliest first (empty when no move has a probability)."""
    probabilities = np.asarray(probabilities)
    top = float(probabilities.max()) if probabilities.size else 0.0
    if top <= 0:
        return []
    ranked = np.argsort(-probabilities, kind="stable")[:width]
    return [int(point) for point in ranked if probabilities[point] >= min_share * top]


def value_choice(board, probabilities: np.ndarray, value_model, encoder, width: int = WIDTH,
                 min_share: float = MIN_SHARE, margin: float = MARGIN):
    """(the point to play, {point: value for the mover after it}) for ``board.to_move``: the
    favourite unless a candidate's value beats its own by more than ``margin``. (None, {}) when
    no move has a probability. Raises ValueError for a board the value network cannot read."""
    size = value_model.input_shape[1]
    if board.size != size:
        raise ValueError(f"the value network reads {size}x{size} boards only, got {board.size}x{board.size}")
    candidates = lookahead_candidates(probabilities, width, min_share)
    if len(candidates) < 2:
        return (candidates[0] if candidates else None), {}
    color = board.to_move
    after = []
    for point in candidates:
        position = board.snapshot()
        position.play(point, color)
        after.append(position)
    values = -mover_value(value_model, after, encoder)  # the opponent moves next in each
    best = int(np.argmax(values))
    chosen = candidates[best] if values[best] > values[0] + margin else candidates[0]
    return chosen, dict(zip(candidates, values.tolist()))


def mover_value(value_model, boards, encoder) -> np.ndarray:
    """The value of each board for its player to move, shape (n,)."""
    x = np.stack([encoder.encode(board) for board in boards]).astype("float32")
    return np.asarray(value_model.predict_on_batch(x), dtype=float).reshape(-1)


__all__ = ["MARGIN", "MIN_SHARE", "WIDTH", "lookahead_candidates", "mover_value", "value_choice"]
