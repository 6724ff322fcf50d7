"""Damaged SGF archives and SGF collections: the games before the damage are kept, the damage is
named and counted, and only a source with nothing usable fails (one `error:` line, exit 2)."""

import io
import json
import tarfile
import zipfile

import pytest

from apps.go_policy.cli import main
from apps.go_policy.model.data import encode_dataset
from apps.go_policy.rules.records import DamagedSource, SkipReport, iter_sgf_sources, parse_game, read_games
from tests.testing import run_cli

GAMES = 8


@pytest.fixture
def games(sample_folder):
    """(name, bytes) of real professional games, all usable."""
    return [(file.name, file.read_bytes()) for file in sorted(sample_folder.glob("*.sgf"))[:GAMES]]


def write_archive(path, games):
    """A zip or tar archive (compressed as its suffix says) of ``games``, in that order."""
    if path.name.endswith(".zip"):
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in games:
                archive.writestr(f"games/{name}", data)
        return path
    suffix = next(s for s in (".tar.gz", ".tar.bz2", ".tar") if path.name.endswith(s))
    # bzip2 decodes whole blocks (100 kB at level 1): only a complete first block gives games
    options = {".tar.gz": ("w:gz", {}), ".tar.bz2": ("w:bz2", {"compresslevel": 1}), ".tar": ("w", {})}[suffix]
    with tarfile.open(path, options[0], **options[1]) as archive:
        for name, data in games:
            info = tarfile.TarInfo(f"games/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def truncated(path, fraction=0.6):
    """``path`` cut to ``fraction`` of its bytes, as an interrupted download leaves it."""
    data = path.read_bytes()
    path.write_bytes(data[:int(len(data) * fraction)])
    return path


SUFFIXES = [".tar.gz", ".tar.bz2", ".tar", ".zip"]


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_a_truncated_archive_keeps_the_games_before_the_damage(games, tmp_path, suffix):
    if suffix == ".tar.bz2":  # more than one bzip2 block
        games = [(f"{copy:02d}_{name}", data) for copy in range(15) for name, data in games]
    archive = truncated(write_archive(tmp_path / f"games{suffix}", games))
    report = SkipReport()
    kept = list(read_games(archive, report=report, sizes=(19,)))
    summary = report.as_dict()
    # every game whose bytes were complete is kept, in archive order, unchanged
    assert 1 <= len(kept) < len(games)
    assert [game.name for game in kept] == [f"{archive.name}:games/{name}" for name, _ in games[:len(kept)]]
    assert [game.moves for game in kept] == [parse_game(data).moves for _, data in games[:len(kept)]]
    assert summary["games_read"] == summary["games_used"] == len(kept)
    damage = summary["damaged_sources"][str(archive)]
    assert damage["sgf_files_read"] == len(kept) and damage["error"]
    # without a report to count it in, the damage is a ValueError naming the archive and the count
    with pytest.raises(DamagedSource, match=rf"{archive.name} is damaged after {len(kept)} SGF file"):
        list(iter_sgf_sources(archive))
    assert isinstance(DamagedSource(archive, 0, EOFError()), ValueError)


@pytest.mark.parametrize("damage", ["cut at a member boundary", "garbled header"])
def test_a_tar_cut_between_members_or_with_a_garbled_header_is_damage_not_a_quiet_end(games, tmp_path, damage):
    # tarfile itself ends the member list quietly there: the later games would be lost uncounted
    data = io.BytesIO()
    starts = []
    with tarfile.open(fileobj=data, mode="w") as archive:
        for name, game in games[:4]:
            starts.append(data.tell())
            info = tarfile.TarInfo(name)
            info.size = len(game)
            archive.addfile(info, io.BytesIO(game))
    data = bytearray(data.getvalue())
    if damage == "garbled header":
        data[starts[2] + 10] ^= 0xFF
    else:
        del data[starts[2]:]
    archive = tmp_path / "games.tar"
    archive.write_bytes(bytes(data))
    report = SkipReport()
    assert len(list(read_games(archive, report=report))) == 2
    assert report.as_dict()["damaged_sources"][str(archive)]["sgf_files_read"] == 2


def test_a_gzip_stream_that_fails_its_checksum_is_damage(games, tmp_path):
    # level 0 stores the bytes as they are: a changed byte decodes, only the checksum at the end sees it
    archive = tmp_path / "games.tar.gz"
    with tarfile.open(archive, "w:gz", compresslevel=0) as handle:
        for name, game in games[:3]:
            info = tarfile.TarInfo(name)
            info.size = len(game)
            handle.addfile(info, io.BytesIO(game))
    data = bytearray(archive.read_bytes())
    at = data.index(games[1][1][-40:])
    data[at] = ord("X") if data[at] != ord("X") else ord("Y")
    archive.write_bytes(bytes(data))
    report = SkipReport()
    list(read_games(archive, report=report))
    assert report.read == 3
    damage = report.as_dict()["damaged_sources"][str(archive)]
    assert damage["sgf_files_read"] == 3 and "CRC check failed" in damage["error"]


def test_games_of_an_archive_in_a_folder_are_named_by_the_archive(games, tmp_path):
    folder = tmp_path / "downloads"
    folder.mkdir()
    write_archive(folder / "one.zip", [games[0], ("broken.sgf", b"(;GM[1]SZ[19];B[pd")])
    write_archive(folder / "two.zip", [games[0]])
    report = SkipReport()
    names = [game.name for game in read_games(folder, report=report)]
    assert names == [f"downloads:one.zip:games/{games[0][0]}", f"downloads:two.zip:games/{games[0][0]}"]
    assert report.examples["malformed sgf"].startswith("downloads:one.zip:games/broken.sgf: malformed sgf")


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_a_text_file_named_as_an_archive_is_damage_after_no_game(tmp_path, suffix):
    fake = tmp_path / f"notes{suffix}"
    fake.write_text("these are my notes, not an archive\n" * 20)
    report = SkipReport()
    assert list(read_games(fake, report=report)) == []
    assert report.as_dict()["damaged_sources"][str(fake)]["sgf_files_read"] == 0


def test_a_damaged_archive_in_a_folder_does_not_stop_the_folder(games, tmp_path):
    folder = tmp_path / "mixed"
    folder.mkdir()
    truncated(write_archive(folder / "a_broken.tar.gz", games))
    (folder / "b_good.sgf").write_bytes(games[0][1])
    report = SkipReport()
    kept = list(read_games(folder, report=report))
    assert kept[-1].name.endswith("b_good.sgf")
    assert str(folder / "a_broken.tar.gz") in report.as_dict()["damaged_sources"]
    assert report.read == report.used == len(kept)


def test_every_game_of_an_sgf_collection_is_read_and_counted(games, tmp_path):
    illegal = b"(;GM[1]FF[4]SZ[19];B[pd];W[pd])"
    collection = tmp_path / "three.sgf"
    collection.write_bytes(games[0][1] + b"\n" + illegal + b"\n" + games[1][1])
    report = SkipReport()
    kept = list(read_games(collection, report=report))
    assert report.read == 3 and report.used == 2 and report.skipped == {"illegal move": 1}
    assert [game.name for game in kept] == ["three.sgf:three.sgf[1]", "three.sgf:three.sgf[3]"]
    assert "three.sgf[2]" in report.as_dict()["skip_examples"]["illegal move"]
    assert kept[0].moves != kept[1].moves


def test_an_sgf_collection_in_an_archive_is_split_too(games, tmp_path):
    archive = write_archive(tmp_path / "c.zip", [("both.sgf", games[2][1] + games[3][1])])
    report = SkipReport()
    assert len(list(read_games(archive, report=report))) == 2 and report.read == 2


def test_a_setup_stone_on_an_occupied_point_is_an_illegal_setup():
    from apps.go_policy.rules.records import SkippedGame

    with pytest.raises(SkippedGame, match="illegal setup"):
        parse_game(b"(;GM[1]SZ[19]AB[aa]AW[aa];B[dd])", "setup.sgf")


# ------------------------------------------------------------------ encode / evaluate / train


@pytest.mark.parametrize("workers", [1, 2])
def test_encode_dataset_keeps_the_games_before_the_damage_with_workers(games, tmp_path, monkeypatch, capsys,
                                                                       workers):
    monkeypatch.setenv("CNNKIT_CACHE", str(tmp_path / "cache"))
    archive = truncated(write_archive(tmp_path / "games.tar.gz", games))
    kept = len(list(read_games(archive, report=SkipReport())))
    manifest = encode_dataset([archive], features="minimal", workers=workers, progress=False, min_moves=1)
    report = manifest["report"]
    assert report["games_read"] == report["games_used"] == kept == sum(manifest["games"].values())
    assert report["damaged_sources"] == {str(archive): {"sgf_files_read": kept,
                                                       "error": report["damaged_sources"][str(archive)]["error"]}}
    err = capsys.readouterr().err
    assert f"warning: {archive} is damaged after {kept} SGF files" in err and "Traceback" not in err
    # the cached manifest warns again
    again = encode_dataset([archive], features="minimal", workers=workers, progress=False, min_moves=1)
    assert again["cached"] and f"warning: {archive} is damaged" in capsys.readouterr().err


@pytest.fixture
def model_file(tiny_model, tmp_path):
    path = tmp_path / "tiny.keras"
    tiny_model.save(path)
    return path


@pytest.mark.parametrize("suffix", [".tar.gz", ".zip"])
@pytest.mark.parametrize("workers", ["1", "2"])
def test_cli_evaluate_on_a_truncated_archive_scores_the_games_it_could_read(games, model_file, tmp_path,
                                                                            monkeypatch, capsys, suffix, workers):
    monkeypatch.setenv("CNNKIT_CACHE", str(tmp_path / "cache"))
    archive = truncated(write_archive(tmp_path / f"games{suffix}", games))
    kept = len(list(read_games(archive, report=SkipReport())))
    code, out, err = run_cli(main, ["evaluate", "--sgf", archive, "--model", model_file, "--workers", workers,
                                    "--json"], capsys)
    assert code == 0, err
    metrics = json.loads(out.strip().splitlines()[-1])
    assert metrics["games"]["games_read"] == metrics["games"]["games_used"] == kept
    assert metrics["games"]["damaged_sources"][str(archive)]["sgf_files_read"] == kept
    assert f"warning: {archive} is damaged after {kept} SGF files" in err and "Traceback" not in err


@pytest.mark.parametrize("command", ["evaluate", "encode", "train"])
@pytest.mark.parametrize("workers", ["1", "2"])
def test_cli_fails_with_one_error_line_when_no_game_could_be_read(model_file, tmp_path, monkeypatch, capsys,
                                                                  command, workers):
    monkeypatch.setenv("CNNKIT_CACHE", str(tmp_path / "cache"))
    fake = tmp_path / "download.tar.gz"
    fake.write_text("<html>404 not found</html>\n")
    extra = {"evaluate": ["--model", model_file], "train": ["--out", tmp_path / "run"], "encode": []}[command]
    code, _, err = run_cli(main, [command, "--sgf", fake, "--workers", workers, *extra], capsys)
    assert code == 2
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith("error: ") and f"{fake} is damaged after 0 SGF files (ReadError: " in last
    assert last.endswith(")") and err.count("error:") == 1


def test_cli_train_on_a_truncated_archive_trains_on_the_games_before_the_damage(games, tmp_path, monkeypatch,
                                                                                capsys):
    monkeypatch.setenv("CNNKIT_CACHE", str(tmp_path / "cache"))
    archive = truncated(write_archive(tmp_path / "games.tar.gz", games), 0.8)
    kept = len(list(read_games(archive, report=SkipReport())))
    code, out, err = run_cli(main, ["train", "--sgf", archive, "--out", tmp_path / "run", "--depth", "1",
                                    "--filters", "2", "--epochs", "1", "--steps-per-epoch", "1", "--batch-size", "8",
                                    "--workers", "2", "--json"], capsys)
    assert code == 0, err
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["dataset"]["games_used"] == kept
    assert summary["dataset"]["damaged_sources"][str(archive)]["sgf_files_read"] == kept
    assert f"warning: {archive} is damaged" in err


def test_cli_encode_uses_every_game_of_a_collection(games, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CNNKIT_CACHE", str(tmp_path / "cache"))
    collection = tmp_path / "two.sgf"
    collection.write_bytes(games[0][1] + games[1][1])
    code, out, err = run_cli(main, ["encode", "--sgf", collection, "--workers", "1", "--json"], capsys)
    assert code == 0, err
    result = json.loads(out.strip().splitlines()[-1])
    assert result["report"]["games_read"] == result["report"]["games_used"] == 2
    assert sum(result["games"].values()) == 2
