"""The engine's GTP commands: ``GtpEngine`` holds a board and answers with a move-selecting engine.

The required commands of GTP 2 plus ``undo``, ``showboard``, ``final_score``,
``time_settings``, ``time_left``, the tournament handicap commands (``fixed_handicap``,
``place_free_handicap``, ``set_free_handicap``) and regression commands (``loadsgf``,
``reg_genmove``), GNU Go's ``printsgf``, KGS's ``kgs-genmove_cleanup``, the end-of-game
``final_status_list``, GoGui analyze commands that draw the network's move probabilities
(``cnnkit-policy``) and the play-out ownership with the dead stones (``cnnkit-ownership``;
``gogui``), and Leela Zero's ``lz-analyze`` and ``lz-genmove_analyze`` that Sabaki and
Lizzie use for live analysis (``play.analysis``: network priors, greedy variations, play-out
win rates). ``final_score`` and ``final_status_list`` take dead stones off as GNU Go does
(``rules.scoring``). SGF files are read and written by ``rules.records``.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from apps.go_policy.play.analysis import DEFAULT_CANDIDATES, AnalyzeRequest, MoveAnalysis, parse_analyze_arguments
from apps.go_policy.play.gtp.gogui import ANALYZE_COMMANDS, ownership_gfx, policy_gfx
from apps.go_policy.play.gtp.protocol import GtpError, GtpProtocol, integer, number, parse_color
from apps.go_policy.rules.board import (
    BLACK,
    EMPTY,
    WHITE,
    Board,
    IllegalMoveError,
    gtp_to_point,
    other,
    point_to_gtp,
    result_string,
)
from apps.go_policy.rules.handicap import fixed_handicap_points, max_fixed_handicap
from apps.go_policy.rules.records import SkippedGame, parse_game, sgf_bytes
from apps.go_policy.rules.scoring import (
    STATUSES,
    area_score,
    check_playouts,
    counted_ownership,
    dead_points,
    final_status,
)

MAX_SIZE = 19  # GTP vertex letters A-T (no I) cover up to 19x19 here

COMMANDS = (
    "protocol_version", "name", "version", "known_command", "list_commands", "quit", "boardsize",
    "clear_board", "komi", "play", "genmove", "undo", "showboard", "final_score", "time_settings",
    "time_left", "fixed_handicap", "place_free_handicap", "set_free_handicap", "loadsgf", "printsgf",
    "reg_genmove", "kgs-genmove_cleanup", "final_status_list", "gogui-analyze_commands", "cnnkit-policy",
    "cnnkit-ownership", "lz-analyze", "lz-genmove_analyze",
)


def parse_boardsize(text: str) -> int:
    """A ``boardsize`` argument: an integer from 2 to ``MAX_SIZE`` (the specification's error
    message for any other size is exactly "unacceptable size")."""
    if not re.fullmatch(r"[+-]?[0-9]+", text):
        raise GtpError(f"boardsize not an integer, got {text!r}")
    if len(text.lstrip("+-")) > 3 or not 2 <= int(text) <= MAX_SIZE:
        raise GtpError("unacceptable size")
    return int(text)


# The numeric and color arguments, parsed and checked before a handler runs (GtpProtocol.ARGUMENTS).
ARGUMENTS = {
    "boardsize": (parse_boardsize,),
    "komi": (number("komi"),),
    "play": (parse_color,),
    "genmove": (parse_color,),
    "reg_genmove": (parse_color,),
    "kgs-genmove_cleanup": (parse_color,),
    "fixed_handicap": (integer("number_of_stones"),),
    "place_free_handicap": (integer("number_of_stones"),),
    "loadsgf": (str, integer("move_number", minimum=1)),
    "time_settings": (number("main_time", minimum=0), number("byo_yomi_time", minimum=0),
                      integer("byo_yomi_stones", minimum=0)),
    "time_left": (parse_color, number("time"), integer("stones", minimum=0)),
    "cnnkit-policy": (parse_color,),
}


class GtpEngine(GtpProtocol):
    """Hold a board and answer GTP commands with a move-selecting engine.

    Args:
        engine: anything with ``select_move(board) -> point | None`` (a ``PolicyEngine``).
        size, komi: the initial board (19, 7.5).
        superko: positional superko instead of simple ko.
        playouts: random play-outs behind ``final_score``, ``final_status_list`` and
            ``cnnkit-ownership`` (0: count the stones as they stand, Tromp-Taylor).
    """

    COMMANDS = COMMANDS
    ARGUMENTS = ARGUMENTS

    def __init__(self, engine, size: int = 19, komi: float = 7.5, superko: bool = False, playouts: int = 64):
        super().__init__()
        self.playouts = check_playouts(playouts)
        self.engine = engine
        self._owner_cache = (None, None)
        self.board = Board(size, komi, superko=superko)
        self.handicap = 0  # black stones placed by a handicap command (SGF's HA)
        self.time_settings = None
        self.time_left = {}

    # ------------------------------------------------------------- commands
    def cmd_name(self):
        return getattr(self.engine, "name", "cnnkit-go")

    def cmd_version(self):
        return getattr(self.engine, "version", "0.1.0")

    def cmd_boardsize(self, size: int):
        self.board = Board(size, self.board.komi, superko=self.board.superko)
        self.handicap = 0
        return ""

    def cmd_clear_board(self):
        self.board = Board(self.board.size, self.board.komi, superko=self.board.superko)
        self.handicap = 0
        return ""

    def cmd_komi(self, komi: float):
        self.board.komi = komi
        return ""

    def cmd_play(self, color: int, vertex):
        try:
            point = gtp_to_point(vertex, self.board.size)
        except ValueError as error:
            raise GtpError(f"invalid coordinate: {error}") from None
        try:
            self.board.play(point, color)
        except IllegalMoveError as error:
            raise GtpError(f"illegal move: {error}") from None
        return ""

    @contextmanager
    def _as_mover(self, color: int):
        """The board with ``color`` to move while the engine reads it (it reads ``board.to_move``)."""
        to_move = self.board.to_move
        self.board.to_move = color
        try:
            yield self.board
        finally:
            self.board.to_move = to_move

    def _choose(self, color: int, **options):
        """The engine's move for ``color`` (None: pass); never an illegal one."""
        with self._as_mover(color) as board:
            point = self.engine.select_move(board, **options)
        if point is not None and not self.board.is_legal(point, color):
            point = None
        return point

    def _play_chosen(self, color: int, **options) -> str:
        """Choose the engine's move for ``color``, play it, and return its vertex."""
        point = self._choose(color, **options)
        self.board.play(point, color)
        return point_to_gtp(point, self.board.size)

    def cmd_genmove(self, color: int):
        return self._play_chosen(color)

    def cmd_reg_genmove(self, color: int):
        """The move ``genmove`` would play, without playing it (regression tests)."""
        return point_to_gtp(self._choose(color), self.board.size)

    def cmd_kgs_genmove_cleanup(self, color: int):
        """A move that never passes early: KGS sends it when the players disagree about dead
        stones, and expects the engine to capture every stone it believes dead."""
        return self._play_chosen(color, pass_when_ahead=False)

    # ------------------------------------------------------------- handicap
    def _check_empty_board(self):
        if self.board.history or any(stone != EMPTY for stone in self.board.stones):
            raise GtpError("board not empty")

    def _place_handicap(self, points) -> str:
        for point in points:
            self.board.place_setup(BLACK, point)
        self.board.to_move = WHITE
        self.handicap = len(points)
        return " ".join(point_to_gtp(point, self.board.size) for point in points)

    def cmd_fixed_handicap(self, number_of_stones: int):
        self._check_empty_board()
        try:
            points = fixed_handicap_points(number_of_stones, self.board.size)
        except ValueError as error:
            raise GtpError(str(error)) from None
        return self._place_handicap(points)

    def cmd_place_free_handicap(self, number_of_stones: int):
        """The standard layout as far as it goes, then the engine's own choice for each further
        stone (Black to move on the stones so far); fewer stones if the engine would pass."""
        stones = number_of_stones
        size = self.board.size
        if not 2 <= stones < size * size:
            raise GtpError(f"invalid number of stones: {stones} (2 to {size * size - 1} on {size}x{size})")
        self._check_empty_board()
        standard = min(stones, max_fixed_handicap(size))
        points = fixed_handicap_points(standard, size) if standard >= 2 else []
        trial = Board(size, self.board.komi)
        for point in points:
            trial.place_setup(BLACK, point)
        while len(points) < stones:
            trial.to_move = BLACK
            point = self.engine.select_move(trial)
            if point is None or trial.stones[point] != EMPTY:
                break
            trial.place_setup(BLACK, point)
            points.append(point)
        if len(points) < 2:
            raise GtpError("invalid number of stones: the engine found fewer than 2 points")
        return self._place_handicap(points)

    def cmd_set_free_handicap(self, *vertices):
        size = self.board.size
        if len(vertices) < 2:
            raise GtpError("bad vertex list: a handicap needs at least 2 stones")
        if len(vertices) >= size * size:
            raise GtpError("bad vertex list: the stones would fill the board")
        self._check_empty_board()
        points = []
        for vertex in vertices:
            try:
                point = gtp_to_point(vertex, size)
            except ValueError as error:
                raise GtpError(f"bad vertex list: {error}") from None
            if point is None:
                raise GtpError("bad vertex list: pass is not a vertex")
            if point in points:
                raise GtpError(f"bad vertex list: {vertex} repeated")
            points.append(point)
        self._place_handicap(points)
        return ""

    # ------------------------------------------------------------- records
    def cmd_loadsgf(self, filename, move_number: int | None = None):
        """Set size, komi, setup stones and moves from an SGF file, up to the position before
        ``move_number`` (1 = the first move) or to its end."""
        try:
            data = Path(filename).read_bytes()
        except OSError as error:
            raise GtpError(f"cannot load file {filename}: {error.strerror or error}") from None
        try:
            record = parse_game(data, filename, sizes=tuple(range(2, MAX_SIZE + 1)), min_moves=0)
        except SkippedGame as error:
            raise GtpError(f"cannot load file {filename}: {error}") from None
        moves = None if move_number is None else move_number - 1
        board = record.board(moves, superko=self.board.superko)
        if board.history:
            board.to_move = other(board.history[-1][0])
        elif record.handicap or (record.setup and all(color == BLACK for color, _ in record.setup)):
            board.to_move = WHITE
        self.board = board
        self.handicap = record.handicap
        return ""

    def cmd_printsgf(self, filename=None):
        """The game so far as SGF: written to ``filename``, or given as the reply."""
        board = self.board
        data = sgf_bytes(board.size, board.komi, board.history, setup=board.setup, handicap=self.handicap)
        if filename is None:
            return data.decode("utf-8").strip()
        path = Path(filename)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        except OSError as error:
            raise GtpError(f"cannot write {filename}: {error.strerror or error}") from None
        return ""

    # ------------------------------------------------------------- GoGui analyze
    def cmd_gogui_analyze_commands(self):
        return "\n".join(ANALYZE_COMMANDS)

    def cmd_cnnkit_policy(self, color: int | None = None):
        """The network's probabilities of the sensible moves for ``color`` (default: the
        player to move), as GoGui gfx: a heatmap and the five likeliest moves in per cent."""
        color = self.board.to_move if color is None else color
        move_probabilities = getattr(self.engine, "move_probabilities", None)
        if move_probabilities is None:
            raise GtpError("this engine has no move probabilities to show")
        with self._as_mover(color) as board:
            probabilities = move_probabilities(board)
        return policy_gfx(probabilities, self.board.size, color)

    # ------------------------------------------------------------- analysis (Sabaki, Lizzie)
    def _analyze_request(self, arguments) -> AnalyzeRequest:
        if not hasattr(self.engine, "batch_move_probabilities"):
            raise GtpError("this engine has no move probabilities to analyse")
        try:
            return parse_analyze_arguments(arguments, self.board.size, self.board.to_move)
        except ValueError as error:
            raise GtpError(f"cannot parse analyze tags: {error}") from None
        except OverflowError:  # an interval of hundreds of digits
            raise GtpError("cannot parse analyze tags: a number is too large") from None

    def _analysis(self, request: AnalyzeRequest) -> MoveAnalysis:
        with self._as_mover(request.color) as board:
            return MoveAnalysis(self.engine, board, candidates=max(DEFAULT_CANDIDATES, request.minmoves),
                                avoid=request.avoid, allow=request.allow, seed=getattr(self.engine, "seed", 0))

    def cmd_lz_analyze(self, *arguments):
        """Leela Zero's live analysis: an info line of candidates every interval (play-outs
        refine the win rates) until the next command; see ``analysis``."""
        request = self._analyze_request(arguments)
        if request.interval <= 0:  # Leela Zero prints nothing without an interval
            return iter(())
        return self._info_lines(request.interval, self._analysis(request))

    def _info_lines(self, interval: float, analysis: MoveAnalysis):
        while True:
            analysis.think(interval, stop=self.input_pending)
            yield analysis.info()
            if self.input_pending():
                return

    def cmd_lz_genmove_analyze(self, *arguments):
        """``genmove`` that first prints one round of analysis (with an interval), then
        ``play VERTEX``, as Leela Zero's does for Sabaki's and Lizzie's engine games."""
        request = self._analyze_request(arguments)
        lines = []
        if request.interval > 0:
            analysis = self._analysis(request)
            analysis.think(request.interval, stop=self.input_pending)
            lines.append(analysis.info())
        return iter(lines + [f"play {self._play_chosen(request.color)}"])

    def cmd_undo(self):
        if not self.board.history:
            raise GtpError("cannot undo")
        self.board.undo()
        return ""

    def cmd_showboard(self):
        board = self.board
        return (f"\n{board}\nmove {board.move_number}, "
                f"captures black {board.captures[BLACK]} white {board.captures[WHITE]}, komi {board.komi:g}")

    # ------------------------------------------------------------- end of game
    def _ownership(self) -> np.ndarray:
        """Play-out ownership of the current position (cached: GUIs ask for every status)."""
        board = self.board
        key = (tuple(board.stones), board.to_move, board.ko, board.komi, self.playouts)
        if self._owner_cache[0] != key:
            self._owner_cache = (key, counted_ownership(board, self.playouts))
        return self._owner_cache[1]

    def cmd_final_score(self):
        """The area count with dead stones taken off, as GNU Go's ``final_score`` with
        Chinese rules; ``--playouts 0``: the Tromp-Taylor count."""
        return result_string(area_score(self.board, self._ownership()))

    def cmd_final_status_list(self, status):
        """The strings of one status (``alive``, ``dead`` or ``seki``), one string a line."""
        status = status.lower()
        if status not in STATUSES:
            raise GtpError(f"invalid status {status!r}: expected alive, dead or seki")
        strings = final_status(self.board, owner=self._ownership())[status]
        return "\n".join(" ".join(point_to_gtp(p, self.board.size) for p in string) for string in strings)

    def cmd_cnnkit_ownership(self):
        """GoGui gfx: who owns each point after random play-outs, the dead stones marked."""
        owner = self._ownership()
        dead = dead_points(self.board, owner)
        return ownership_gfx(owner, self.board.size, dead, area_score(self.board, owner), self.playouts)

    def cmd_time_settings(self, main_time: float, byo_yomi_time: float, byo_yomi_stones: int):
        self.time_settings = (main_time, byo_yomi_time, byo_yomi_stones)
        return ""

    def cmd_time_left(self, color: int, time: float, stones: int):
        self.time_left[color] = (time, stones)
        return ""
