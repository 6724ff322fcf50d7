"""A Go Text Protocol version 2 engine (GoGui, Sabaki, Lizzie, twogtp, ...).

Implements the required commands of GTP 2 plus ``undo``, ``showboard``,
``final_score``, ``time_settings`` and ``time_left``. Every malformed or
illegal command gets a ``? message`` reply; the engine never crashes on input.
"""

from __future__ import annotations

import inspect
import re
import sys

from apps.go_policy.board import BLACK, WHITE, Board, IllegalMoveError, gtp_to_point, point_to_gtp

MAX_SIZE = 19  # GTP vertex letters A-T (no I) cover up to 19x19 here

COMMANDS = (
    "protocol_version", "name", "version", "known_command", "list_commands", "quit", "boardsize",
    "clear_board", "komi", "play", "genmove", "undo", "showboard", "final_score", "time_settings",
    "time_left",
)


class GtpError(Exception):
    """A command failed; the message becomes the ``? message`` reply."""


def parse_color(text: str) -> int:
    value = text.lower()
    if value in ("b", "black"):
        return BLACK
    if value in ("w", "white"):
        return WHITE
    raise GtpError(f"invalid color {text!r}")


class GtpEngine:
    """Hold a board and answer GTP commands with a move-selecting engine.

    Args:
        engine: anything with ``select_move(board) -> point | None`` (a ``PolicyEngine``).
        size, komi: the initial board (19, 7.5).
        superko: positional superko instead of simple ko.
    """

    def __init__(self, engine, size: int = 19, komi: float = 7.5, superko: bool = False):
        self.engine = engine
        self.board = Board(size, komi, superko=superko)
        self.time_settings = None
        self.time_left = {}
        self.quit = False

    # ------------------------------------------------------------- protocol
    def handle(self, line: str) -> str | None:
        """Answer one line of input; None for a line with no command (blank or comment)."""
        line = "".join(ch for ch in line if ch in "\t\n" or 31 < ord(ch) != 127)
        line = line.split("#", 1)[0].replace("\t", " ").strip()
        if not line:
            return None
        parts = line.split()
        command_id = ""
        if re.fullmatch(r"\d+", parts[0]):
            command_id = parts.pop(0)
        if not parts:
            return f"?{command_id} missing command\n\n"
        name, arguments = parts[0].lower(), parts[1:]
        handler = getattr(self, f"cmd_{name}", None) if name in COMMANDS else None
        if handler is None:
            return f"?{command_id} unknown command\n\n"
        try:
            inspect.signature(handler).bind(*arguments)
        except TypeError:
            return f"?{command_id} wrong number of arguments for {name}\n\n"
        try:
            result = handler(*arguments)
        except GtpError as error:
            return f"?{command_id} {error}\n\n"
        except Exception as error:  # a bug must not kill the engine in the middle of a game
            return f"?{command_id} internal error: {type(error).__name__}: {error}\n\n"
        return f"={command_id} {result}\n\n" if result else f"={command_id}\n\n"

    def serve(self, stdin=None, stdout=None) -> None:
        """Read commands until ``quit`` or end of input."""
        stdin = stdin or sys.stdin
        stdout = stdout or sys.stdout
        for line in stdin:
            reply = self.handle(line)
            if reply is None:
                continue
            stdout.write(reply)
            stdout.flush()
            if self.quit:
                break

    # ------------------------------------------------------------- commands
    def cmd_protocol_version(self):
        return "2"

    def cmd_name(self):
        return getattr(self.engine, "name", "cnnkit-go")

    def cmd_version(self):
        return getattr(self.engine, "version", "0.1.0")

    def cmd_known_command(self, command):
        return "true" if command.lower() in COMMANDS else "false"

    def cmd_list_commands(self):
        return "\n".join(COMMANDS)

    def cmd_quit(self):
        self.quit = True
        return ""

    def cmd_boardsize(self, size):
        try:
            value = int(size)
        except ValueError:
            raise GtpError("boardsize not an integer") from None
        if not 2 <= value <= MAX_SIZE:
            raise GtpError("unacceptable size")
        self.board = Board(value, self.board.komi, superko=self.board.superko)
        return ""

    def cmd_clear_board(self):
        self.board = Board(self.board.size, self.board.komi, superko=self.board.superko)
        return ""

    def cmd_komi(self, value):
        try:
            self.board.komi = float(value)
        except ValueError:
            raise GtpError("komi not a float") from None
        return ""

    def cmd_play(self, color, vertex):
        colour = parse_color(color)
        try:
            point = gtp_to_point(vertex, self.board.size)
        except ValueError as error:
            raise GtpError(f"invalid coordinate: {error}") from None
        try:
            self.board.play(point, colour)
        except IllegalMoveError as error:
            raise GtpError(f"illegal move: {error}") from None
        return ""

    def cmd_genmove(self, color):
        colour = parse_color(color)
        self.board.to_move = colour
        point = self.engine.select_move(self.board)
        if point is not None and not self.board.is_legal(point, colour):
            point = None  # never answer with an illegal move
        self.board.play(point, colour)
        return point_to_gtp(point, self.board.size)

    def cmd_undo(self):
        if not self.board.history:
            raise GtpError("cannot undo")
        self.board.undo()
        return ""

    def cmd_showboard(self):
        board = self.board
        return (f"\n{board}\nmove {board.move_number}, "
                f"captures black {board.captures[BLACK]} white {board.captures[WHITE]}, komi {board.komi:g}")

    def cmd_final_score(self):
        return self.board.result()

    def cmd_time_settings(self, main_time, byo_yomi_time, byo_yomi_stones):
        try:
            self.time_settings = (float(main_time), float(byo_yomi_time), int(byo_yomi_stones))
        except ValueError:
            raise GtpError("syntax error: time_settings main_time byo_yomi_time byo_yomi_stones") from None
        return ""

    def cmd_time_left(self, color, time_left, stones):
        colour = parse_color(color)
        try:
            self.time_left[colour] = (float(time_left), int(stones))
        except ValueError:
            raise GtpError("syntax error: time_left color time stones") from None
        return ""
