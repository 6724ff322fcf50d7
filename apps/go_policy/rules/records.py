"""SGF game records: read archives and folders, parse with sgfmill, replay-check.

KGS and most other collections ship SGF as folders, ``.zip``, ``.tar.gz`` /
``.tgz`` or ``.tar.bz2`` archives. ``iter_sgf_sources`` yields ``(name, bytes)``
from any of those; ``parse_game`` turns bytes into a ``GameRecord`` whose moves
were replayed on a ``Board`` (so an illegal move is caught here, not during
training). Unusable games raise ``SkippedGame`` with a short reason that a
``SkipReport`` counts.
"""

from __future__ import annotations

import collections
import os
import tarfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from sgfmill import sgf

from apps.go_policy.rules.board import BLACK, WHITE, Board, IllegalMoveError

ARCHIVE_SUFFIXES = (".zip", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar")


class SkippedGame(ValueError):
    """A game that cannot be used; ``reason`` is a short category for the counts."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass
class GameRecord:
    """One game: board size, komi, setup stones and moves as (color, point or None)."""

    name: str
    size: int
    komi: float
    handicap: int = 0
    setup: list = field(default_factory=list)
    moves: list = field(default_factory=list)
    result: str | None = None
    black: str = ""
    white: str = ""

    @property
    def winner(self):
        """BLACK, WHITE or None (jigo, void or unknown)."""
        if self.result and self.result[:2].upper() == "B+":
            return BLACK
        if self.result and self.result[:2].upper() == "W+":
            return WHITE
        return None

    def board(self, moves: int | None = None, superko: bool = False) -> Board:
        """The position after the setup stones and the first ``moves`` moves (all by default)."""
        board = Board(self.size, self.komi, superko=superko)
        board.replay(self.setup, self.moves[:moves] if moves is not None else self.moves)
        return board

    def positions(self):
        """Yield (move number, color, point, board before the move) for every non-pass move.

        One board is played forward through the game (cheap for encoding a whole record), so
        use each position before asking for the next; the side to move is the mover's.
        """
        board = self.board(0)
        for number, (color, point) in enumerate(self.moves, start=1):
            if point is not None:
                board.to_move = color  # records may have two moves in a row by one color
                yield number, color, point, board
            board.play(point, color)


@dataclass
class SkipReport:
    """Games read, used and skipped by reason (for a dataset run's summary)."""

    read: int = 0
    used: int = 0
    skipped: collections.Counter = field(default_factory=collections.Counter)
    examples: dict = field(default_factory=dict)

    def skip(self, name: str, error: SkippedGame) -> None:
        self.skipped[error.reason] += 1
        self.examples.setdefault(error.reason, f"{name}: {error}")

    def merge(self, other: SkipReport) -> None:
        self.read += other.read
        self.used += other.used
        self.skipped.update(other.skipped)
        for reason, example in other.examples.items():
            self.examples.setdefault(reason, example)

    def as_dict(self) -> dict:
        return {
            "games_read": self.read,
            "games_used": self.used,
            "games_skipped": int(sum(self.skipped.values())),
            "skipped_by_reason": dict(sorted(self.skipped.items())),
            "skip_examples": dict(sorted(self.examples.items())),
        }


def _is_archive(path: Path) -> bool:
    return path.name.lower().endswith(ARCHIVE_SUFFIXES)


def check_source(path) -> Path:
    """Validate one ``--sgf`` argument: an existing .sgf file, folder or supported archive."""
    path = Path(path)
    if not path.exists():
        raise ValueError(f"SGF source {path} does not exist (expected a folder, .sgf file or archive)")
    if path.is_file() and not (_is_archive(path) or path.suffix.lower() == ".sgf"):
        raise ValueError(
            f"SGF source {path} is not a supported format: expected a folder, a .sgf file "
            f"or an archive ending in {', '.join(ARCHIVE_SUFFIXES)}"
        )
    return path


def iter_sgf_sources(path, max_games: int | None = None):
    """Yield ``(name, bytes)`` for every ``.sgf`` in a file, folder or archive (sorted order)."""
    path = check_source(path)
    count = 0

    def limit_reached():
        return max_games is not None and count >= max_games

    if path.is_dir():
        for file in sorted(path.rglob("*")):
            if limit_reached():
                return
            if file.is_file() and file.suffix.lower() == ".sgf":
                count += 1
                yield str(file.relative_to(path)), file.read_bytes()
            elif file.is_file() and _is_archive(file):
                for item in iter_sgf_sources(file, None if max_games is None else max_games - count):
                    count += 1
                    yield item
        return
    name = path.name.lower()
    if name.endswith(".sgf"):
        yield path.name, path.read_bytes()
        return
    if name.endswith(".zip"):
        with zipfile.ZipFile(path) as archive:
            for member in sorted(archive.namelist()):
                if limit_reached():
                    return
                if member.lower().endswith(".sgf"):
                    count += 1
                    yield member, archive.read(member)
        return
    with tarfile.open(path, "r:*") as archive:
        for member in archive:  # streamed in archive order (a sorted listing would read twice)
            if limit_reached():
                return
            if member.isfile() and member.name.lower().endswith(".sgf"):
                handle = archive.extractfile(member)
                if handle is not None:
                    count += 1
                    yield member.name, handle.read()


def parse_game(data: bytes, name: str = "<sgf>", sizes=(9, 13, 19), min_moves: int = 1) -> GameRecord:
    """Parse SGF bytes into a replay-checked ``GameRecord``; raise ``SkippedGame`` otherwise."""
    try:
        game = sgf.Sgf_game.from_bytes(data)
    except ValueError as error:
        raise SkippedGame("malformed sgf", str(error)) from None
    try:
        size = game.get_size()
        root = game.get_root()
        komi = game.get_komi()
        handicap = game.get_handicap() or 0
        black_stones, white_stones, empty = root.get_setup_stones()
        moves = []
        for node in game.get_main_sequence()[1:]:
            color, move = node.get_move()
            if color is None:
                continue
            point = None if move is None else move[0] * size + move[1]
            moves.append((BLACK if color == "b" else WHITE, point))
        result = root.get("RE") if root.has_property("RE") else None
        black = root.get("PB") if root.has_property("PB") else ""
        white = root.get("PW") if root.has_property("PW") else ""
    except (ValueError, KeyError, IndexError) as error:
        raise SkippedGame("malformed sgf", str(error)) from None
    if size not in sizes:
        raise SkippedGame("unsupported board size", f"SZ {size}, expected one of {sizes}")
    if len([m for m in moves if m[1] is not None]) < min_moves:
        raise SkippedGame("too few moves", f"{len(moves)} moves, need {min_moves}")
    setup = [(BLACK, r * size + c) for r, c in sorted(black_stones)]
    setup += [(WHITE, r * size + c) for r, c in sorted(white_stones)]
    record = GameRecord(name, size, float(komi), int(handicap), setup, moves, result, black, white)
    board = Board(size, komi)
    try:
        for color, point in setup:
            board.place_setup(color, point)
        for number, (color, point) in enumerate(moves, start=1):
            board.play(point, color)
    except IllegalMoveError as error:
        raise SkippedGame("illegal move", f"move {number}: {error}") from None
    return record


def read_games(source, max_games: int | None = None, report: SkipReport | None = None, select=None,
               skip_games: int = 0, **parse_options):
    """Yield the usable ``GameRecord`` s of a source, counting skips into ``report``.

    ``select(index)`` (optional) picks which files to parse, so parallel workers can
    share one archive (each parses and counts only its own games). ``skip_games`` passes
    over the first files of the source unread (games a previous run trained on), and
    ``max_games`` then counts from there.
    """
    if skip_games < 0:
        raise ValueError(f"skip_games must be >= 0, got {skip_games}")
    report = report if report is not None else SkipReport()
    limit = None if max_games is None else skip_games + max_games
    for index, (name, data) in enumerate(iter_sgf_sources(source, limit)):
        if index < skip_games or (select is not None and not select(index - skip_games)):
            continue
        report.read += 1
        try:
            record = parse_game(data, f"{Path(source).name}:{name}", **parse_options)
        except SkippedGame as error:
            report.skip(name, error)
            continue
        report.used += 1
        yield record


def write_sgf(path, size: int, komi: float, moves, result: str | None = None,
              black: str = "", white: str = "", setup=(), handicap: int = 0) -> Path:
    """Save a game (moves as (color, point or None)) as an SGF file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(sgf_bytes(size, komi, moves, result, black, white, setup, handicap))
    return path


def sgf_bytes(size: int, komi: float, moves, result: str | None = None,
              black: str = "", white: str = "", setup=(), handicap: int = 0) -> bytes:
    """A game (moves as (color, point or None), setup as (color, point)) as SGF text."""
    game = sgf.Sgf_game(size=size)
    root = game.get_root()
    root.set("KM", float(komi))
    if handicap:
        root.set("HA", int(handicap))
    if black:
        root.set("PB", black)
    if white:
        root.set("PW", white)
    if result:
        root.set("RE", result)
    if setup:
        root.set_setup_stones(
            [divmod(p, size) for c, p in setup if c == BLACK],
            [divmod(p, size) for c, p in setup if c == WHITE],
        )
    for color, point in moves:
        node = game.extend_main_sequence()
        node.set_move("b" if color == BLACK else "w", None if point is None else divmod(point, size))
    return game.serialise()


def sources_fingerprint(sources) -> list:
    """Name, size and mtime of each source: part of the encoded-position cache key."""
    out = []
    for source in sources:
        path = Path(source)
        stat = path.stat()
        out.append([os.path.abspath(path), stat.st_size, int(stat.st_mtime)])
    return out
