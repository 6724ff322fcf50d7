"""Play the network in a terminal, as GNU Go's ASCII mode does (``cnnkit go play``).

A thin front end over ``GtpEngine``: every move, undo, count and handicap goes through the
GTP commands GoGui or Sabaki would send, so a terminal game and a GUI game cannot differ.
The board is drawn as GNU Go draws it: ``X`` black, ``O`` white, ``+`` star points and the
last move in parentheses.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from apps.go_policy.rules.board import BLACK, EMPTY, GTP_COLUMNS, WHITE, Board, other, point_to_gtp
from apps.go_policy.rules.handicap import fixed_handicap_points, max_fixed_handicap
from apps.go_policy.rules.records import write_sgf

HELP = """\
  D4 (or d4)   play there                 pass         pass
  undo         take back your last move   hint [N]     the network's N likeliest moves for you
  score        the count now (dead stones off)
  save FILE    write the game so far as SGF
  board        draw the board again       resign       give the game up
  help         this text                  quit         stop here"""

COLOR_NAMES = {BLACK: "black", WHITE: "white"}
SYMBOLS = {EMPTY: ".", BLACK: "X", WHITE: "O"}


def star_points(size: int) -> set[int]:
    """The points drawn as ``+``: the fixed-handicap layout of 9 stones (5 below 13x13)."""
    most = max_fixed_handicap(size)
    if most < 2:
        return set()
    return set(fixed_handicap_points(most if size >= 13 else min(5, most), size))


def render_board(board: Board) -> str:
    """The board as GNU Go's ASCII mode draws it, the last move in parentheses."""
    size = board.size
    last = board.history[-1][1] if board.history else None
    stars = star_points(size)
    columns = "   " + " ".join(GTP_COLUMNS[:size])
    lines = [columns]
    for row in range(size - 1, -1, -1):
        text = f"{row + 1:>2}"
        for col in range(size):
            point = row * size + col
            stone = board.stones[point]
            text += "(" if point == last else (")" if point - 1 == last and col > 0 else " ")
            text += "+" if stone == EMPTY and point in stars else SYMBOLS[stone]
        text += ")" if last == row * size + size - 1 else " "
        lines.append(f"{text}{row + 1}")
    lines.append(columns)
    return "\n".join(lines)


def start_position(gtp, load: str | Path | None = None, handicap: int = 0) -> None:
    """Set ``gtp``'s board up as GTP would: ``loadsgf load``, then ``fixed_handicap handicap``.

    Raises a ``ValueError`` that names the refused command and the engine's reason.
    """
    for command in ([f"loadsgf {load}"] if load else []) + ([f"fixed_handicap {handicap}"] if handicap else []):
        reply = gtp.handle(command)
        if not reply.startswith("="):
            raise ValueError(f"{command}: {reply[1:].strip()}")


@dataclass
class GameOutcome:
    """How a terminal game ended: ``result`` as in SGF (``'B+3.5'``, ``'W+R'``; empty when
    the player stopped before the end), ``reason`` in words, and where the SGF went."""

    result: str
    reason: str
    moves: int
    sgf: str | None = None


