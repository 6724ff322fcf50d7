"""Tactical reading: the smallest search on top of the policy network.

Why: in the shipped preset's games against GNU Go, the lost games turn on strings of three
or more stones that GNU Go captured right after the engine had left them in atari or played
them into atari (``python -m benchmarks.go_blunders`` counts them, game by game). A policy
network sees liberties only as input planes; it does not read a ladder out. This module
reads the strings that are short of liberties, the way the tactical readers of GNU Go and
Pachi do, in the simplest form:

- a string with one liberty is captured when the opponent is to move;
- a string with two liberties is captured when the attacker can atari it on one of them
  and no answer saves it (``saving_moves``: extend at its liberty, or capture a string
  next to it that is itself in atari), read on until it has three liberties, is captured,
  or the node budget is spent (then it is taken to live). That reads ladders and chains of
  ataris; it does not read semeai, eyes or loose nets.

``safe_moves`` is how the engine uses it (``PolicyEngine(..., tactics=True)``): of the
network's likeliest moves and the moves that save or capture a string in danger, drop those
that leave three or more stones more capturable than the best of them, counting the stones
they capture themselves. The engine then plays the network's favourite among the rest, so
the network decides wherever the reading sees less than three stones at stake.
"""

from __future__ import annotations

import numpy as np

from apps.go_policy.rules.board import Board, other

MIN_STONES = 3  # fewer stones at stake are the network's to judge (throw-ins, small sacrifices)
WIDTH = 8  # how many of the network's likeliest moves are read
NODE_BUDGET = 400  # moves read per question before a string is taken to live


class _Budget:
    """Moves left to read for one question; when spent, every open line is taken to live."""

    __slots__ = ("left",)

    def __init__(self, nodes: int):
        self.left = nodes

    def spend(self) -> bool:
        self.left -= 1
        return self.left >= 0


def _after(board: Board, point: int, color: int) -> Board:
    position = board.snapshot()
    position.play(point, color)
    return position


def _attackers_in_atari(board: Board, point: int) -> list[int]:
    """The liberty of each opposing string in atari that touches the string at ``point``."""
    group = board.groups[point]
    seen, captures = set(), []
    for stone in group.stones:
        for near in board.neighbours[stone]:
            enemy = board.groups[near]
            if enemy is not None and enemy.color != group.color and id(enemy) not in seen:
                seen.add(id(enemy))
                if len(enemy.liberties) == 1:
                    captures.extend(enemy.liberties)
    return captures


def can_capture(board: Board, point: int, nodes: int = NODE_BUDGET, _budget: _Budget | None = None) -> bool:
    """Whether the opponent of the string at ``point``, moving next, captures it by reading
    (see the module's notes). Strings with three or more liberties are taken to live."""
    budget = _budget or _Budget(nodes)
    group = board.groups[point]
    if group is None:
        raise ValueError(f"no stone at point {point}")
    attacker = other(group.color)
    liberties = sorted(group.liberties)
    if len(liberties) == 1:
        return board.is_legal(liberties[0], attacker)
    if len(liberties) > 2:
        return False
    for liberty in liberties:
        if not budget.spend():
            return False  # read no further: the string is taken to live
        if not board.is_legal(liberty, attacker):
            continue
        after = _after(board, liberty, attacker)
        if after.groups[point] is None:
            return True
        if len(after.groups[point].liberties) == 1 and not _first_saving_move(after, point, budget):
            return True
    return False


def saving_moves(board: Board, point: int, nodes: int = NODE_BUDGET) -> list[int]:
    """The moves of the string at ``point``'s color (its side moving next) after which the
    string cannot be captured by reading: extending at a liberty, or capturing a string in
    atari that touches it. Empty when it cannot be saved."""
    budget = _Budget(nodes)
    return [move for move in _defences(board, point) if _saves(board, point, move, budget)]


def _defences(board: Board, point: int) -> list[int]:
    group = board.groups[point]
    if group is None:
        raise ValueError(f"no stone at point {point}")
    return list(dict.fromkeys(_attackers_in_atari(board, point) + sorted(group.liberties)))


