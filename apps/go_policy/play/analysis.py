"""Candidate moves for live analysis in Sabaki and Lizzie (Leela Zero's ``lz-analyze``).

Why: Sabaki and Lizzie show an engine's candidate moves with a win rate, a visit count and
a principal variation while the user studies a game, and Leela Zero's ``lz-analyze`` is
the protocol both speak. This engine has no search and no value network, so it reports
what it has, under Leela Zero's field names:

- ``prior``: the policy network's probability of the move (masked to sensible moves);
- ``visits``: the random play-outs played after the move (``rules.scoring``' Mogo rules);
- ``winrate``: the share of those play-outs the mover wins by area with komi (a draw
  counts half), and ``lcb`` its 95% Wilson lower bound;
- ``pv``: the raw network's greedy continuation from the move (one board symmetry).

Candidates are ranked by prior (``order 0`` is the network's first choice, the move
``genmove`` plays unless it passes), not by play-out win rate: the play-outs refine with
time, but in an open position random play-outs are a rough guess (see ``rules.scoring``).
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass, field

import numpy as np

from apps.go_policy.rules.board import BLACK, WHITE, Board, area_count, gtp_to_point, point_to_gtp
from apps.go_policy.rules.scoring import play_outs

DEFAULT_CANDIDATES = 10
DEFAULT_PV_LENGTH = 8
WILSON_Z = 1.959963984540054  # the 97.5% normal quantile


@dataclass
class Candidate:
    """One candidate move and what the analysis knows about it."""

    point: int | None  # None: pass
    prior: float
    pv: list = field(default_factory=list)
    wins: float = 0.0
    visits: int = 0

    @property
    def winrate(self) -> float:
        return self.wins / self.visits if self.visits else 0.5

    @property
    def lower_bound(self) -> float:
        """The 95% Wilson lower bound of the win rate (0 with no play-out)."""
        if not self.visits:
            return 0.0
        n, p, z2 = self.visits, self.winrate, WILSON_Z ** 2
        centre = p + z2 / (2 * n)
        spread = WILSON_Z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
        return max(0.0, (centre - spread) / (1 + z2 / n))


@dataclass
class AnalyzeRequest:
    """The arguments of ``lz-analyze`` / ``lz-genmove_analyze`` (see ``parse_analyze_arguments``)."""

    color: int
    interval: float = 0.0  # seconds between two info lines; 0: none
    minmoves: int = 0
    avoid: set = field(default_factory=set)
    allow: set | None = None


def parse_analyze_arguments(arguments, size: int, color: int) -> AnalyzeRequest:
    """Leela Zero's analyze arguments: ``[color] [interval] [interval N] [minmoves N]
    [avoid COLOR V1,V2 DEPTH] [allow COLOR V1,V2 DEPTH]`` (interval in centiseconds).

    ``avoid``/``allow`` apply to the root moves of their color (DEPTH >= 1); the
    principal variations are not filtered. Raises ValueError naming what was expected.
    """
    request = AnalyzeRequest(color)
    tokens = [token.lower() for token in arguments]
    position = 0

    def take(what):
        nonlocal position
        if position >= len(tokens):
            raise ValueError(f"missing {what}")
        position += 1
        return tokens[position - 1]

    def count(what):
        text = take(what)
        if not (text.isascii() and text.isdigit()):
            raise ValueError(f"{what} must be a non-negative integer, got {text!r}")
        return int(text)

    while position < len(tokens):
        token = take("a tag")
        if token in ("b", "black", "w", "white"):
            request.color = BLACK if token[0] == "b" else WHITE
        elif token.isascii() and token.isdigit():
            request.interval = int(token) / 100
        elif token == "interval":
            request.interval = count("interval (centiseconds)") / 100
        elif token == "minmoves":
            request.minmoves = count("minmoves")
        elif token in ("avoid", "allow"):
            side = take(f"{token}'s color")
            if side not in ("b", "black", "w", "white"):
                raise ValueError(f"{token}'s color must be b or w, got {side!r}")
            vertices = take(f"{token}'s vertices")
            depth = count(f"{token}'s depth")
            try:
                points = {gtp_to_point(vertex, size) for vertex in vertices.split(",") if vertex}
            except ValueError as error:
                raise ValueError(f"{token}: {error}") from None
            if depth < 1 or (BLACK if side[0] == "b" else WHITE) != request.color:
                continue
            if token == "avoid":
                request.avoid |= points
            else:
                request.allow = (request.allow or set()) | points
        else:
            raise ValueError(f"unknown tag {token!r} (expected a color, an interval, interval, minmoves, "
                             "avoid or allow)")
    return request


class MoveAnalysis:
    """The candidates of ``board`` for ``board.to_move``: priors, principal variations and
    play-out win rates that ``think`` refines.

    Args:
        engine: a ``PolicyEngine`` (``batch_move_probabilities``).
        board: the position (not modified).
        candidates: how many of the network's likeliest moves to analyse.
        pv_length: moves in each principal variation (one batched call of the raw network a move).
        avoid, allow: points never / the only points to consider at the root.
        seed: the play-outs' random seed.
    """

    def __init__(self, engine, board: Board, candidates: int = DEFAULT_CANDIDATES,
                 pv_length: int = DEFAULT_PV_LENGTH, avoid=(), allow=None, seed: int = 0):
        if candidates < 1 or pv_length < 1:
            raise ValueError(f"candidates and pv_length must be at least 1, got {candidates} and {pv_length}")
        self.board = board
        self.color = board.to_move
        self.rng = random.Random(seed)
        probabilities = engine.move_probabilities(board)
        avoid = set(avoid)
        points = [int(point) for point in np.argsort(-probabilities, kind="stable")
                  if probabilities[point] > 0 and point not in avoid and (allow is None or point in allow)]
        if points:
            self.candidates = [Candidate(point, float(probabilities[point])) for point in points[:candidates]]
        else:  # nothing sensible (or allowed) is left: the engine would pass
            self.candidates = [Candidate(None, 1.0)]
        self.positions = []
        for candidate in self.candidates:
            after = board.copy()
            after.play(candidate.point, self.color)
            self.positions.append(after)
        self._principal_variations(engine, pv_length)

    def _principal_variations(self, engine, pv_length: int) -> None:
        boards = [position.copy() for position in self.positions]
        for candidate in self.candidates:
            candidate.pv = [candidate.point]
        running = [candidate.point is not None for candidate in self.candidates]
        for _ in range(pv_length - 1):
            if not any(running):
                break
            # the raw network (one symmetry), the same batch size every move: averaging 8
            # symmetries would make every step of every variation 8 times the network work
            probabilities = engine.batch_move_probabilities(boards, symmetries=1)
            for index, board in enumerate(boards):
                if not running[index]:
                    continue
                if probabilities[index].sum() <= 0:
                    running[index] = False
                    continue
                point = int(np.argmax(probabilities[index]))
                board.play(point)
                self.candidates[index].pv.append(point)

    def think(self, seconds: float, stop=lambda: False) -> int:
        """Play out the candidates in turn for ``seconds`` or until ``stop()``; the first round
        (one play-out each for the unvisited) always completes. Returns the play-outs played."""
        deadline = time.perf_counter() + seconds
        played = 0
        while True:
            index = min(range(len(self.candidates)), key=lambda i: self.candidates[i].visits)
            candidate = self.candidates[index]
            if candidate.visits and (time.perf_counter() >= deadline or stop()):
                return played
            owner = next(play_outs(self.positions[index], 1, self.rng))
            score = area_count(owner, self.board.komi)
            candidate.wins += 0.5 if score == 0 else float((score > 0) == (self.color == BLACK))
            candidate.visits += 1
            played += 1

    def info(self) -> str:
        """Leela Zero's info line: every candidate in order, on one line."""
        size = self.board.size
        return " ".join(
            f"info move {point_to_gtp(c.point, size)} visits {c.visits} winrate {round(10000 * c.winrate)} "
            f"prior {round(10000 * c.prior)} lcb {round(10000 * c.lower_bound)} order {order} "
            f"pv {' '.join(point_to_gtp(p, size) for p in c.pv)}"
            for order, c in enumerate(self.candidates))


__all__ = ["AnalyzeRequest", "Candidate", "MoveAnalysis", "parse_analyze_arguments"]
