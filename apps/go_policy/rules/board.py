"""Go rules engine: incremental groups and liberties, captures, ko, scoring.

Points are integers ``row * size + col`` with row 0 at the bottom (as in GTP
``A1`` and sgfmill). Colors are ``BLACK = 1``, ``WHITE = 2``, ``EMPTY = 0``.
A pass is ``None``. Groups are shared objects holding their stones and
liberties, updated on every move (merge by size, remove captured stones), so a
move costs time proportional to the groups it touches, not the board.
"""

from __future__ import annotations

import random

import numpy as np

EMPTY, BLACK, WHITE = 0, 1, 2
PASS = None
SIZES = (9, 13, 19)
GTP_COLUMNS = "ABCDEFGHJKLMNOPQRST"  # GTP skips the letter I


def other(color: int) -> int:
    return BLACK + WHITE - color


class IllegalMoveError(ValueError):
    """A move that the rules forbid (occupied point, suicide, ko, superko)."""


class Group:
    """A chain of same-colored stones and its liberties."""

    __slots__ = ("color", "stones", "liberties")

    def __init__(self, color, stones, liberties):
        self.color = color
        self.stones = stones
        self.liberties = liberties


_NEIGHBOURS: dict[int, list[tuple[int, ...]]] = {}
_ZOBRIST: dict[int, list[list[int]]] = {}


def neighbours_table(size: int) -> list[tuple[int, ...]]:
    """For each point, the tuple of its orthogonal neighbours (cached per size)."""
    if size not in _NEIGHBOURS:
        table = []
        for row in range(size):
            for col in range(size):
                near = []
                for dr, dc in ((-1, 0), (1, 0), (0, -1), (0, 1)):
                    r, c = row + dr, col + dc
                    if 0 <= r < size and 0 <= c < size:
                        near.append(r * size + c)
                table.append(tuple(near))
        _NEIGHBOURS[size] = table
    return _NEIGHBOURS[size]


def _zobrist(size: int) -> list[list[int]]:
    if size not in _ZOBRIST:
        rng = random.Random(19 * 19 + size)
        _ZOBRIST[size] = [[0, rng.getrandbits(64), rng.getrandbits(64)] for _ in range(size * size)]
    return _ZOBRIST[size]


def point_to_gtp(point, size: int) -> str:
    """``72 -> 'D4'`` on 19x19 (row 0 is line 1); ``None -> 'pass'``."""
    if point is None:
        return "pass"
    row, col = divmod(point, size)
    return f"{GTP_COLUMNS[col]}{row + 1}"


def gtp_to_point(vertex: str, size: int):
    """``'D4' -> point``; ``'pass' -> None``. Raises ValueError for anything else."""
    text = vertex.strip().upper()
    if text == "PASS":
        return None
    if len(text) < 2 or text[0] not in GTP_COLUMNS[:size] or not text[1:].isdigit():
        raise ValueError(f"invalid vertex {vertex!r}: expected e.g. 'D4' or 'pass' on a {size}x{size} board")
    row = int(text[1:]) - 1
    if not 0 <= row < size:
        raise ValueError(f"invalid vertex {vertex!r}: row outside 1..{size}")
    return row * size + GTP_COLUMNS.index(text[0])


