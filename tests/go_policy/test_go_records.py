"""SGF parsing, archive formats, skipping bad games with counted reasons, SGF writing."""

import tarfile
import zipfile

import pytest

from apps.go_policy.rules.board import BLACK, WHITE
from apps.go_policy.rules.records import SkippedGame, SkipReport, iter_sgf_sources, parse_game, read_games, write_sgf


def test_parse_a_real_game(sample_folder):
    file = sorted(sample_folder.glob("*.sgf"))[0]
    record = parse_game(file.read_bytes(), file.name)
    assert record.size == 19
    assert len(record.moves) >= 30
    assert record.moves[0][0] == BLACK and record.moves[1][0] == WHITE
    assert record.board().move_number == len(record.moves)


def test_setup_stones_handicap_komi_and_passes():
    data = b"(;GM[1]FF[4]SZ[9]KM[0.5]HA[2]AB[cc][gg]RE[W+3.5];W[ee];B[];W[dc])"
    record = parse_game(data, "handicap.sgf")
    assert record.handicap == 2 and record.komi == 0.5 and record.size == 9
    # SGF "cc" is column 3, third line from the top = row 6 from the bottom; "gg" = row 2, column 7
    assert sorted(p for c, p in record.setup if c == BLACK) == [2 * 9 + 6, 6 * 9 + 2]
    assert record.moves[1] == (BLACK, None)
    assert record.winner == WHITE


def test_positions_before_each_move_skip_passes_and_follow_the_mover():
    record = parse_game(b"(;GM[1]FF[4]SZ[9]KM[0.5]HA[2]AB[cc][gg];W[ee];B[];W[dc];W[ff])", "two_in_a_row.sgf")
    seen = [(number, color, point, board.to_move, sum(stone != 0 for stone in board.stones))
            for number, color, point, board in record.positions()]
    ee, dc, ff = 4 * 9 + 4, 6 * 9 + 3, 3 * 9 + 5
    # the pass (move 2) gives no position; White moves twice in a row at moves 3 and 4
    assert seen == [(1, WHITE, ee, WHITE, 2), (3, WHITE, dc, WHITE, 3), (4, WHITE, ff, WHITE, 4)]


@pytest.mark.parametrize("data, reason", [
    (b"(;GM[1]SZ[19];B[pd];W[dp", "malformed sgf"),
    (b"not an sgf at all", "malformed sgf"),
    (b"(;GM[1]SZ[19];B[pd];W[pd])", "illegal move"),
    (b"(;GM[1]SZ[7];B[cc];W[dd])", "unsupported board size"),
])
def test_bad_games_are_skipped_with_a_reason(data, reason):
    with pytest.raises(SkippedGame) as error:
        parse_game(data, "bad.sgf")
    assert error.value.reason == reason


def test_folder_report_counts_games_read_used_and_skipped(small_sgf_folder):
    report = SkipReport()
    games = list(read_games(small_sgf_folder, report=report))
    assert len(games) == 4
    summary = report.as_dict()
    assert summary["games_read"] == 6 and summary["games_used"] == 4
    assert summary["skipped_by_reason"] == {"illegal move": 1, "malformed sgf": 1}
    assert "illegal.sgf" in summary["skip_examples"]["illegal move"]


@pytest.mark.parametrize("suffix", [".zip", ".tar.gz", ".tar.bz2"])
def test_archive_formats_give_the_same_games(small_sgf_folder, tmp_path, suffix):
    archive = tmp_path / f"games{suffix}"
    files = sorted(small_sgf_folder.glob("*.sgf"))
    if suffix == ".zip":
        with zipfile.ZipFile(archive, "w") as handle:
            for file in files:
                handle.write(file, f"kgs/{file.name}")
    else:
        with tarfile.open(archive, "w:gz" if suffix == ".tar.gz" else "w:bz2") as handle:
            for file in files:
                handle.add(file, f"kgs/{file.name}")
    names = sorted(name for name, _ in iter_sgf_sources(archive))
    assert names == sorted(f"kgs/{file.name}" for file in files)
    report = SkipReport()
    assert len(list(read_games(archive, report=report))) == 4
    assert report.skipped["illegal move"] == 1


def test_real_tar_gz_shard_with_a_game_limit(data_available):
    archive = data_available / "go" / "cwi_pro" / "cwi_pro_19x19_part02.tar.gz"
    report = SkipReport()
    games = list(read_games(archive, max_games=20, report=report))
    assert report.read == 20 and len(games) == report.used


def test_missing_or_unsupported_source_names_the_file(tmp_path):
    with pytest.raises(ValueError, match="nowhere.tar.gz"):
        list(iter_sgf_sources(tmp_path / "nowhere.tar.gz"))
    bad = tmp_path / "games.rar"
    bad.write_bytes(b"x")
    with pytest.raises(ValueError, match="games.rar.*not a supported format"):
        list(iter_sgf_sources(bad))


def test_write_sgf_round_trip(tmp_path):
    moves = [(BLACK, 40), (WHITE, None), (BLACK, 20)]
    path = write_sgf(tmp_path / "g.sgf", 9, 6.5, moves, "B+R", black="a", white="b")
    record = parse_game(path.read_bytes())
    assert record.moves == moves and record.komi == 6.5 and record.result == "B+R"


def test_skip_games_passes_over_the_first_files_and_counts_from_there(small_sgf_folder):
    names = [name for name, _ in iter_sgf_sources(small_sgf_folder)]  # 4 games, broken.sgf, illegal.sgf
    assert names[4:] == ["broken.sgf", "illegal.sgf"]
    report = SkipReport()
    games = list(read_games(small_sgf_folder, max_games=3, skip_games=2, report=report))
    assert report.read == 3  # files 3 to 5; the first two are passed over, not read
    assert [game.name.split(":")[-1] for game in games] == names[2:4]
    assert report.as_dict()["skipped_by_reason"] == {"malformed sgf": 1}
    with pytest.raises(ValueError, match="skip_games must be >= 0"):
        list(read_games(small_sgf_folder, skip_games=-1))
