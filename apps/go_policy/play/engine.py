"""Move selection with the policy network, alone (no search) as in Clark & Storkey 2015, or
checked by tactical reading (``tactics=True``, ``play.tactics``).

The network's probabilities are masked to *sensible* moves (legal and not filling
one of the mover's own true eyes, as in AlphaGo's rollouts and the dlgo book) and
the most probable move is played (or one is sampled with ``temperature > 0``).
A policy network knows nothing about ending the game, so the engine passes when
no sensible move is left, or when the opponent has just passed and the area count
already favours it: the count of ``rules.scoring.area_score`` over random play-outs,
which takes dead stones off as GNU Go does (``playouts=0``: the plain Tromp-Taylor
count, which takes every stone on the board for alive). Behind after an opponent's
pass, it plays on only at unsettled points, which neither color owns in 3 play-outs of
4, and never into self-atari there; it passes when no such move is left. Under area
scoring a stone in its own territory gains nothing and can fill its own eyes, one thrown
into settled enemy territory dies and is thrown in again, and a self-atari is captured
and played again: playing on anywhere sensible drags a lost game on without changing it.

With ``tactics=True`` the engine reads out its strings that are short of liberties before
it moves, drops the moves that leave three or more stones more capturable than the best
move read, and plays the network's favourite among the rest (``play.tactics.safe_moves``):
the smallest search, aimed at the strings the network leaves in atari or plays into atari.

With a value network (``value=``, ``load_value``) the engine also reads one move ahead on
19x19 boards: of its likeliest moves, it plays another than its favourite only where the
value of the position after it is clearly higher (``play.lookahead``).
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path

import numpy as np

from apps.go_policy.model.data import check_symmetries, predict_with_symmetries
from apps.go_policy.model.features import FeatureEncoder, masked_probabilities, sensible_mask
from apps.go_policy.play.lookahead import value_choice
from apps.go_policy.play.tactics import safe_moves
from apps.go_policy.rules.board import BLACK, EMPTY, Board
from apps.go_policy.rules.scoring import area_score, check_playouts, counted_ownership, self_atari_size


def load_policy(path=None):
    """Load a policy network saved as ``.keras`` or a preset by name (``shared.presets``; checked
    against its recorded checksum); raises a clear error if it is missing. ``None`` loads the
    shipped ``DEFAULT_PRESET``."""
    if path is None:
        from apps.go_policy.presets import DEFAULT_PRESET

        path = DEFAULT_PRESET
    from shared.presets import is_preset, preset_file

    path = preset_file(path) if is_preset(path) else Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"policy model {path} not found: pass --model PATH to a .keras file written by "
            "`cnnkit go train` (its policy.keras)"
        )
    import keras

    import apps.go_policy.model.network  # noqa: F401  (registers the custom classes)

    with warnings.catch_warnings():
        # A network is compiled as it is built (shared.tasks.Task), so Keras would try to restore
        # the saved optimizer's state into that fresh optimizer and warn that it cannot. Playing
        # and fine-tuning use the weights only.
        warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer", category=UserWarning)
        return keras.saving.load_model(path, compile=False)


def load_value(path, policy):
    """The value network for ``policy`` (a Keras ``PolicyNetwork``) from ``path``: a whole value
    network (``benchmarks.go_value --train-trunk``: value_network.keras), or a value head
    (value_head.keras), which goes under the policy's own trunk. A head only fits the trunk it
    was trained on; the benchmark's result names that preset."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"value network {path} not found: pass --value PATH to a .keras file written by "
                                "`python -m benchmarks.go_value` (value_head.keras or value_network.keras)")
    import keras

    import apps.go_policy.model.network  # noqa: F401  (registers the custom classes)
    from apps.go_policy.model.value import build_value_network

    loaded = keras.saving.load_model(path, compile=False)
    if loaded.name == "value_network":
        return loaded
    if getattr(policy, "runtime", None) == "onnx":
        raise ValueError("a value head needs the Keras policy network (its trunk); pass --runtime keras")
    filters = int(policy.backbone.output_shape[-1])
    if int(loaded.input_shape[-1]) != filters:
        raise ValueError(f"value head {path} reads {loaded.input_shape[-1]} feature maps but the policy's trunk "
                         f"gives {filters}: it was trained on another network")
    return build_value_network(policy, loaded)


