"""SGF game records: read archives and folders, parse with sgfmill, replay-check.

KGS and most other collections ship SGF as folders, ``.zip``, ``.tar.gz`` /
``.tgz`` or ``.tar.bz2`` archives. ``iter_sgf_sources`` yields ``(name, bytes)``
from any of those; ``parse_game`` turns bytes into a ``GameRecord`` whose moves
were replayed on a ``Board`` (so an illegal move is caught here, not during
training). Unusable games raise ``SkippedGame`` with a short reason that a
``SkipReport`` counts. ``read_games`` reads every game of a file that holds an SGF
collection, and keeps the games of a truncated or corrupt archive up to the damage,
which the report records (``DamagedSource``): nothing read is lost uncounted.
"""

from __future__ import annotations

import collections
import lzma
import os
import struct
import tarfile
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from sgfmill import sgf, sgf_grammar

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


def _is_archive(path: Path) -> bool:
    return path.name.lower().endswith(ARCHIVE_SUFFIXES)


class DamagedSource(ValueError):
    """An archive that ends early or cannot be decoded: ``sgf_files_read`` files came out of it first."""

    def __init__(self, source, sgf_files_read: int, error: BaseException | str):
        self.source = str(source)
        self.sgf_files_read = int(sgf_files_read)
        if isinstance(error, BaseException):
            error = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        self.error = " ".join(error.split())  # one line (tarfile lists every method it tried)
        super().__init__(f"{self.source} is damaged after {self.sgf_files_read} SGF file"
                         f"{'' if self.sgf_files_read == 1 else 's'} ({self.error})")


@dataclass
class SkipReport:
    """Games read, used and skipped by reason, and the damaged sources (for a dataset run's summary)."""

    read: int = 0
    used: int = 0
    skipped: collections.Counter = field(default_factory=collections.Counter)
    examples: dict = field(default_factory=dict)
    damaged: dict = field(default_factory=dict)  # source -> {"sgf_files_read": n, "error": "..."}

    def skip(self, name: str, error: SkippedGame) -> None:
        self.skipped[error.reason] += 1
        self.examples.setdefault(error.reason, f"{name}: {error}")

    def damage(self, error: DamagedSource) -> None:
        self.damaged.setdefault(error.source, {"sgf_files_read": error.sgf_files_read, "error": error.error})

    def merge(self, other: SkipReport) -> None:
        self.read += other.read
        self.used += other.used
        self.skipped.update(other.skipped)
        for reason, example in other.examples.items():
            self.examples.setdefault(reason, example)
        for source, damage in other.damaged.items():  # parallel parts of one archive meet the same damage
            self.damaged.setdefault(source, damage)

    def damage_messages(self) -> list[str]:
        """One line per damaged source: which, after how many SGF files, and why."""
        return [str(DamagedSource(source, damage["sgf_files_read"], damage["error"]))
                for source, damage in sorted(self.damaged.items())]

    def as_dict(self) -> dict:
        return {
            "games_read": self.read,
            "games_used": self.used,
            "games_skipped": int(sum(self.skipped.values())),
            "skipped_by_reason": dict(sorted(self.skipped.items())),
            "skip_examples": dict(sorted(self.examples.items())),
            "damaged_sources": dict(sorted(self.damaged.items())),
        }

    @classmethod
    def from_dict(cls, summary: dict) -> SkipReport:
        """The report ``as_dict`` gave (a worker process's, or a cached manifest's)."""
        return cls(summary["games_read"], summary["games_used"], collections.Counter(summary["skipped_by_reason"]),
                   dict(summary["skip_examples"]), dict(summary.get("damaged_sources", {})))


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


# What a truncated, corrupt or mislabelled archive raises while it is read (gzip, bz2 and lzma
# streams raise EOFError or OSError; tarfile ReadError; zipfile BadZipFile, NotImplementedError for
# an unknown compression method, RuntimeError for an encrypted member).
ARCHIVE_ERRORS = (tarfile.TarError, zipfile.BadZipFile, zlib.error, lzma.LZMAError, EOFError, OSError,
                  NotImplementedError, RuntimeError, struct.error, UnicodeDecodeError)
# Errors that are about the file system, not the archive's bytes: they stay errors.
_NOT_DAMAGE = (FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError)


