"""GTP engine: every listed command, ids, errors as '? message', never a crash."""

import io
import shutil

import pytest

from apps.go_policy.play.engine import PolicyEngine
from apps.go_policy.play.gtp import COMMANDS, GtpEngine


@pytest.fixture
def gtp(tiny_model):
    return GtpEngine(PolicyEngine(tiny_model))


def ask(engine, line):
    return engine.handle(line)


def test_protocol_commands(gtp):
    assert ask(gtp, "protocol_version") == "= 2\n\n"
    assert ask(gtp, "7 name") == "=7 cnnkit-go\n\n"
    assert ask(gtp, "version").startswith("= ")
    assert ask(gtp, "known_command genmove") == "= true\n\n"
    assert ask(gtp, "known_command fly") == "= false\n\n"
    listed = ask(gtp, "list_commands")[2:].split()
    assert set(COMMANDS) == set(listed)
    assert ask(gtp, "# only a comment") is None


def test_the_protocol_layer_serves_any_command_set():
    from apps.go_policy.play.gtp.protocol import GtpError, GtpProtocol, clean_line

    class Echo(GtpProtocol):
        COMMANDS = GtpProtocol.COMMANDS + ("echo", "fail", "lines")

        def cmd_echo(self, *words):
            return " ".join(words)

        def cmd_fail(self):
            raise GtpError("as asked")

        def cmd_lines(self):
            return iter(["one", "two"])

    out = io.StringIO()
    Echo().serve(io.StringIO("3 echo a\tb # comment\nfail\nlines\nlist_commands\nquit\necho never\n"), out)
    assert out.getvalue() == ("=3 a b\n\n? as asked\n\n=\none\ntwo\n\n"
                              "= protocol_version\nknown_command\nlist_commands\nquit\necho\nfail\nlines\n\n=\n\n")
    assert clean_line("\x07 1 name # why\n") == "1 name"


def test_a_short_game_with_undo_score_and_time(gtp):
    assert ask(gtp, "boardsize 9") == "=\n\n"
    assert ask(gtp, "clear_board") == "=\n\n"
    assert ask(gtp, "komi 6.5") == "=\n\n"
    assert ask(gtp, "play black E5") == "=\n\n"
    reply = ask(gtp, "genmove w")
    assert reply.startswith("= ") and reply.strip() != "= E5"
    assert gtp.board.move_number == 2
    assert ask(gtp, "undo") == "=\n\n"
    assert gtp.board.move_number == 1
    assert "X" in ask(gtp, "showboard")
    assert ask(gtp, "final_score") == "= B+74.5\n\n"
    assert ask(gtp, "time_settings 300 30 5") == "=\n\n"
    assert ask(gtp, "time_left b 120 0") == "=\n\n"
    assert ask(gtp, "play w pass") == "=\n\n"


@pytest.mark.parametrize("line, message", [
    ("fly", "unknown command"),
    ("boardsize 40", "unacceptable size"),
    ("boardsize nine", "boardsize not an integer"),
    ("boardsize", "wrong number of arguments"),
    ("komi lots", "komi must be a finite number, got 'lots'"),
    ("play x D4", "invalid color"),
    ("play b Z99", "invalid coordinate"),
    ("undo", "cannot undo"),
    ("time_settings a b c", "syntax error"),
])
def test_errors_are_question_mark_replies(gtp, line, message):
    reply = ask(gtp, line)
    assert reply.startswith("?") and message in reply and reply.endswith("\n\n")


def test_illegal_moves_are_refused(gtp):
    ask(gtp, "play b D4")
    assert "occupied" in ask(gtp, "12 play w D4")
    assert ask(gtp, "12 play w D4").startswith("?12 ")


def test_serve_until_quit():
    engine = GtpEngine(engine=None)
    out = io.StringIO()
    engine.serve(io.StringIO("name\n\nquit\nname\n"), out)
    assert out.getvalue() == "= cnnkit-go\n\n=\n\n"


