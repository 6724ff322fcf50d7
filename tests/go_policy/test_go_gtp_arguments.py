"""GTP numeric arguments: a number that is not finite, not ASCII or out of range is refused with a
`?` reply that names the argument, and leaves the engine as it was."""

import pytest

from apps.go_policy.play.gtp import GtpEngine
from apps.go_policy.rules.board import WHITE


class FirstEmpty:
    """A stand-in engine: the first empty point (fast, deterministic)."""

    def select_move(self, board, **options):
        return next((point for point, stone in enumerate(board.stones) if stone == 0), None)


@pytest.fixture
def gtp():
    return GtpEngine(FirstEmpty(), size=9, komi=6.5, playouts=0)


@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-inf", "Infinity", "1e400", "-1e400", "1_0", "٣",
                                   "0x10", "", "6.5.5"])
def test_komi_must_be_a_finite_number(gtp, value):
    reply = gtp.handle(f"komi {value}" if value else "komi")
    assert reply.startswith("? "), reply
    if value:
        assert reply == f"? syntax error: komi must be a finite number, got {value!r}\n\n"
    assert gtp.board.komi == 6.5
    assert gtp.handle("final_score") == "= W+6.5\n\n"


@pytest.mark.parametrize("value, komi", [("7.5", 7.5), ("-3", -3.0), ("0", 0.0), ("+.5", 0.5), ("1e2", 100.0)])
def test_finite_komi_is_taken(gtp, value, komi):
    assert gtp.handle(f"komi {value}") == "=\n\n"
    assert gtp.board.komi == komi


@pytest.mark.parametrize("line, message", [
    ("time_left b abc", "? syntax error: time must be a finite number, got 'abc' (time_left color time stones)"),
    ("time_left b nan 0", "? syntax error: time must be a finite number, got 'nan'\n"),
    ("time_left b 1e400 0", "? syntax error: time must be a finite number, got '1e400'"),
    ("time_left b 60 2.5", "? syntax error: stones must be an integer, got '2.5'\n"),
    ("time_left b 60 -1", "? syntax error: stones must be at least 0, got '-1'\n"),
    ("time_left x 60 0", "? invalid color 'x'\n"),
    ("time_left x 60", "? invalid color 'x' (time_left color time stones)"),
    ("time_left b 60", "? wrong number of arguments for time_left: expected time_left color time stones, got 2"),
    ("time_left b 60 0 9", "? wrong number of arguments for time_left: expected time_left color time stones, "
                           "got 4"),
    ("time_settings inf 30 5", "? syntax error: main_time must be a finite number, got 'inf'"),
    ("time_settings 300 nan 5", "? syntax error: byo_yomi_time must be a finite number, got 'nan'"),
    ("time_settings 300 -30 5", "? syntax error: byo_yomi_time must be at least 0, got '-30'"),
    ("time_settings 300 30 1e3", "? syntax error: byo_yomi_stones must be an integer, got '1e3'"),
    ("time_settings 300 30", "? wrong number of arguments for time_settings: expected time_settings main_time "
                             "byo_yomi_time byo_yomi_stones, got 2"),
    ("boardsize 9.0", "? boardsize not an integer, got '9.0'"),
    ("boardsize ９", "? boardsize not an integer, got '９'"),
    ("boardsize 1_9", "? boardsize not an integer, got '1_9'"),
    ("boardsize " + "9" * 5000, "? unacceptable size\n"),
    ("boardsize 20", "? unacceptable size\n"),
    ("boardsize -9", "? unacceptable size\n"),
    ("fixed_handicap 1e400", "? syntax error: number_of_stones must be an integer, got '1e400'"),
    ("fixed_handicap 99999999999999999999", "? invalid number of stones"),
    ("place_free_handicap nan", "? syntax error: number_of_stones must be an integer, got 'nan'"),
    ("loadsgf game.sgf 0", "? syntax error: move_number must be at least 1, got '0'"),
    ("loadsgf game.sgf x", "? syntax error: move_number must be an integer, got 'x'"),
    ("genmove", "? wrong number of arguments for genmove: expected genmove color, got 0"),
    ("cnnkit-policy b w", "? wrong number of arguments for cnnkit-policy: expected cnnkit-policy [color], got 2"),
    ("loadsgf", "? wrong number of arguments for loadsgf: expected loadsgf filename [move_number], got 0"),
    ("set_free_handicap", "? bad vertex list: a handicap needs at least 2 stones"),
])
def test_bad_arguments_name_what_is_wrong(gtp, line, message):
    before = (gtp.board.size, gtp.board.komi, list(gtp.board.stones), gtp.time_settings, dict(gtp.time_left))
    reply = gtp.handle(line)
    assert reply.startswith(message) and reply.endswith("\n\n"), reply
    assert "wrong number" not in reply or "wrong number" in message
    assert (gtp.board.size, gtp.board.komi, list(gtp.board.stones), gtp.time_settings, dict(gtp.time_left)) == before


def test_good_numeric_arguments_are_taken(gtp, tmp_path):
    assert gtp.handle("time_settings 300 30 5") == "=\n\n"
    assert gtp.time_settings == (300.0, 30.0, 5)
    assert gtp.handle("time_left white 12.5 3") == "=\n\n"
    assert gtp.time_left == {WHITE: (12.5, 3)}
    assert gtp.handle("boardsize 13") == "=\n\n" and gtp.board.size == 13
    assert gtp.handle("fixed_handicap 4").startswith("= ")
    assert gtp.handle("2 genmove w").startswith("=2 ")
    game = tmp_path / "game.sgf"
    assert gtp.handle(f"printsgf {game}") == "=\n\n"
    assert gtp.handle(f"loadsgf {game} 1") == "=\n\n" and gtp.board.history == []


@pytest.mark.parametrize("line", ["lz-analyze " + "9" * 400, "lz-analyze interval " + "9" * 400,
                                  "lz-analyze minmoves " + "9" * 5000, "lz-analyze ²"])
def test_analysis_intervals_out_of_range_are_refused(tiny_model, line):
    from apps.go_policy.play.engine import PolicyEngine

    gtp = GtpEngine(PolicyEngine(tiny_model), size=9, playouts=0)
    reply = gtp.handle(line)
    assert reply.startswith("? cannot parse analyze tags: ") and "internal error" not in reply, reply


@pytest.mark.parametrize("command", ["play", "match"])
@pytest.mark.parametrize("option, value", [("--komi", "nan"), ("--komi", "1e400"), ("--temperature", "inf")])
def test_command_line_komi_and_temperature_must_be_finite(capsys, command, option, value):
    from apps.go_policy.cli import main

    with pytest.raises(SystemExit) as exit_status:
        main([command, option, value])
    assert exit_status.value.code == 2
    assert f"argument {option}: expected a finite number, got {value!r}" in capsys.readouterr().err


def test_an_engine_serves_again_after_a_session_that_quit(gtp):
    import io

    for _ in range(2):
        out = io.StringIO()
        gtp.serve(io.StringIO("name\nquit\n"), out)
        assert out.getvalue() == "= cnnkit-go\n\n=\n\n"