def iter_sgf_sources(path, max_games: int | None = None, on_damage=None):
    """Yield ``(name, bytes)`` for every ``.sgf`` in a file, folder or archive (sorted order).

    An archive that is truncated or corrupt yields the SGF files before the damage; then
    ``on_damage(DamagedSource)`` is called and reading goes on with the next source of a
    folder. Without ``on_damage`` the ``DamagedSource`` (a ValueError naming the archive and
    how many SGF files it gave) is raised.
    """
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
                inner = iter_sgf_sources(file, None if max_games is None else max_games - count, on_damage)
                for name, data in inner:  # named by the archive too: its members' names need not be unique
                    count += 1
                    yield f"{file.relative_to(path)}:{name}", data
        return
    if path.name.lower().endswith(".sgf"):
        yield path.name, path.read_bytes()
        return
    members = _zip_members(path) if path.name.lower().endswith(".zip") else _tar_members(path)
    try:
        for item in members:
            if limit_reached():
                return
            count += 1
            yield item
    except ARCHIVE_ERRORS as error:
        if isinstance(error, _NOT_DAMAGE):
            raise
        damage = DamagedSource(path, count, error)
        if on_damage is None:
            raise damage from error
        on_damage(damage)
    finally:
        members.close()


class _StrictTarInfo(tarfile.TarInfo):
    """A tar header reader that calls a damaged header after the first one damage.

    ``tarfile`` ends the member list quietly at a garbled, cut or missing header anywhere but
    at the start, so an archive truncated at a member boundary, or with a corrupt header in
    the middle, would look complete and lose its later games silently.
    """

    @classmethod
    def fromtarfile(cls, archive):
        try:
            return super().fromtarfile(archive)
        except tarfile.EmptyHeaderError:
            if archive.offset == 0:
                raise
            raise tarfile.ReadError("the archive ends without its end-of-archive blocks (truncated?)") from None
        except (tarfile.InvalidHeaderError, tarfile.TruncatedHeaderError) as error:
            if archive.offset == 0:
                raise
            raise tarfile.ReadError(f"damaged member header at byte {archive.offset}: {error}") from None


def _tar_members(path: Path):
    """``(name, bytes)`` of the ``.sgf`` members of a tar archive, streamed in archive order
    (a sorted listing would read a compressed archive twice)."""
    with tarfile.open(path, "r:*", tarinfo=_StrictTarInfo) as archive:
        for member in archive:
            if member.isfile() and member.name.lower().endswith(".sgf"):
                handle = archive.extractfile(member)
                if handle is not None:
                    yield member.name, handle.read()
        # tarfile stops at the end-of-archive blocks, before a gzip or bzip2 stream's checksum:
        # reading to the end checks it (a corrupt stream can decode to garbage without an error)
        while archive.fileobj.read(1 << 16):
            pass


def _zip_members(path: Path):
    """``(name, bytes)`` of the ``.sgf`` members of a zip archive (sorted by name).

    A zip lists its members at its very end, so a truncated download has no listing: its
    members are then read from their local headers, in archive order, up to the damage.
    """
    try:
        archive = zipfile.ZipFile(path)
    except ARCHIVE_ERRORS as error:
        if isinstance(error, _NOT_DAMAGE):
            raise
        yield from _zip_members_without_directory(path)
        return
    with archive:
        for member in sorted(archive.namelist()):
            if member.lower().endswith(".sgf"):
                yield member, archive.read(member)


_LOCAL_HEADER = struct.Struct("<4s5H3L2H")  # signature, version, flags, method, time, date, crc, sizes, name/extra


def _zip_members_without_directory(path: Path):
    """Read a zip's members from their local headers (stored or deflated) until its data ends.

    Raises ``zipfile.BadZipFile`` at the first member that is cut off or does not check out,
    and where the members end (the archive was damaged, or the member list would have been read).
    """
    with open(path, "rb") as handle:
        while True:
            header = handle.read(_LOCAL_HEADER.size)
            if len(header) < _LOCAL_HEADER.size or header[:4] != b"PK\x03\x04":
                raise zipfile.BadZipFile("the member list at the end of the zip is missing or damaged "
                                         "(a truncated download, or not a zip archive)")
            _, _, flags, method, _, _, crc, compressed_size, _, name_length, extra_length = _LOCAL_HEADER.unpack(header)
            name = handle.read(name_length).decode("utf-8" if flags & 0x800 else "cp437")
            handle.seek(extra_length, os.SEEK_CUR)
            if flags & 0x1:
                raise zipfile.BadZipFile(f"{name} is encrypted")
            if method not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise NotImplementedError(f"{name}: compression method {method} (stored or deflated expected)")
            if flags & 0x8:  # sizes in a descriptor after the data: only a deflate stream knows its end
                if method != zipfile.ZIP_DEFLATED:
                    raise zipfile.BadZipFile(f"{name}: stored member of unknown size")
                data, crc = _inflate_until_end(handle, name)
            else:
                raw = handle.read(compressed_size)
                if len(raw) < compressed_size:
                    raise zipfile.BadZipFile(f"{name} is cut off")
                data = zlib.decompress(raw, -15) if method == zipfile.ZIP_DEFLATED else raw
            if zlib.crc32(data) != crc:
                raise zipfile.BadZipFile(f"{name} fails its CRC check")
            if name.lower().endswith(".sgf"):
                yield name, data


