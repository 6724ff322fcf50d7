"""Property-based tests of the SGF reader and the archive walker on malformed input.

The invariant: reading never raises (with a report to count into), every game read is either
used or skipped with a counted reason, a skip names its file, and a damaged archive is named
with the number of SGF files it gave before the damage.
"""

import io
import os
import tarfile
import zipfile
from pathlib import Path

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from apps.go_policy.rules.records import (  # noqa: E402
    DamagedSource,
    SkippedGame,
    SkipReport,
    iter_sgf_sources,
    parse_game,
    read_games,
)


def _real_games():
    folder = Path(os.environ.get("CNNKIT_DATA", "/nonexistent")) / "go" / "cwi_pro" / "sample"
    return [file.read_bytes() for file in sorted(folder.glob("*.sgf"))[:6]]


REAL_GAMES = _real_games()
needs_data = pytest.mark.skipif(not REAL_GAMES, reason="CNNKIT_DATA has no go/cwi_pro/sample games")


# ------------------------------------------------------------------ strategies
LETTERS = "abcdefghijklmnopqrst"
coordinates = st.one_of(
    st.builds(str.__add__, st.sampled_from(LETTERS[:19]), st.sampled_from(LETTERS[:19])),  # on a 19x19 board
    st.sampled_from(["", "tt", "zz", "a", "aaa", "AA", "a:s", "aa:ss", "ss:aa", "\\]", "ÿ"]),
    st.text(max_size=3),
)
numbers = st.one_of(st.integers(-10, 400).map(str),
                    st.sampled_from(["6.5", "nan", "inf", "-inf", "1e400", "", "x", "19:19", "0", "1" * 30]))


@st.composite
def sgf_text(draw):
    """An SGF collection from a grammar that is often, not always, respected."""
    games = []
    for _ in range(draw(st.integers(1, 3))):
        root = [f"SZ[{draw(st.sampled_from(['19', '9', '13', '7', '0', '27', 'x', '']) | numbers)}]"]
        for key in draw(st.lists(st.sampled_from(["KM", "HA", "RE", "PB", "CA", "FF", "GM"]), max_size=4)):
            value = {"CA": st.sampled_from(["UTF-8", "latin1", "bogus", "utf-16", "GB2312"]),
                     "RE": st.sampled_from(["B+R", "W+3.5", "0", "?", "Void"])}.get(key, numbers | st.text(max_size=6))
            root.append(f"{key}[{draw(value)}]")
        for key in draw(st.lists(st.sampled_from(["AB", "AW", "AE"]), max_size=3)):
            root.append(key + "".join(f"[{c}]" for c in draw(st.lists(coordinates, min_size=1, max_size=4))))
        moves = [f";{draw(st.sampled_from(['B', 'W', 'B', 'W', 'X', 'b']))}[{draw(coordinates)}]"
                 for _ in range(draw(st.integers(0, 12)))]
        variation = "(" + ";".join(moves[:2]) + ")" if moves and draw(st.booleans()) else ""
        games.append("(;" + "".join(root) + "".join(moves) + variation + ")")
    text = draw(st.sampled_from(["", "\n", " junk "])).join(games)
    encoding = draw(st.sampled_from(["utf-8", "latin-1"]))
    data = text.encode(encoding, "replace")
    cut = draw(st.none() | st.integers(0, len(data)))
    return data if cut is None else data[:cut]


@st.composite
def mutated(draw, data: bytes):
    """``data`` with a few random deletions, insertions, overwrites and a possible cut."""
    data = bytearray(data)
    for _ in range(draw(st.integers(0, 4))):
        if not data:
            break
        kind = draw(st.sampled_from(["delete", "insert", "overwrite", "cut"]))
        at = draw(st.integers(0, len(data) - 1))
        if kind == "delete":
            del data[at:at + draw(st.integers(1, 64))]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16) | st.sampled_from([b"(;", b")", b"[", b"]", b";"]))
        elif kind == "overwrite":
            payload = draw(st.binary(min_size=1, max_size=8))
            data[at:at + len(payload)] = payload
        else:
            del data[at:]
    return bytes(data)


def check_report(report: SkipReport, file_name: str):
    """Every game read is used or skipped with a counted reason; every skip names its file."""
    summary = report.as_dict()
    assert summary["games_read"] == summary["games_used"] + summary["games_skipped"]
    assert summary["games_skipped"] == sum(summary["skipped_by_reason"].values())
    assert set(summary["skip_examples"]) == set(summary["skipped_by_reason"])
    for example in summary["skip_examples"].values():
        assert example.startswith(f"{file_name}:"), example