def test_cli_gtp_with_a_saved_model(tiny_model, tmp_path, monkeypatch, capsys):
    from apps.go_policy.cli import main

    path = tmp_path / "m.keras"
    tiny_model.save(path)
    monkeypatch.setattr("sys.stdin", io.StringIO("boardsize 9\ngenmove b\nplay q q\nquit\n"))
    assert main(["gtp", "--model", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.count("=") == 3 and "? invalid color" in out


@pytest.mark.skipif(shutil.which("gnugo") is None and not shutil.os.path.exists("/usr/games/gnugo"),
                    reason="GNU Go is not installed")
def test_match_against_gnugo_writes_sgf_and_ci(tiny_model, tmp_path):
    from apps.go_policy.play.match import play_match, wilson_interval

    # "gnugo" is found in /usr/games even when that folder is not on PATH
    result = play_match(PolicyEngine(tiny_model), "gnugo --mode gtp --level 0", games=2, size=9,
                        out=tmp_path, max_moves=8, progress=False)
    assert result["games"] == 2 and 0 <= result["wins"] <= 2
    low, high = result["win_rate_ci95"]
    assert low <= result["win_rate"] <= high
    assert [g["engine_color"] for g in result["game_records"]] == ["B", "W"]
    assert (tmp_path / "game_001.sgf").read_bytes().startswith(b"(;")
    assert (tmp_path / "match.json").exists()
    assert wilson_interval(0, 10)[0] == 0.0
    assert wilson_interval(5, 10) == pytest.approx((0.2366, 0.7634), abs=1e-3)


@pytest.mark.skipif(shutil.which("gnugo") is None and not shutil.os.path.exists("/usr/games/gnugo"),
                    reason="GNU Go is not installed")
def test_match_plays_games_on_from_their_openings(tiny_model, tmp_path):
    from apps.go_policy.play.match import play_match
    from apps.go_policy.rules.board import BLACK, WHITE, gtp_to_point
    from apps.go_policy.rules.records import parse_game

    opening = [(BLACK, gtp_to_point("E5", 9)), (WHITE, gtp_to_point("C3", 9)), (BLACK, None)]
    result = play_match(PolicyEngine(tiny_model), "gnugo --mode gtp --level 0", size=9, out=tmp_path,
                        max_moves=7, progress=False, openings={4: opening, 7: opening[:2]})
    # exactly games 4 and 7, with the colors their numbers give (the engine is White in even games)
    assert [(g["game"], g["engine_color"]) for g in result["game_records"]] == [(4, "W"), (7, "B")]
    assert result["games_requested"] == 2 and (tmp_path / "match_from_game_004.json").exists()
    for number, moves in ((4, opening), (7, opening[:2])):
        record = parse_game((tmp_path / f"game_{number:03d}.sgf").read_bytes(), min_moves=0)
        assert record.moves[:len(moves)] == moves  # played on from the opening, which counts to max_moves
        assert len(record.moves) <= 7
    with pytest.raises(ValueError, match="openings is empty"):
        play_match(PolicyEngine(tiny_model), "gnugo --mode gtp --level 0", size=9, openings={})


def test_bad_opponent_command_is_a_clear_error(tiny_model):
    from apps.go_policy.play.match import play_match

    with pytest.raises(ValueError, match="no-such-engine"):
        play_match(PolicyEngine(tiny_model), "no-such-engine --mode gtp", games=1)


FLAKY_OPPONENT = '''
import sys
from pathlib import Path

crashed = Path(sys.argv[1])
for line in sys.stdin:
    command = line.split()
    if not command:
        continue
    if command[0] == "genmove":
        if not crashed.exists():  # the first process dies in its first game, once
            crashed.write_text("crashed")
            sys.exit(3)
        print("= pass\\n", flush=True)
    elif command[0] == "final_score":
        print("? cannot score\\n", flush=True)
    elif command[0] == "quit":
        print("=\\n", flush=True)
        break
    else:
        print("= flaky\\n" if command[0] == "name" else "=\\n", flush=True)
'''


def test_match_restarts_an_opponent_that_exits_and_replays_the_game(tiny_model, tmp_path):
    import sys

    from apps.go_policy.play.match import play_match

    script = tmp_path / "flaky_gtp.py"
    script.write_text(FLAKY_OPPONENT)
    command = f"{sys.executable} {script} {tmp_path / 'crashed'}"
    result = play_match(PolicyEngine(tiny_model), command, games=2, size=9, out=tmp_path / "games",
                        max_moves=12, progress=False)
    assert result["games"] == 2 and result["games_abandoned"] == 0
    assert result["opponent_restarts"] == 1
    assert result["opponent_crashes"][0]["game"] == 1 and "exited" in result["opponent_crashes"][0]["error"]
    assert [g["game"] for g in result["game_records"]] == [1, 2]
    # the opponent cannot score: our own count with dead stones off decides
    assert {g["scored_by"] for g in result["game_records"]} == {"area, dead stones off (play-outs)"}


def test_match_with_an_opponent_that_always_exits_is_a_clear_error(tiny_model, tmp_path):
    import sys

    from apps.go_policy.play.match import play_match

    script = tmp_path / "dies.py"
    script.write_text("import sys\nfor line in sys.stdin:\n    if line.startswith('genmove'):\n"
                      "        sys.exit(1)\n    print('=\\n', flush=True)\n")
    with pytest.raises(ValueError, match="no game could be finished.*exited 2 time"):
        play_match(PolicyEngine(tiny_model), f"{sys.executable} {script}", games=1, size=9,
                   max_moves=12, progress=False, max_restarts=1)


def test_paired_comparison_counts_discordant_games_and_runs_mcnemar():
    from apps.go_policy.play.match import paired_comparison

    this = {1: True, 2: True, 3: False, 4: True, 5: True}
    other = {1: True, 2: False, 3: False, 4: False, 6: True}   # game 5 and 6 were not played by both
    result = paired_comparison(this, other)
    assert result["paired_games"] == 4
    assert (result["paired_wins"], result["paired_wins_other"]) == (3, 1)
    assert (result["won_only_by_this"], result["won_only_by_other"]) == (2, 0)
    assert result["mcnemar_exact_p"] == pytest.approx(0.5)      # 2 of 2 discordant: 2 * 0.5 ** 2
    assert paired_comparison({1: True}, {1: True})["mcnemar_exact_p"] == 1.0
    assert paired_comparison({}, {1: True})["paired_games"] == 0
