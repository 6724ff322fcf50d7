"""Dead stones, seki and the score of a finished game, from random play-outs.

Why: when both players pass, dead stones are still on the board, and a Tromp-Taylor
count takes them for alive (a dead stone in the opponent's territory turns it into
neutral points). GNU Go, GoGui and Sabaki ask the engine ``final_status_list dead``
and ``final_score`` to settle the game the way players count it. With no search and no
value network, the engine estimates who owns each point the way Monte Carlo Go
programs (Pachi, Fuego) do at the end of a game: play the position out many times with
random moves (legal, filling no eye of the mover, no self-atari of a big string,
answering ataris), count each final position by area, and call a string dead when the
opponent owns its points in most play-outs. A seki is recognised on the board: two
opposing strings that share a liberty neither can fill without putting itself in atari,
and that live.

The estimate is good for finished games (borders closed); in an unsettled position
random play-outs are a rough guess, and so is every count made from them.
"""

from __future__ import annotations

import random

import numpy as np

from apps.go_policy.rules.board import BLACK, EMPTY, WHITE, Board, result_string

STATUSES = ("alive", "dead", "seki")
LARGEST_SACRIFICE = 2  # play-outs may put strings of up to this many stones in atari (see _play_out)


def check_playouts(playouts: int) -> int:
    """``playouts`` as an int, or a clear error (0 means the Tromp-Taylor count)."""
    if playouts < 0:
        raise ValueError(f"playouts must be 0 (Tromp-Taylor count) or more, got {playouts}")
    return int(playouts)


def _position(board: Board) -> Board:
    """The stones of ``board`` with its side to move and ko, without the move history."""
    position = without_stones(board, ())
    position.ko, position.ko_color = board.ko, board.ko_color
    return position


def _replies(board: Board, last: int, color: int) -> list[int]:
    """Mogo's tactical answers to the opponent's ``last`` move: capture the string it played
    when that is in atari; save each of the mover's strings it put in atari, by capturing an
    attacker in atari or by extending where that gains liberties."""
    groups, neighbours = board.groups, board.neighbours
    replies = []
    played = groups[last]
    if played is not None and len(played.liberties) == 1:
        replies.extend(played.liberties)
    for near in neighbours[last]:
        group = groups[near]
        if group is None or group.color != color or len(group.liberties) != 1:
            continue
        for stone in group.stones:
            for touching in neighbours[stone]:
                attacker = groups[touching]
                if attacker is not None and attacker.color != color and len(attacker.liberties) == 1:
                    replies.extend(attacker.liberties)
        (liberty,) = group.liberties
        if self_atari_size(board, liberty, color) == 0:
            replies.append(liberty)
    return replies


def _acceptable(board: Board, point: int, color: int) -> bool:
    return (board.is_legal(point, color) and not board.is_eye(point, color)
            and self_atari_size(board, point, color) <= LARGEST_SACRIFICE)


def _play_out(board: Board, rng: random.Random, max_moves: int) -> np.ndarray:
    """Play the game out until both pass (or ``max_moves``); the final area owner per point.

    Each move answers the opponent's last move when it threatens or can be captured
    (``_replies``); otherwise it is drawn at random among the legal moves that fill no eye
    of the mover and put no string of more than ``LARGEST_SACRIFICE`` stones in atari. These
    are Mogo's and Pachi's play-out rules: without them living groups throw themselves away
    and every seki is broken; the small sacrifices (a throw-in, two stones played into an
    eye) stay allowed, since they are how a group with one eye space is killed.
    """
    stones = board.stones
    empty = [point for point, stone in enumerate(stones) if stone == EMPTY]
    passes = 0
    for _ in range(max_moves):
        color = board.to_move
        move = None
        last = board.history[-1][1] if board.history else None
        if last is not None:
            replies = _replies(board, last, color)
            rng.shuffle(replies)
            move = next((point for point in replies if _acceptable(board, point, color)), None)
        candidates, count = (list(empty), len(empty)) if move is None else ((), 0)
        while count:  # draw without replacement until a sensible move turns up
            index = rng.randrange(count)
            point = candidates[index]
            if _acceptable(board, point, color):
                move = point
                break
            count -= 1
            candidates[index] = candidates[count]
        if move is None:
            board.play(None, color)
            passes += 1
            if passes >= 2:
                break
            continue
        passes = 0
        empty.remove(move)
        empty.extend(board.play(move, color))
    return board.area().reshape(-1)


def ownership(board: Board, playouts: int = 64, seed: int = 0) -> np.ndarray:
    """Each point's expected owner after random play-outs: +1 Black, -1 White, 0 neutral.

    Returns a (size * size,) float array, the mean over ``playouts`` games.
    """
    if playouts < 1:
        raise ValueError(f"playouts must be at least 1, got {playouts}")
    total = np.zeros(board.size * board.size)
    for owner in play_outs(board, playouts, random.Random(seed)):
        total += (owner == BLACK).astype(float) - (owner == WHITE)
    return total / playouts


def play_outs(board: Board, playouts: int, rng: random.Random):
    """Play ``board`` out ``playouts`` times (``_play_out``); yield each final area owner
    per point (a (size * size,) array of BLACK, WHITE, EMPTY)."""
    max_moves = 3 * board.size * board.size
    for _ in range(playouts):
        yield _play_out(_position(board), rng, max_moves)


def counted_ownership(board: Board, playouts: int, seed: int = 0) -> np.ndarray:
    """``ownership`` over ``playouts`` play-outs, or for ``playouts=0`` the Tromp-Taylor
    owners of the position as it stands (every stone alive)."""
    if check_playouts(playouts):
        return ownership(board, playouts=playouts, seed=seed)
    area = board.area().reshape(-1)
    return (area == BLACK).astype(float) - (area == WHITE)


