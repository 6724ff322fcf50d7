"""Tactical reading (play.tactics) and the engine that uses it."""

import numpy as np
import pytest

from apps.go_policy.play.engine import PolicyEngine
from apps.go_policy.play.tactics import can_capture, rescue_moves, safe_moves, saving_moves, stones_at_risk
from apps.go_policy.rules.board import BLACK, WHITE, Board, gtp_to_point


def position(black: str, white: str, size: int = 9, to_move: int = WHITE) -> Board:
    board = Board(size)
    for vertex in black.split():
        board.place_setup(BLACK, gtp_to_point(vertex, size))
    for vertex in white.split():
        board.place_setup(WHITE, gtp_to_point(vertex, size))
    board.to_move = to_move
    return board


def points(*vertices, size: int = 9) -> list[int]:
    return [gtp_to_point(vertex, size) for vertex in vertices]


LADDER = "C4 D5 D3 E3"  # Black around a white stone at D4 in atari, the ladder running up and right


def test_snapshot_copies_the_position_and_shares_nothing():
    board = Board(9)
    for vertex in ("D4", "E4", "D5", "C5"):
        board.play(gtp_to_point(vertex, 9))
    copy = board.snapshot()
    liberties = set(board.groups[gtp_to_point("D4", 9)].liberties)
    assert copy.stones == board.stones and copy.to_move == board.to_move and copy.hash == board.hash
    assert [None if g is None else sorted(g.liberties) for g in copy.groups] == \
           [None if g is None else sorted(g.liberties) for g in board.groups]
    copy.play(gtp_to_point("D3", 9))
    assert board.stones[gtp_to_point("D3", 9)] == 0
    assert board.groups[gtp_to_point("D4", 9)].liberties == liberties  # D3 is still the original's liberty
    assert gtp_to_point("D3", 9) not in copy.groups[gtp_to_point("D4", 9)].liberties
    assert copy.copy().stones == copy.stones  # its setup reproduces it


def test_a_ladder_without_a_breaker_is_read_to_the_capture():
    board = position(LADDER, "D4")
    assert saving_moves(board, gtp_to_point("D4", 9)) == []
    board.to_move = BLACK
    assert can_capture(board, gtp_to_point("D4", 9))


@pytest.mark.parametrize("breaker", ["G7", "F6"])
def test_a_ladder_breaker_on_the_path_lets_the_string_out(breaker):
    board = position(LADDER, f"D4 {breaker}")
    assert saving_moves(board, gtp_to_point("D4", 9)) == points("E4")


def test_a_ladder_across_a_19x19_board_is_read_within_the_default_budget():
    board = position("C4 D5 D3 E3", "D4", size=19)
    assert saving_moves(board, gtp_to_point("D4", 19)) == []
    with_breaker = position("C4 D5 D3 E3", "D4 Q17", size=19)
    assert saving_moves(with_breaker, gtp_to_point("D4", 19)) == points("E4", size=19)


def test_when_the_budget_is_spent_the_string_is_taken_to_live():
    board = position(LADDER, "D4 E4")  # White extended: two liberties, Black to move
    board.to_move = BLACK
    assert can_capture(board, gtp_to_point("D4", 9))
    assert not can_capture(board, gtp_to_point("D4", 9), nodes=1)


def test_capturing_an_attacker_in_atari_saves_a_string():
    # White C5-E5 in atari at E4; Black's F5 is in atari at F4, between White's G5 and F6
    board = position("B5 C6 D6 E6 C4 D4 F5", "C5 D5 E5 G5 F6")
    string = gtp_to_point("C5", 9)
    assert len(board.groups[string].liberties) == 1
    assert gtp_to_point("F4", 9) in saving_moves(board, string)
    assert gtp_to_point("F4", 9) in rescue_moves(board, WHITE)


def test_stones_at_risk_is_the_largest_string_the_opponent_captures():
    # White's 3-stone string C5-E5 in atari at F5; its 1-stone string at H8 in atari too
    board = position("B5 C6 D6 E6 C4 D4 E4 G8 H7 J8", "C5 D5 E5 H8", to_move=BLACK)
    assert stones_at_risk(board, WHITE) == 3
    assert stones_at_risk(board, WHITE, min_stones=4) == 0
    assert stones_at_risk(board, WHITE, min_stones=1) == 3
    assert stones_at_risk(board, BLACK) == 0
    with pytest.raises(ValueError, match="no stone at point"):
        can_capture(board, gtp_to_point("A1", 9))