class Board:
    """A Go position with the move history needed for ko, features and undo.

    Args:
        size: 9, 13 or 19 (any size from 2 to 25 works).
        komi: points added to White's area score.
        superko: forbid any move that repeats an earlier whole-board position
            (positional superko); the default is the simple ko rule.
    """

    def __init__(self, size: int = 19, komi: float = 7.5, superko: bool = False):
        if not isinstance(size, int) or not 2 <= size <= 25:
            raise ValueError(f"board size must be an int from 2 to 25, got {size!r}")
        self.size = size
        self.komi = float(komi)
        self.superko = bool(superko)
        self.neighbours = neighbours_table(size)
        self._zobrist = _zobrist(size)
        self.clear()

    # ------------------------------------------------------------------ state
    def clear(self) -> None:
        n = self.size * self.size
        self.stones = [EMPTY] * n
        self.groups: list[Group | None] = [None] * n
        self.to_move = BLACK
        self.ko = None  # the point that ko_color may not play at once (simple ko)
        self.ko_color = None  # the opponent of the capturer, whoever is set to move
        self.hash = 0
        self.history: list[tuple[int, int | None]] = []  # (color, point) of every move
        self.setup: list[tuple[int, int]] = []  # (color, point) of setup stones
        self.seen = {0}
        self.consecutive_passes = 0
        self.captures = {BLACK: 0, WHITE: 0}
        self.last_played = [-1] * n  # move number at which each stone was placed

    def copy(self) -> Board:
        """An independent copy (replays the record; cheap enough for tests and tools)."""
        board = Board(self.size, self.komi, self.superko)
        board.replay(self.setup, self.history)
        return board

    def snapshot(self) -> Board:
        """A copy of the position alone (stones, strings, ko, side to move; the simple ko rule,
        no move record), made without replaying anything: tactical reading plays thousands of
        moves on such copies, where ``copy`` would replay the whole game each time."""
        board = Board.__new__(Board)
        board.size, board.komi, board.superko = self.size, self.komi, False
        board.neighbours, board._zobrist = self.neighbours, self._zobrist
        board.stones = list(self.stones)
        clones: dict[int, Group] = {}
        groups: list[Group | None] = []
        for group in self.groups:
            if group is not None and id(group) not in clones:
                clones[id(group)] = Group(group.color, set(group.stones), set(group.liberties))
            groups.append(None if group is None else clones[id(group)])
        board.groups = groups
        board.to_move, board.ko, board.ko_color, board.hash = self.to_move, self.ko, self.ko_color, self.hash
        board.history = []
        board.setup = [(stone, point) for point, stone in enumerate(self.stones) if stone != EMPTY]
        board.seen = {self.hash}
        board.consecutive_passes = 0
        board.captures = dict(self.captures)
        board.last_played = list(self.last_played)
        return board

    def replay(self, setup, moves) -> None:
        """Reset, place ``setup`` stones, then play ``moves`` as (color, point) pairs."""
        self.clear()
        for color, point in setup:
            self.place_setup(color, point)
        for color, point in moves:
            self.play(point, color)

    def place_setup(self, color: int, point: int) -> None:
        """Put a handicap / setup stone (AB/AW); Black's handicap stones need not be legal moves."""
        if self.stones[point] != EMPTY:
            raise IllegalMoveError(f"setup stone on occupied point {point_to_gtp(point, self.size)}")
        self.setup.append((color, point))
        self._put(point, color)
        self._capture_around(point, color)
        self.seen.add(self.hash)

    @property
    def move_number(self) -> int:
        return len(self.history)

    @property
    def is_over(self) -> bool:
        """Two consecutive passes end the game."""
        return self.consecutive_passes >= 2

    # ------------------------------------------------------------------ rules
    def is_legal(self, point, color: int | None = None) -> bool:
        """Whether ``color`` (default: the player to move) may play ``point`` now."""
        if point is None:
            return True
        return self._legal_reason(point, self.to_move if color is None else color) is None

    def _legal_reason(self, point: int, color: int):
        if not 0 <= point < len(self.stones):
            return "point outside the board"
        if self.stones[point] != EMPTY:
            return "occupied point"
        if point == self.ko and color == self.ko_color:
            return "ko"
        stones, groups = self.stones, self.groups
        enemy = other(color)
        has_liberty = False
        captured: list[Group] = []
        for near in self.neighbours[point]:
            state = stones[near]
            if state == EMPTY:
                has_liberty = True
            else:
                group = groups[near]
                if state == color:
                    if len(group.liberties) > 1:
                        has_liberty = True
                elif len(group.liberties) == 1 and group not in captured:
                    captured.append(group)
        if not has_liberty and not captured:
            return "suicide"
        if self.superko:
            new_hash = self.hash ^ self._zobrist[point][color]
            for group in captured:
                for stone in group.stones:
                    new_hash ^= self._zobrist[stone][enemy]
            if new_hash in self.seen:
                return "positional superko"
        return None

    def play(self, point, color: int | None = None) -> list[int]:
        """Play a move (``None`` = pass) for ``color`` (default: the player to move).

        Returns the captured points. Raises IllegalMoveError naming the reason.
        """
        color = self.to_move if color is None else color
        if color not in (BLACK, WHITE):
            raise ValueError(f"color must be BLACK (1) or WHITE (2), got {color!r}")
        if point is None:
            self.history.append((color, None))
            self.consecutive_passes += 1
            self.ko = None
            self.to_move = other(color)
            return []
        reason = self._legal_reason(point, color)
        if reason is not None:
            raise IllegalMoveError(
                f"illegal move {point_to_gtp(point, self.size)} for "
                f"{'black' if color == BLACK else 'white'}: {reason}"
            )
        self._put(point, color)
        captured = self._capture_around(point, color)
        group = self.groups[point]
        self.ko = None
        if len(captured) == 1 and len(group.stones) == 1 and len(group.liberties) == 1:
            self.ko, self.ko_color = captured[0], other(color)
        self.captures[color] += len(captured)
        self.last_played[point] = len(self.history)
        self.history.append((color, point))
        self.consecutive_passes = 0
        self.to_move = other(color)
        self.seen.add(self.hash)
        return captured

    def _put(self, point: int, color: int) -> None:
        stones, groups, neighbours = self.stones, self.groups, self.neighbours
        stones[point] = color
        self.hash ^= self._zobrist[point][color]
        liberties = set()
        merged = None
        for near in neighbours[point]:
            state = stones[near]
            if state == EMPTY:
                liberties.add(near)
            elif state == color:
                other_group = groups[near]
                if merged is None:
                    merged = other_group
                elif other_group is not merged:
                    if len(other_group.stones) > len(merged.stones):
                        merged, other_group = other_group, merged
                    merged.stones |= other_group.stones
                    merged.liberties |= other_group.liberties
                    for stone in other_group.stones:
                        groups[stone] = merged
            else:
                groups[near].liberties.discard(point)
        if merged is None:
            merged = Group(color, {point}, liberties)
        else:
            merged.stones.add(point)
            merged.liberties |= liberties
            merged.liberties.discard(point)
        groups[point] = merged

    def _capture_around(self, point: int, color: int) -> list[int]:
        stones, groups, neighbours = self.stones, self.groups, self.neighbours
        enemy = other(color)
        captured: list[int] = []
        for near in neighbours[point]:
            if stones[near] == enemy:
                group = groups[near]
                if not group.liberties:
                    captured.extend(self._remove(group))
        return captured

    def _remove(self, group: Group) -> list[int]:
        stones, groups, neighbours, zobrist = self.stones, self.groups, self.neighbours, self._zobrist
        color = group.color
        for stone in group.stones:
            stones[stone] = EMPTY
            groups[stone] = None
            self.hash ^= zobrist[stone][color]
            self.last_played[stone] = -1
        for stone in group.stones:
            for near in neighbours[stone]:
                neighbour_group = groups[near]
                if neighbour_group is not None:
                    neighbour_group.liberties.add(stone)
        return list(group.stones)

    def undo(self) -> None:
        """Take back the last move (replays the record without it)."""
        if not self.history:
            raise ValueError("cannot undo: no moves have been played")
        self.replay(list(self.setup), self.history[:-1])

    # ---------------------------------------------------------- move lists
    def legal_moves(self, color: int | None = None) -> list[int]:
        """Every legal point for ``color`` (passing is always legal and not listed)."""
        color = self.to_move if color is None else color
        stones = self.stones
        return [p for p in range(len(stones)) if stones[p] == EMPTY and self._legal_reason(p, color) is None]

    def is_eye(self, point: int, color: int) -> bool:
        """A one-point true eye of ``color`` (the dlgo / Pachi heuristic), which no sensible move fills."""
        stones, size = self.stones, self.size
        if stones[point] != EMPTY:
            return False
        for near in self.neighbours[point]:
            if stones[near] != color:
                return False
        row, col = divmod(point, size)
        corners_ours = corners_off = 0
        for dr, dc in ((-1, -1), (-1, 1), (1, -1), (1, 1)):
            r, c = row + dr, col + dc
            if 0 <= r < size and 0 <= c < size:
                if stones[r * size + c] == color:
                    corners_ours += 1
            else:
                corners_off += 1
        if corners_off:
            return corners_off + corners_ours == 4
        return corners_ours >= 3

    def sensible_moves(self, color: int | None = None) -> list[int]:
        """Legal moves that do not fill one of the mover's own eyes."""
        color = self.to_move if color is None else color
        return [p for p in self.legal_moves(color) if not self.is_eye(p, color)]

    # -------------------------------------------------------------- scoring
    def area(self) -> np.ndarray:
        """Tromp-Taylor ownership per point: BLACK, WHITE or EMPTY (dame / neutral)."""
        stones, neighbours = self.stones, self.neighbours
        owner = list(stones)
        visited = [False] * len(stones)
        for start in range(len(stones)):
            if stones[start] != EMPTY or visited[start]:
                continue
            region, borders, frontier = [], set(), [start]
            visited[start] = True
            while frontier:
                point = frontier.pop()
                region.append(point)
                for near in neighbours[point]:
                    state = stones[near]
                    if state == EMPTY:
                        if not visited[near]:
                            visited[near] = True
                            frontier.append(near)
                    else:
                        borders.add(state)
            if len(borders) == 1:
                color = borders.pop()
                for point in region:
                    owner[point] = color
        return np.array(owner, dtype=np.int8).reshape(self.size, self.size)

    def score(self) -> float:
        """Tromp-Taylor area score, Black minus White minus komi (positive: Black wins)."""
        return area_count(self.area(), self.komi)

    def result(self) -> str:
        """The SGF / GTP result string of the Tromp-Taylor count (see ``result_string``)."""
        return result_string(self.score())

    # -------------------------------------------------------------- display
    def array(self) -> np.ndarray:
        """Stones as an int8 (size, size) array indexed [row, col], row 0 at the bottom."""
        return np.array(self.stones, dtype=np.int8).reshape(self.size, self.size)

    def __str__(self) -> str:
        symbols = {EMPTY: ".", BLACK: "X", WHITE: "O"}
        columns = GTP_COLUMNS[: self.size]
        lines = ["   " + " ".join(columns)]
        for row in range(self.size - 1, -1, -1):
            cells = " ".join(symbols[self.stones[row * self.size + col]] for col in range(self.size))
            lines.append(f"{row + 1:>2} {cells} {row + 1}")
        lines.append("   " + " ".join(columns))
        return "\n".join(lines)