def _strings(board: Board) -> list:
    """Every string (group) on the board once, in point order of its first stone."""
    seen, strings = set(), []
    for point, group in enumerate(board.groups):
        if group is not None and id(group) not in seen:
            seen.add(id(group))
            strings.append(group)
    return strings


def self_atari_size(board: Board, point: int, color: int) -> int:
    """The size of the string ``color`` would leave in atari (one liberty or none) by
    playing ``point`` without capturing anything; 0 when the move is no self-atari."""
    liberties, strings, size = set(), set(), 1
    for near in board.neighbours[point]:
        stone = board.stones[near]
        if stone == EMPTY:
            liberties.add(near)
        elif stone == color:
            group = board.groups[near]
            if id(group) not in strings:
                strings.add(id(group))
                liberties |= group.liberties
                size += len(group.stones)
        elif len(board.groups[near].liberties) == 1:
            return 0  # the move captures
    liberties.discard(point)
    return size if len(liberties) <= 1 else 0


def seki_points(board: Board, candidates) -> set[int]:
    """Empty points next to a black and a white string of ``candidates`` that neither color
    can fill without self-atari."""
    strings = {id(group) for group in candidates}
    points = set()
    for point, stone in enumerate(board.stones):
        if stone != EMPTY:
            continue
        colors = {board.stones[near] for near in board.neighbours[point]
                   if board.stones[near] != EMPTY and id(board.groups[near]) in strings}
        if colors == {BLACK, WHITE} and all(self_atari_size(board, point, c) for c in colors):
            points.add(point)
    return points


def _sorted_strings(board: Board) -> list[list[int]]:
    return [sorted(group.stones) for group in _strings(board)]


def _held(board: Board, stones: list[int], owner: np.ndarray) -> float:
    """The share (0..1) of the play-outs in which the string's color owns its points."""
    sign = 1.0 if board.stones[stones[0]] == BLACK else -1.0
    return float(np.mean((sign * owner[stones] + 1.0) / 2.0))


def dead_points(board: Board, owner: np.ndarray, dead_below: float = 0.5) -> list[int]:
    """The points of the dead strings (``final_status``'s rule, without the seki search)."""
    return [point for stones in _sorted_strings(board) if _held(board, stones, owner) < dead_below
            for point in stones]


def final_status(board: Board, playouts: int = 64, seed: int = 0, dead_below: float = 0.5,
                 owner: np.ndarray | None = None) -> dict[str, list[list[int]]]:
    """The strings of ``board`` as GTP's ``final_status_list`` sorts them.

    A string is dead when, averaged over its stones and the play-outs, its color owns
    its points less than ``dead_below`` of the time; a living string is in seki when, with
    the dead stones taken off, it touches a seki point (see ``seki_points``).
    ``owner`` reuses an ``ownership`` estimate. Returns ``{"alive": [...], "dead": [...],
    "seki": [...]}``, each a list of strings, each string a sorted list of points.
    """
    if owner is None:
        owner = ownership(board, playouts=playouts, seed=seed)
    status = {name: [] for name in STATUSES}
    living = []
    for stones in _sorted_strings(board):
        (status["dead"] if _held(board, stones, owner) < dead_below else living).append(stones)
    cleaned = without_stones(board, [point for string in status["dead"] for point in string])
    in_seki = set()
    for point in seki_points(cleaned, _strings(cleaned)):
        in_seki |= {near for near in cleaned.neighbours[point] if cleaned.stones[near] != EMPTY}
    for stones in living:
        status["seki" if in_seki.intersection(stones) else "alive"].append(stones)
    return status


def without_stones(board: Board, points) -> Board:
    """A copy of the position with the stones at ``points`` taken off (no history)."""
    removed = set(points)
    position = Board(board.size, board.komi)
    for point, stone in enumerate(board.stones):
        if stone != EMPTY and point not in removed:
            position.place_setup(stone, point)
    position.to_move = board.to_move
    return position


def area_score(board: Board, owner: np.ndarray, sure: float = 0.5) -> float:
    """Black minus White minus komi by area, the dead stones (``dead_points``) taken off.

    A point the area count leaves neutral (its empty region touches both colors: an open
    border, a neutral point) goes to the color that owns it in most play-outs when the mean
    ownership passes ``sure`` (0.5: three play-outs in four). In a finished game this is
    the plain area count with the dead stones off, GNU Go's ``final_score`` with Chinese
    rules; ``python -m benchmarks.go_scoring`` compares the two on unfinished games too.
    """
    area = without_stones(board, dead_points(board, owner)).area().reshape(-1)
    undecided = np.where(np.abs(owner) > sure, np.sign(owner), 0.0)
    counted = np.where(area == BLACK, 1.0, np.where(area == WHITE, -1.0, undecided))
    return float(counted.sum()) - board.komi


def final_score(board: Board, playouts: int = 64, seed: int = 0) -> str:
    """GTP's ``final_score`` of ``board`` (``'B+3.5'``, ``'W+0.5'``, ``'0'``): ``area_score``
    over ``playouts`` random play-outs."""
    return result_string(area_score(board, ownership(board, playouts=playouts, seed=seed)))


__all__ = ["STATUSES", "area_score", "check_playouts", "counted_ownership", "dead_points", "final_score",
           "final_status", "ownership", "play_outs", "seki_points", "self_atari_size", "without_stones"]