def read_file(path: Path):
    report = SkipReport()
    games = list(read_games(path, report=report, sizes=(9, 13, 19), min_moves=0))
    check_report(report, path.name)
    for game in games:  # a used game replays
        game.board()
    return games, report


# ------------------------------------------------------------------ SGF files
@given(data=sgf_text())
def test_fuzz_grammar_generated_sgf_is_used_or_counted(tmp_path, data):
    path = tmp_path / "game.sgf"
    path.write_bytes(data)
    games, report = read_file(path)
    assert report.read >= 1  # a file is never passed over uncounted
    assert len(games) == report.used and not report.damaged
    try:
        parse_game(data, "game.sgf")
    except SkippedGame as error:
        assert error.reason in {"malformed sgf", "unsupported board size", "too few moves", "illegal move",
                                "illegal setup"}


@needs_data
@given(data=st.data())
def test_fuzz_mutated_real_games_are_used_or_counted(tmp_path, data):
    original = data.draw(st.sampled_from(REAL_GAMES))
    extra = data.draw(st.sampled_from([b""] + REAL_GAMES))  # sometimes a collection of two
    damaged = data.draw(mutated(original + extra))
    path = tmp_path / "real.sgf"
    path.write_bytes(damaged)
    games, report = read_file(path)
    assert report.read >= 1 and len(games) == report.used


# ------------------------------------------------------------------ archives
ARCHIVE_KINDS = [".zip", ".tar.gz", ".tgz", ".tar.bz2", ".tar"]


def archive_bytes(kind: str, members) -> bytes:
    out = io.BytesIO()
    if kind == ".zip":
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in members:
                archive.writestr(name, data)
    else:
        mode = {".tar.gz": "w:gz", ".tgz": "w:gz", ".tar.bz2": "w:bz2", ".tar": "w"}[kind]
        with tarfile.open(fileobj=out, mode=mode) as archive:
            for name, data in members:
                info = tarfile.TarInfo(name)
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


@needs_data
@given(data=st.data())
def test_fuzz_damaged_archives_keep_what_they_can_and_name_the_damage(tmp_path, data):
    kind = data.draw(st.sampled_from(ARCHIVE_KINDS))
    count = data.draw(st.integers(0, 4))
    members = [(f"kgs/{index:02d}.sgf", data.draw(st.sampled_from(REAL_GAMES))) for index in range(count)]
    if data.draw(st.booleans()):
        members.append(("kgs/readme.txt", b"not a game"))
    intact = archive_bytes(kind, members)
    damaged = data.draw(st.sampled_from([intact, b"", b"plain text, not an archive\n"]) | mutated(intact))
    path = tmp_path / f"games{kind}"
    path.write_bytes(damaged)

    games, report = read_file(path)
    sgf_members = sum(name.endswith(".sgf") for name, _ in members)
    damage = report.as_dict()["damaged_sources"]
    if damaged == intact:
        assert not damage and report.read == report.used == sgf_members
    if damage:
        assert list(damage) == [str(path)]
        assert 0 <= damage[str(path)]["sgf_files_read"] <= report.read
        # without a report the same damage is one ValueError that names the archive
        with pytest.raises(DamagedSource, match=f"{path.name} is damaged after"):
            list(iter_sgf_sources(path))
    else:
        assert sum(1 for _ in iter_sgf_sources(path)) <= report.read


@needs_data
@given(data=st.data())
def test_fuzz_folders_of_damaged_archives_and_files(tmp_path, data):
    folder = tmp_path / data.draw(st.sampled_from(["a", "b", "c"]))
    folder.mkdir(exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    names = data.draw(st.lists(st.sampled_from(["x.sgf", "y.zip", "z.tar.gz", "w.tar"]), unique=True, max_size=4))
    for name in names:
        game = data.draw(st.sampled_from(REAL_GAMES))
        suffix = next((kind for kind in ARCHIVE_KINDS if name.endswith(kind)), None)
        content = game if suffix is None else archive_bytes(suffix, [("g.sgf", game)])
        (folder / name).write_bytes(data.draw(mutated(content)))
    report = SkipReport()
    games = list(read_games(folder, report=report, min_moves=0))
    summary = report.as_dict()
    assert summary["games_read"] == summary["games_used"] + summary["games_skipped"] == \
        len(games) + summary["games_skipped"]
    assert set(summary["damaged_sources"]) <= {str(folder / name) for name in names}