def _saves(board: Board, point: int, move: int, budget: _Budget) -> bool:
    color = board.groups[point].color
    if not board.is_legal(move, color):
        return False
    if not budget.spend():
        return True  # read no further: the string is taken to live
    after = _after(board, move, color)
    return not can_capture(after, point, _budget=budget)


def _first_saving_move(board: Board, point: int, budget: _Budget):
    return next((move for move in _defences(board, point) if _saves(board, point, move, budget)), None)


def stones_at_risk(board: Board, color: int, min_stones: int = MIN_STONES, nodes: int = NODE_BUDGET) -> int:
    """The largest string of ``color`` (at least ``min_stones`` stones) that its opponent,
    moving next, captures by reading; 0 when none."""
    seen, largest = set(), 0
    for point, group in enumerate(board.groups):
        if group is None or group.color != color or id(group) in seen:
            continue
        seen.add(id(group))
        size = len(group.stones)
        if size >= max(min_stones, largest + 1) and len(group.liberties) <= 2 and can_capture(board, point, nodes):
            largest = size
    return largest


def rescue_moves(board: Board, color: int, min_stones: int = MIN_STONES) -> list[int]:
    """Moves worth reading beyond the network's favourites: the liberties of ``color``'s
    strings of ``min_stones`` or more with at most two liberties, the liberties of the
    opposing strings in atari next to them, and the liberties of any opposing string in
    atari of ``min_stones`` or more (capturing it)."""
    moves, seen = [], set()
    for point, group in enumerate(board.groups):
        if group is None or id(group) in seen:
            continue
        seen.add(id(group))
        size, liberties = len(group.stones), len(group.liberties)
        if group.color == color and size >= min_stones and liberties <= 2:
            moves.extend(_defences(board, point))
        elif group.color != color and size >= min_stones and liberties == 1:
            moves.extend(group.liberties)
    return list(dict.fromkeys(moves))


def safe_moves(board: Board, probabilities: np.ndarray, width: int = WIDTH, min_stones: int = MIN_STONES,
               nodes: int = NODE_BUDGET) -> np.ndarray:
    """A 0/1 mask of the moves to choose from: among the ``width`` likeliest moves and the
    ``rescue_moves`` (only legal ones with a probability above zero: the engine's masked
    probabilities keep them to sensible moves), those whose loss is less than ``min_stones``
    above the least.

    A move's loss is the largest string of the mover's, of any size, that the opponent then
    captures by reading, less the stones the move captures, and never below 0: reading only
    keeps the engine from losing stones; it never lures it into a small capture. The margin
    leaves the network its judgement where the reading sees only a stone or two at stake: it
    may extend a string of two in atari into a ladder of three, or give it up; reading
    overrules it only where its favourite loses ``min_stones`` or more stones more than the best
    move read.

    All zeros when ``probabilities`` has no move above zero (the engine passes)."""
    probabilities = np.asarray(probabilities)
    mask = np.zeros(probabilities.shape, dtype=float)
    color = board.to_move
    ranked = [int(p) for p in np.argsort(-probabilities, kind="stable")[:width] if probabilities[p] > 0]
    rescues = [move for move in rescue_moves(board, color, min_stones) if probabilities[move] > 0]
    candidates = [move for move in dict.fromkeys(ranked + rescues) if board.is_legal(move, color)]
    if not candidates:
        return mask
    losses = {}
    for move in candidates:
        position = board.snapshot()
        captured = len(position.play(move, color))
        losses[move] = max(0, stones_at_risk(position, color, 1, nodes) - captured)
    least = min(losses.values())
    for move, loss in losses.items():
        if loss < least + min_stones:
            mask[move] = 1.0
    return mask


__all__ = ["MIN_STONES", "NODE_BUDGET", "WIDTH", "can_capture", "rescue_moves", "safe_moves", "saving_moves",
           "stones_at_risk"]