class TerminalGame:
    """A game between a person typing moves and the engine behind ``gtp``.

    Args:
        gtp: a ``GtpEngine`` (its board may already hold a handicap or a loaded game).
        human: the person's color, ``BLACK`` or ``WHITE``.
        out: where the board and the messages go (default: standard output).
        sgf_out: write the game here as SGF when it ends (a finished, resigned or stopped game).
        echo: write each line read after its prompt (input from a script or a pipe, where the
            terminal shows nothing of it).
    """

    def __init__(self, gtp, human: int = BLACK, out=None, sgf_out: str | Path | None = None, echo: bool = False):
        if human not in (BLACK, WHITE):
            raise ValueError(f"human must be BLACK ({BLACK}) or WHITE ({WHITE}), got {human!r}")
        self.gtp = gtp
        self.human = human
        self.out = out or sys.stdout
        self.sgf_out = sgf_out
        self.echo = echo
        self.engine_name = gtp.cmd_name()
        self._shown = None  # the history when the board was last drawn

    @property
    def board(self) -> Board:
        return self.gtp.board

    # ------------------------------------------------------------- the game
    def run(self, lines=None) -> GameOutcome:
        """Play until two passes, a resignation, ``quit``, the end of ``lines`` (default:
        standard input) or Ctrl-C. The engine moves whenever it is its turn."""
        try:
            return self._play(iter(sys.stdin if lines is None else lines))
        except KeyboardInterrupt:  # Ctrl-C stops the game as quit does: the SGF is still written
            self._write("\n")
            return self._end("", "interrupted")

    def _play(self, lines) -> GameOutcome:
        self._say(f"You play {COLOR_NAMES[self.human]} ({SYMBOLS[self.human]}) against {self.engine_name}, "
                  f"{self.board.size}x{self.board.size}, komi {self.board.komi:g}. Type help for the commands.")
        while not self.board.is_over:
            if self.board.to_move != self.human:
                self._engine_move()
                continue
            if self._shown != self.board.history:  # draw the board when the position changed
                self._say(f"{self.status_line()}\n{render_board(self.board)}")
                self._shown = list(self.board.history)
            self._write(f"{COLOR_NAMES[self.human]} (move {self.board.move_number + 1})> ")
            line = next(lines, None)
            if line is None:
                self._write("\n")
                return self._end("", "end of input")
            if self.echo:
                self._say(line.rstrip("\n"))
            outcome = self.command(line)
            if outcome is not None:
                return outcome
        result = self._gtp("final_score")[1]
        self._say(f"{render_board(self.board)}\nBoth passed: {result} ({self._counted_how()}).")
        return self._end(result, "two passes")

    def status_line(self) -> str:
        board = self.board
        return (f"move {board.move_number}, captures black {board.captures[BLACK]} "
                f"white {board.captures[WHITE]}, komi {board.komi:g}")

    def command(self, line: str) -> GameOutcome | None:
        """Carry out one line the person typed; a GameOutcome when it ends the game."""
        words = line.split()
        if not words:
            return None
        name, arguments = words[0].lower(), words[1:]
        if name in ("quit", "exit", "q"):
            return self._end("", "quit")
        if name == "resign":
            result = f"{'W' if self.human == BLACK else 'B'}+R"
            self._say(f"You resigned: {result}.")
            return self._end(result, "resigned")
        if name in ("help", "?"):
            self._say(HELP)
        elif name == "board":
            self._shown = None
        elif name == "undo":
            self._undo()
        elif name == "hint":
            self._hint(arguments)
        elif name == "score":
            self._say(f"The count now: {self._gtp('final_score')[1]} ({self._counted_how()}).")
        elif name == "save":
            self._save(arguments)
        elif len(words) == 1:
            ok, text = self._gtp(f"play {COLOR_NAMES[self.human]} {words[0]}")
            if not ok:
                self._say(f"{text}. Type help for the commands.")
        else:
            self._say(f"unknown command {line.strip()!r}: type a move such as D4, pass, or help")
        return None

    # ------------------------------------------------------------- commands
    def _engine_move(self) -> None:
        color = self.board.to_move
        ok, vertex = self._gtp(f"genmove {COLOR_NAMES[color]}")
        if not ok:  # an engine failure is reported, and the engine passes
            self._say(f"{self.engine_name} could not choose a move ({vertex}); it passes.")
            self._gtp(f"play {COLOR_NAMES[color]} pass")
            vertex = "pass"
        move = "passes" if vertex.lower() == "pass" else f"plays {vertex.upper()}"
        self._say(f"{self.engine_name} ({COLOR_NAMES[color]}) {move}.")

    def _undo(self) -> None:
        """Take back the person's last move and the engine's reply to it."""
        history = self.board.history
        own = [index for index, (color, _) in enumerate(history) if color == self.human]
        if not own:
            self._say("nothing to undo: you have not moved yet")
            return
        for _ in range(len(history) - own[-1]):
            self._gtp("undo")
        self._say(f"Taken back to move {self.board.move_number}.")

    def _hint(self, arguments) -> None:
        try:
            count = int(arguments[0]) if arguments else 3
            if count < 1 or len(arguments) > 1:
                raise ValueError
        except ValueError:
            self._say(f"usage: hint [N], N a whole number of moves from 1, got {' '.join(arguments)!r}")
            return
        move_probabilities = getattr(self.gtp.engine, "move_probabilities", None)
        if move_probabilities is None:
            self._say("this engine has no move probabilities to give hints from")
            return
        probabilities = move_probabilities(self.board)
        order = [int(p) for p in np.argsort(-probabilities, kind="stable")[:count] if probabilities[p] > 0]
        if not order:
            self._say("hint: no sensible move is left; pass")
            return
        self._say("hint: " + ", ".join(f"{point_to_gtp(p, self.board.size)} {100 * probabilities[p]:.1f}%"
                                       for p in order))

    def _save(self, arguments) -> None:
        if len(arguments) != 1:
            self._say("usage: save FILE.sgf")
            return
        try:
            written = self.write_sgf(arguments[0])
        except OSError as error:
            self._say(f"cannot write {arguments[0]}: {error.strerror or error}")
            return
        self._say(f"Saved {written}.")

    def write_sgf(self, path, result: str = "") -> Path:
        """The game so far as SGF with the players' names, the handicap and ``result``."""
        board = self.board
        names = {self.human: "human", other(self.human): self.engine_name}
        return write_sgf(path, board.size, board.komi, board.history, result=result or None,
                         black=names[BLACK], white=names[WHITE], setup=board.setup, handicap=self.gtp.handicap)

    # ------------------------------------------------------------- helpers
    def _end(self, result: str, reason: str) -> GameOutcome:
        written = None
        if self.sgf_out is not None:
            try:
                written = str(self.write_sgf(self.sgf_out, result))
                self._say(f"Game saved as {written}.")
            except OSError as error:
                self._say(f"cannot write {self.sgf_out}: {error.strerror or error}")
        return GameOutcome(result, reason, self.board.move_number, written)

    def _counted_how(self) -> str:
        playouts = self.gtp.playouts
        return f"area count, dead stones off by {playouts} play-outs" if playouts else "Tromp-Taylor area count"

    def _gtp(self, command: str) -> tuple[bool, str]:
        """Send one GTP command: (success, the reply's text without ``=``/``?``)."""
        reply = self.gtp.handle(command).strip()
        return reply.startswith("="), reply[1:].strip()

    def _say(self, text: str) -> None:
        self._write(text + "\n")

    def _write(self, text: str) -> None:
        self.out.write(text)
        self.out.flush()
