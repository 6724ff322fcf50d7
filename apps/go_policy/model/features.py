"""Input planes of the AlphaGo (Silver et al. 2016) policy-network family.

Every plane is binary and seen from the player to move. Groups of planes:

=================  ======  ===================================================
name               planes  meaning
=================  ======  ===================================================
stone_color       3       player stone / opponent stone / empty
ones               1       constant 1 (marks the board inside the zero padding)
turns_since        8       a stone was played 1, 2, ..., 8+ turns ago
liberties          8       the stone's group has 1, 2, ..., 8+ liberties
capture_size       8       playing here captures 0, 1, ..., 7+ opponent stones
self_atari_size    8       playing here leaves own group of 1..8+ stones in atari
liberties_after    8       liberties of the own group after playing here, 1..8+
sensibleness       1       legal and does not fill one of the player's own eyes
zeros              1       constant 0 (as in AlphaGo's 48 planes)
player_color      1       1 if Black is to move
=================  ======  ===================================================

AlphaGo's two ladder planes are not computed (they need a ladder reader), so
the ``full`` set has 47 planes: AlphaGo's 48 minus the 2 ladder planes plus the
player-color plane of its value network.
"""

from __future__ import annotations

import numpy as np

from apps.go_policy.rules.board import BLACK, EMPTY, Board, other

PLANE_GROUPS = {
    "stone_color": 3,
    "ones": 1,
    "turns_since": 8,
    "liberties": 8,
    "capture_size": 8,
    "self_atari_size": 8,
    "liberties_after": 8,
    "sensibleness": 1,
    "zeros": 1,
    "player_color": 1,
}

FEATURE_SETS = {
    "minimal": ["stone_color", "ones"],
    "small": ["stone_color", "ones", "turns_since", "liberties", "sensibleness", "player_color"],
    "full": list(PLANE_GROUPS),
}

_MOVE_GROUPS = {"capture_size", "self_atari_size", "liberties_after", "sensibleness"}
# Plane names saved in earlier networks' configs (the shipped presets), read as today's names.
_EARLIER_NAMES = {"stone_colour": "stone_color", "player_colour": "player_color"}


def resolve_feature_set(features) -> list[str]:
    """A feature-set name (``minimal``, ``small``, ``full``) or a list of plane-group names."""
    if isinstance(features, str):
        if features in FEATURE_SETS:
            return list(FEATURE_SETS[features])
        features = [name.strip() for name in features.split(",") if name.strip()]
    names = [_EARLIER_NAMES.get(name, name) for name in features]
    unknown = [name for name in names if name not in PLANE_GROUPS]
    if unknown or not names:
        raise ValueError(
            f"Unknown feature planes {unknown or names!r}: expected a set name "
            f"({', '.join(FEATURE_SETS)}) or a comma-separated list of {', '.join(PLANE_GROUPS)}"
        )
    return names


def _one_hot(values: np.ndarray, planes: int, start: int = 1) -> np.ndarray:
    """(n,) ints -> (planes, n): value v >= start sets plane min(v, start+planes-1) - start."""
    out = np.zeros((planes, values.shape[0]), dtype=np.uint8)
    valid = values >= start
    index = np.minimum(values, start + planes - 1) - start
    out[index[valid], np.nonzero(valid)[0]] = 1
    return out