def _inflate_until_end(handle, name: str):
    """Inflate a raw deflate stream from ``handle`` up to its end; skip the data descriptor after
    it and return (data, the descriptor's CRC)."""
    inflater = zlib.decompressobj(-15)
    parts = []
    while not inflater.eof:
        chunk = handle.read(65536)
        if not chunk:
            raise zipfile.BadZipFile(f"{name} is cut off")
        parts.append(inflater.decompress(chunk))
    handle.seek(-len(inflater.unused_data), os.SEEK_CUR)
    descriptor = handle.read(16)
    if descriptor[:4] != b"PK\x07\x08":  # the descriptor's signature is optional
        handle.seek(-4, os.SEEK_CUR)
        descriptor = b"PK\x07\x08" + descriptor[:12]
    if len(descriptor) < 16:
        raise zipfile.BadZipFile(f"{name} is cut off")
    return b"".join(parts), struct.unpack("<L", descriptor[4:8])[0]


def split_collection(data: bytes) -> list[bytes]:
    """The games of an SGF collection (``(;...)(;...)``), each as its own bytes.

    A file of one game gives ``[data]``. A game that does not parse keeps its bytes up to
    where it stops making sense (``parse_game`` then says why), and the search for the next
    game goes on from there. Text between games is ignored, as SGF readers do.
    """
    games = []
    position = 0
    while position < len(data):
        tokens, end = sgf_grammar.tokenise(data, position)
        if not tokens:
            break
        games.append(data[position:end])
        position = end
    return games or [data]


def parse_game(data: bytes, name: str = "<sgf>", sizes=(9, 13, 19), min_moves: int = 1) -> GameRecord:
    """Parse SGF bytes into a replay-checked ``GameRecord``; raise ``SkippedGame`` otherwise.

    ``data`` holds one game; of a collection this is its first (``split_collection`` gives
    them all, as ``read_games`` reads them).
    """
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
        raise SkippedGame("malformed sgf", str(error) or type(error).__name__) from None
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
    except IllegalMoveError as error:
        raise SkippedGame("illegal setup", str(error)) from None
    try:
        for number, (color, point) in enumerate(moves, start=1):
            board.play(point, color)
    except IllegalMoveError as error:
        raise SkippedGame("illegal move", f"move {number}: {error}") from None
    return record


def read_games(source, max_games: int | None = None, report: SkipReport | None = None, select=None,
               skip_games: int = 0, **parse_options):
    """Yield the usable ``GameRecord`` s of a source, counting skips and damage into ``report``.

    Every game of an SGF collection is read (a file of several is named ``file.sgf[2]``
    and so on from its second game). An archive that is truncated or corrupt gives its games
    up to the damage, and ``report.damaged`` says where it ended.

    ``select(index)`` (optional) picks which files to parse, so parallel workers can
    share one archive (each parses and counts only its own games). ``skip_games`` passes
    over the first files of the source unread (games a previous run trained on), and
    ``max_games`` then counts from there (files: a collection counts as one).
    """
    if skip_games < 0:
        raise ValueError(f"skip_games must be >= 0, got {skip_games}")
    report = report if report is not None else SkipReport()
    limit = None if max_games is None else skip_games + max_games
    for index, (name, data) in enumerate(iter_sgf_sources(source, limit, on_damage=report.damage)):
        if index < skip_games or (select is not None and not select(index - skip_games)):
            continue
        games = split_collection(data)
        for number, game in enumerate(games, start=1):
            game_name = f"{Path(source).name}:{name}" if len(games) == 1 else f"{Path(source).name}:{name}[{number}]"
            report.read += 1
            try:
                record = parse_game(game, game_name, **parse_options)
            except SkippedGame as error:
                report.skip(game_name, error)
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
