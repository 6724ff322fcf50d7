"""Property-based tests of the GTP command parser and engine on malformed and random input.

The invariant: every line with a command gets exactly one reply, ``=`` or ``?`` (with the
command's id) ending in one empty line, never an internal error; the engine stays alive and its
board stays consistent (a replay of its setup and moves gives the same stones, komi finite).
"""

import io
import math
import re

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from apps.go_policy.play.engine import PolicyEngine  # noqa: E402
from apps.go_policy.play.gtp import COMMANDS, MAX_SIZE, GtpEngine  # noqa: E402
from apps.go_policy.play.gtp.protocol import clean_line  # noqa: E402

# Commands that take file names get only these (relative to the test's own folder): a random
# path would let printsgf write anywhere.
FILE_COMMANDS = ("loadsgf", "printsgf")
FILES = ("game.sgf", "missing.sgf", "out/game.sgf", "broken.sgf", "")

words = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r"), max_size=8)
numbers = st.one_of(
    st.integers(-(10 ** 30), 10 ** 30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["nan", "inf", "-inf", "1e400", "1_0", "٣", "９", "0x10", "+.5", "1e-400", "9" * 500, "-0",
                     "2", "5", "9", "13", "19", "20", "0", "1", "3"]),
)
colors = st.sampled_from(["b", "w", "black", "WHITE", "x", "bw", "B", "white"])
vertices = st.one_of(
    st.sampled_from(["pass", "PASS", "A1", "T19", "Z1", "I5", "J9", "A0", "A20", "tt", "D4", "E5", "C3", "resign"]),
    st.builds(lambda column, row: f"{column}{row}", st.sampled_from("ABCDEFGHJKLMNOPQRSTUVWXYZabc"),
              st.integers(-1, 30)),
)
arguments = st.one_of(numbers, colors, vertices, words,
                      st.sampled_from(["interval", "minmoves", "avoid", "allow", "alive", "dead", "seki", "D4,E5"]))
commands = st.one_of(st.sampled_from([c for c in COMMANDS if c not in FILE_COMMANDS]), words)


def _line(command_id, name, args):
    return " ".join(([command_id] if command_id else []) + [name] + list(args))


structured_lines = st.one_of(
    st.builds(_line, st.sampled_from(["", "1", "42", "007"]), commands, st.lists(arguments, max_size=4)),
    st.builds(_line, st.sampled_from(["", "3"]), st.sampled_from(FILE_COMMANDS),
              st.lists(st.sampled_from(FILES) | numbers, min_size=0, max_size=2)),
    # a few sensible moves, so that captures, ko and scoring get exercised
    st.builds(lambda color, vertex: f"play {color} {vertex}", colors, vertices),
    st.sampled_from(["boardsize 9", "boardsize 5", "clear_board", "genmove b", "genmove w", "undo", "final_score",
                     "final_status_list dead", "showboard", "fixed_handicap 2", "lz-analyze 1", "cnnkit-policy",
                     "cnnkit-ownership", "kgs-genmove_cleanup w", "lz-genmove_analyze b 1"]),
)
random_lines = st.text(max_size=40)


@pytest.fixture(scope="module")
def network():
    from apps.go_policy.model.network import build_policy_network

    return build_policy_network("minimal", depth=1, filters=2)


@pytest.fixture
def gtp(network, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # printsgf / loadsgf files stay in the test's folder
    (tmp_path / "broken.sgf").write_text("(;GM[1]SZ[9];B[ee];W[")
    (tmp_path / "game.sgf").write_text("(;GM[1]FF[4]SZ[9]KM[5.5];B[ee];W[cc];B[gg])")
    return GtpEngine(PolicyEngine(network, playouts=2), size=9, playouts=2)


def check_reply(line: str, reply):
    """One ``=`` or ``?`` reply with the line's id, one empty line at its end, no internal error."""
    cleaned = clean_line(line)
    if not cleaned:
        assert reply is None
        return
    assert reply is not None and reply.endswith("\n\n"), (line, reply)
    assert "\n\n" not in reply[:-2], (line, reply)  # an empty line inside would end the reply early
    command_id = re.match(r"\d*", cleaned.split()[0]).group() if cleaned.split()[0].isdigit() else ""
    assert re.match(rf"[=?]{command_id}( |\n)", reply), (line, reply)
    assert "internal error" not in reply, (line, reply)


def check_board(gtp: GtpEngine):
    board = gtp.board
    assert 2 <= board.size <= MAX_SIZE and len(board.stones) == board.size ** 2
    assert math.isfinite(board.komi)
    assert board.copy().stones == board.stones  # the setup and moves replay to the same position
    if gtp.time_settings is not None:
        assert all(math.isfinite(value) and value >= 0 for value in gtp.time_settings)
    assert all(math.isfinite(seconds) for seconds, _ in gtp.time_left.values())


@given(lines=st.lists(structured_lines, min_size=1, max_size=10))
def test_fuzz_gtp_structured_commands_are_answered_and_the_board_stays_consistent(gtp, lines):
    for line in lines:
        check_reply(line, gtp.handle(line))
        check_board(gtp)
    assert gtp.handle("name") == "= cnnkit-go\n\n"


@given(lines=st.lists(random_lines, min_size=1, max_size=10))
def test_fuzz_gtp_random_text_lines_are_answered(gtp, lines):
    for line in lines:
        check_reply(line, gtp.handle(line))
        check_board(gtp)
    assert gtp.handle("protocol_version") == "= 2\n\n"


@given(lines=st.lists(st.one_of(structured_lines, random_lines.map(lambda text: text.replace("\n", " "))),
                      min_size=1, max_size=8))
def test_fuzz_gtp_session_answers_every_command_line_once(gtp, lines):
    # no quit inside: the session reads every line, and the last one quits
    lines = [line for line in lines if (clean_line(line).split() or [""])[-1:] != ["quit"]
             and "quit" not in clean_line(line).split()[:2]]
    session = "\n".join(lines + ["quit"]) + "\n"
    out = io.StringIO()
    gtp.serve(io.StringIO(session), out)
    expected = sum(1 for line in session.split("\n") if clean_line(line))  # GTP lines end at LF only
    replies = out.getvalue().split("\n\n")
    assert replies[-1] == "" and len(replies) - 1 == expected, (session, out.getvalue())
    assert all(reply[:1] in "=?" and "internal error" not in reply for reply in replies[:-1])
    check_board(gtp)