# White C5-E5 walled in above and below, with liberties B5 and F5; Black's A5 makes B5 a self-atari
WALLED = ("A5 B6 C6 D6 E6 B4 C4 D4 E4", "C5 D5 E5")


def preferring(*vertices, size: int = 9) -> np.ndarray:
    """Probabilities that rank ``vertices`` first, in that order, then the rest equally."""
    probabilities = np.full(size * size, 1.0)
    for rank, point in enumerate(points(*vertices, size=size)):
        probabilities[point] = 100.0 - rank
    return probabilities / probabilities.sum()


def test_safe_moves_drops_the_self_atari_of_a_big_string():
    board = position(*WALLED)
    # B5 is a self-atari; a move elsewhere (J9) lets Black atari at F5 with no escape; F5 gets out
    mask = safe_moves(board, preferring("B5", "J9", "F5"), width=3)
    assert np.flatnonzero(mask).tolist() == points("F5")
    quiet = position("G7", "C3")  # nothing short of liberties: every read move is kept
    assert safe_moves(quiet, preferring("D4")).sum() == 8
    assert not safe_moves(quiet, np.zeros(81)).any()
    occupied = preferring("G7", "C3", "D4")  # raw probabilities: the two favourites are stones already
    assert np.flatnonzero(safe_moves(quiet, occupied, width=3)).tolist() == points("D4")


def test_safe_moves_reads_the_rescue_of_a_string_the_network_overlooks():
    # White C5-E5 in atari at F5 (Black holds B5); the network likes eight other moves better
    board = position("B5 " + WALLED[0], WALLED[1])
    favourites = ("A1", "A2", "A3", "A4", "A6", "A7", "A8", "A9")
    mask = safe_moves(board, preferring(*favourites, "F5"))
    assert np.flatnonzero(mask).tolist() == points("F5")


def test_a_stone_or_two_at_stake_is_left_to_the_network():
    # White's C4-D4 is in atari at E4; extending makes three stones in a ladder that works, and
    # giving the two up loses two: one stone apart, so both the extension and J9 are kept
    board = position("B4 C5 D5 C3 D3 E3", "C4 D4")
    after = board.snapshot()
    after.play(gtp_to_point("E4", 9), WHITE)
    assert stones_at_risk(after, WHITE) == 3 and stones_at_risk(board, WHITE, min_stones=2) == 2
    mask = safe_moves(board, preferring("E4", "J9"), width=2)
    assert np.flatnonzero(mask).tolist() == sorted(points("E4", "J9"))
    assert np.flatnonzero(safe_moves(board, preferring("E4", "J9"), width=2, min_stones=1)).tolist() == points("J9")


class PreferringPolicy:
    """A stand-in network whose output ranks the given points first."""

    features = "small"
    input_shape = (None, 9, 9, 22)

    def __init__(self, *vertices):
        self.probabilities = preferring(*vertices)

    def predict_on_batch(self, x):
        return np.tile(self.probabilities, (len(x), 1))


def test_the_engine_with_tactics_avoids_the_self_atari_the_network_prefers():
    board = position(*WALLED)
    network = PreferringPolicy("B5", "F5")
    assert PolicyEngine(network).select_move(board) == gtp_to_point("B5", 9)
    assert PolicyEngine(network, tactics=True).select_move(board) == gtp_to_point("F5", 9)


def test_a_gtp_session_with_tactics_gets_out_of_the_ladder():
    import io

    from apps.go_policy.play.gtp import GtpEngine

    gtp = GtpEngine(PolicyEngine(PreferringPolicy("B5", "F5"), tactics=True), size=9, playouts=0)
    black, white = WALLED
    commands = [f"play b {vertex}" for vertex in black.split()] + [f"play w {vertex}" for vertex in white.split()]
    out = io.StringIO()
    gtp.serve(io.StringIO("\n".join(["boardsize 9", *commands, "genmove w", "quit"]) + "\n"), out)
    assert out.getvalue().split("\n\n")[-3] == "= F5"


def test_the_cli_engines_take_tactics(tiny_model, tmp_path):
    from apps.go_policy.cli import _policy_engine, build_parser

    path = tmp_path / "m.keras"
    tiny_model.save(path)
    for command in ("gtp", "play", "match"):
        args = build_parser().parse_args([command, "--model", str(path), "--runtime", "keras"])
        assert not _policy_engine(args).tactics
        assert _policy_engine(build_parser().parse_args([command, "--model", str(path), "--tactics"])).tactics