class FeatureEncoder:
    """Turn a ``Board`` into a (size, size, planes) uint8 array for the player to move.

    Args:
        features: ``"small"`` (22 planes), ``"full"`` (47 planes), ``"minimal"``
            (4 planes) or a list of plane-group names from ``PLANE_GROUPS``.
    """

    def __init__(self, features="small"):
        self.groups = resolve_feature_set(features)
        self.num_planes = sum(PLANE_GROUPS[name] for name in self.groups)

    @property
    def plane_names(self) -> list[str]:
        names = []
        for group in self.groups:
            count = PLANE_GROUPS[group]
            names += [group] if count == 1 else [f"{group}_{i + 1}" for i in range(count)]
        return names

    def get_config(self) -> dict:
        return {"features": list(self.groups)}

    def encode(self, board: Board) -> np.ndarray:
        size = board.size
        n = size * size
        player = board.to_move
        stones = np.fromiter(board.stones, dtype=np.int8, count=n)
        need_moves = bool(_MOVE_GROUPS.intersection(self.groups))
        move_info = _move_features(board, player) if need_moves else None
        parts = []
        for group in self.groups:
            if group == "stone_color":
                parts.append(np.stack([stones == player, stones == other(player), stones == EMPTY]).astype(np.uint8))
            elif group == "ones":
                parts.append(np.ones((1, n), np.uint8))
            elif group == "zeros":
                parts.append(np.zeros((1, n), np.uint8))
            elif group == "player_color":
                parts.append(np.full((1, n), 1 if player == BLACK else 0, np.uint8))
            elif group == "turns_since":
                played = np.fromiter(board.last_played, dtype=np.int32, count=n)
                age = np.where(played >= 0, board.move_number - played, 8)
                age = np.where(stones != EMPTY, np.maximum(age, 1), 0)
                parts.append(_one_hot(age, 8))
            elif group == "liberties":
                libs = np.fromiter(
                    (len(g.liberties) if g is not None else 0 for g in board.groups), dtype=np.int32, count=n
                )
                parts.append(_one_hot(libs, 8))
            elif group == "capture_size":
                parts.append(_one_hot(move_info[0], 8, start=0))
            elif group == "self_atari_size":
                parts.append(_one_hot(move_info[1], 8))
            elif group == "liberties_after":
                parts.append(_one_hot(move_info[2], 8))
            elif group == "sensibleness":
                parts.append(move_info[3][None, :].astype(np.uint8))
        planes = np.concatenate(parts, axis=0)
        return np.ascontiguousarray(planes.T.reshape(size, size, self.num_planes))


def _move_features(board: Board, player: int):
    """Per point: capture size (-1 if illegal), self-atari size, liberties after, sensible."""
    size = board.size
    n = size * size
    stones, groups, neighbours = board.stones, board.groups, board.neighbours
    capture = np.full(n, -1, np.int32)
    self_atari = np.zeros(n, np.int32)
    libs_after = np.zeros(n, np.int32)
    sensible = np.zeros(n, bool)
    for point in range(n):
        if stones[point] != EMPTY:
            continue
        if point == board.ko and player == board.ko_color:
            continue
        friends, captured, liberties = [], [], set()
        for near in neighbours[point]:
            state = stones[near]
            if state == EMPTY:
                liberties.add(near)
            else:
                group = groups[near]
                if state == player:
                    if group not in friends:
                        friends.append(group)
                elif len(group.liberties) == 1 and group not in captured:
                    captured.append(group)
        for group in friends:
            liberties |= group.liberties
        liberties.discard(point)
        if captured:
            own = {point}
            for group in friends:
                own |= group.stones
            for group in captured:
                for stone in group.stones:
                    if any(near in own for near in neighbours[stone]):
                        liberties.add(stone)
        if not liberties:
            continue  # suicide: illegal
        if board.superko and not board.is_legal(point, player):
            continue
        capture[point] = sum(len(group.stones) for group in captured)
        libs_after[point] = len(liberties)
        if len(liberties) == 1:
            self_atari[point] = 1 + sum(len(group.stones) for group in friends)
        sensible[point] = not board.is_eye(point, player)
    return capture, self_atari, libs_after, sensible


def legal_mask(board: Board) -> np.ndarray:
    """Boolean (size*size,) mask of the legal points for the player to move."""
    mask = np.zeros(board.size * board.size, bool)
    for point in board.legal_moves():
        mask[point] = True
    return mask


def sensible_mask(board: Board) -> np.ndarray:
    """Legal points that do not fill the mover's own true eye."""
    mask = np.zeros(board.size * board.size, bool)
    for point in board.sensible_moves():
        mask[point] = True
    return mask


def masked_probabilities(probabilities: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Zero the illegal points and renormalise (uniform over legal points if all mass was illegal)."""
    probabilities = np.where(mask, probabilities, 0.0)
    total = probabilities.sum()
    if total <= 0:
        return mask / max(mask.sum(), 1)
    return probabilities / total