class PolicyEngine:
    """Choose moves for a ``Board`` with a policy network.

    Args:
        model: a ``PolicyNetwork`` (its ``features`` say how to encode positions), or its ONNX
            export (``shared.runtime.OnnxModel``, which needs no Keras).
        temperature: 0 plays the arg-max; > 0 samples from p ** (1 / temperature).
        seed: random seed for sampling.
        symmetries: average the network over this many board symmetries (1 to 8; one
            network call on a batch of that size), a little stronger and slower.
        playouts: random play-outs that count the position (dead stones off) when the
            opponent has passed; 0 counts the stones as they stand (Tromp-Taylor).
        tactics: read out the strings short of liberties before moving (``play.tactics``);
            False plays the network alone.
        value: a value network (``load_value``) for a one-move lookahead on 19x19 boards
            (``play.lookahead``) when the engine plays its best move (``temperature=0``);
            None: no lookahead.
    """

    name = "cnnkit-go"
    version = "0.1.0"

    def __init__(self, model, temperature: float = 0.0, seed: int = 0, symmetries: int = 1,
                 playouts: int = 64, tactics: bool = False, value=None):
        self.model = model
        self.value = value
        if getattr(model, "runtime", None) == "onnx":
            features, planes = model.config.get("features") or "small", model.input_shapes[0][-1]
        else:
            features, planes = getattr(model, "features", None) or "small", model.input_shape[-1]
        self.encoder = FeatureEncoder(features)
        if int(planes) != self.encoder.num_planes:
            raise ValueError(
                f"the model expects {planes} input planes but feature set {features!r} "
                f"has {self.encoder.num_planes}"
            )
        self.symmetries = check_symmetries(symmetries)  # fail now, not at the first genmove
        self.playouts = check_playouts(playouts)
        self.tactics = bool(tactics)
        self.seed = seed
        self.temperature = float(temperature)
        self.rng = np.random.default_rng(seed)
        self.last_seconds = 0.0

    def probabilities(self, board: Board) -> np.ndarray:
        """Raw network move probabilities, shape (size * size,)."""
        return self.batch_probabilities([board])[0]

    def batch_probabilities(self, boards, symmetries: int | None = None) -> np.ndarray:
        """Raw probabilities of several positions in one network call, shape (n, size * size),
        averaged over ``symmetries`` (default: the engine's)."""
        return self.planes_probabilities(np.stack([self.encoder.encode(board) for board in boards]), symmetries)

    def planes_probabilities(self, planes: np.ndarray, symmetries: int | None = None) -> np.ndarray:
        """Raw probabilities of positions already encoded by ``self.encoder``, shape (n, size * size)."""
        x = np.asarray(planes).astype("float32")
        return predict_with_symmetries(self._call, x, symmetries or self.symmetries).astype("float64")

    def _call(self, x: np.ndarray) -> np.ndarray:
        # predict_on_batch runs the model's compiled predict function (traced once per board
        # size and batch), without model.predict's data-adapter set-up, and is several times
        # faster than calling the model eagerly for one position.
        return np.asarray(self.model.predict_on_batch(x))

    def move_probabilities(self, board: Board) -> np.ndarray:
        """Probabilities masked to sensible moves and renormalised (zeros if none)."""
        return self.batch_move_probabilities([board])[0]

    def batch_move_probabilities(self, boards, symmetries: int | None = None) -> np.ndarray:
        """``move_probabilities`` of several positions of one size, in one network call."""
        masks = [sensible_mask(board) for board in boards]
        raw = self.batch_probabilities(boards, symmetries)
        return np.stack([masked_probabilities(p, m) if m.any() else np.zeros_like(p) for p, m in zip(raw, masks)])

    def select_move(self, board: Board, pass_when_ahead: bool = True):
        """The point to play for ``board.to_move``, or None to pass.

        After an opponent's pass it passes when ahead by the count, and otherwise plays on
        only at ``play_on_points``. ``pass_when_ahead=False`` plays on after an opponent pass
        until nothing sensible is left, capturing every dead stone (GTP's
        ``kgs-genmove_cleanup``).
        """
        start = time.perf_counter()
        try:
            owner = None
            if pass_when_ahead and board.history and board.history[-1][1] is None:
                owner = counted_ownership(board, self.playouts, seed=self.seed)
                if self._ahead(board, owner):
                    return None
            probabilities = self.move_probabilities(board)
            if owner is not None:
                probabilities = probabilities * play_on_points(board, owner)
            if self.tactics and probabilities.sum() > 0:
                probabilities = probabilities * safe_moves(board, probabilities)
            if probabilities.sum() <= 0:
                return None
            if self.value is not None and self.temperature == 0 and board.size == self.value.input_shape[1]:
                return value_choice(board, probabilities, self.value, self.encoder)[0]
            if self.temperature > 0:
                weights = probabilities ** (1.0 / self.temperature)
                weights /= weights.sum()
                return int(self.rng.choice(len(weights), p=weights))
            return int(np.argmax(probabilities))
        finally:
            self.last_seconds = time.perf_counter() - start

    @staticmethod
    def _ahead(board: Board, owner: np.ndarray) -> bool:
        score = area_score(board, owner)
        return score > 0 if board.to_move == BLACK else score < 0


def play_on_points(board: Board, owner: np.ndarray) -> np.ndarray:
    """Where the player to move, behind after an opponent's pass, may still play: 1.0 at the
    points neither color owns in 3 play-outs of 4 (the count's threshold; ``owner`` is the
    mean of +1 Black / -1 White) where its move leaves none of its strings in atari."""
    points = (np.abs(np.asarray(owner, dtype=float)) < 0.5).astype(float)
    for point in np.flatnonzero(points):
        if board.stones[point] != EMPTY or self_atari_size(board, int(point), board.to_move):
            points[point] = 0.0
    return points