def area_count(owner, komi: float) -> float:
    """Black's points minus White's minus komi in an array of owners (BLACK, WHITE, EMPTY)."""
    owner = np.asarray(owner)
    return float((owner == BLACK).sum()) - float((owner == WHITE).sum()) - komi


def result_string(score: float) -> str:
    """The SGF / GTP result of a score (Black minus White minus komi): ``'B+3.5'``,
    ``'W+0.5'`` or ``'0'`` (jigo)."""
    if score > 0:
        return f"B+{score:g}"
    if score < 0:
        return f"W+{-score:g}"
    return "0"


def random_playout_speed(size: int = 19, moves: int = 2000, seed: int = 0) -> float:
    """Moves per second of random legal (sensible) play, restarting finished games."""
    import time

    rng = random.Random(seed)
    board = Board(size)
    start = time.perf_counter()
    played = 0
    while played < moves:
        candidates = [p for p in range(size * size) if board.stones[p] == EMPTY]
        rng.shuffle(candidates)
        move = None
        for point in candidates:
            if board.is_legal(point) and not board.is_eye(point, board.to_move):
                move = point
                break
        board.play(move)
        played += 1
        if board.is_over or board.move_number > 3 * size * size:
            board = Board(size)
    return played / (time.perf_counter() - start)
