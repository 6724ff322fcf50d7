"""Dead stones, seki and the end-of-game count from random play-outs (``rules.scoring``),
on positions whose answer is known (GNU Go 3.8 agrees on each) and a real match game."""

from pathlib import Path

import numpy as np
import pytest

from apps.go_policy.rules.board import BLACK, WHITE, Board, gtp_to_point, point_to_gtp
from apps.go_policy.rules.records import parse_game
from apps.go_policy.rules.scoring import area_score, final_score, final_status, ownership, seki_points, self_atari_size

ROOT = Path(__file__).resolve().parents[2]
GAME_22 = ROOT / "benchmarks" / "results" / "go_match_games_8_symmetries" / "game_022.sgf"


def position(size, black, white, komi=0.0):
    board = Board(size, komi=komi)
    for color, vertices in ((BLACK, black), (WHITE, white)):
        for vertex in vertices.split():
            board.place_setup(color, gtp_to_point(vertex, size))
    return board


def vertices(strings, size):
    return [[point_to_gtp(point, size) for point in string] for string in strings]


@pytest.fixture
def walls():
    """9x9: Black owns columns A-E (a wall on E, split into two areas by A5-D5), White
    F-J (a wall on F, split by G5-J5); a dead white stone at B7 in Black's area and a dead
    black stone at H3 in White's."""
    return position(9, " ".join(f"E{row}" for row in range(1, 10)) + " A5 B5 C5 D5 H3",
                    " ".join(f"F{row}" for row in range(1, 10)) + " G5 H5 J5 B7")


# A seki: the black row 2 string and the white B1-F1 string share the liberties A1 and G1;
# whoever fills one is captured (GNU Go: final_status_list seki lists both).
SEKI = ("A2 B2 C2 D2 E2 F2 G2 H2 H1", "B1 C1 D1 E1 F1 A3 B3 C3 D3 E3 F3 G3 H3 J3 J2 J1")


def test_dead_stones_in_the_opponents_area_and_the_count_without_them(walls):
    status = final_status(walls, playouts=32)
    assert vertices(status["dead"], 9) == [["H3"], ["B7"]]
    assert status["seki"] == []
    assert sorted(len(string) for string in status["alive"]) == [12, 13]
    # by area Black has columns A-E (45 points), White F-J (36). Tromp-Taylor keeps the dead
    # stones, so the areas they stand in are neutral: Black 14 stones + 16, White 13 + 12
    assert final_score(walls, playouts=32) == "B+9"
    assert walls.result() == "B+5"


def test_ownership_is_a_mean_in_minus_one_to_one(walls):
    owner = ownership(walls, playouts=16, seed=3)
    assert owner.shape == (81,) and owner.min() >= -1 and owner.max() <= 1
    assert owner[gtp_to_point("A1", 9)] > 0.5 and owner[gtp_to_point("J9", 9)] < -0.5
    assert np.array_equal(owner, ownership(walls, playouts=16, seed=3))  # seeded: the same answer
    with pytest.raises(ValueError, match="playouts must be at least 1"):
        ownership(walls, playouts=0)


def test_seki_is_neither_dead_nor_counted():
    board = position(9, *SEKI)
    status = final_status(board, playouts=32)
    assert status["dead"] == []
    assert vertices(status["seki"], 9) == [["B1", "C1", "D1", "E1", "F1"],
                                           ["H1", "A2", "B2", "C2", "D2", "E2", "F2", "G2", "H2"]]
    assert {point_to_gtp(p, 9) for p in seki_points(board, [board.groups[gtp_to_point("A2", 9)],
                                                            board.groups[gtp_to_point("B1", 9)]])} == {"A1", "G1"}
    # White: 11 wall + 5 seki stones + 54 points of area; Black: 9 seki stones; A1, G1 neutral
    assert final_score(board, playouts=32) == "W+61"


def test_a_group_killed_by_a_two_stone_sacrifice_is_dead_not_seki():
    # White's B1 stone and Black's string share A1 and C1, but White A1 (two stones in atari)
    # lets Black capture into a one-eyed shape: the black string is dead (GNU Go agrees).
    board = position(7, "A2 B2 C2 D2 D1", "B1 A3 B3 C3 D3 E3 E2 E1")
    status = final_status(board, playouts=32)
    assert vertices(status["dead"], 7) == [["D1", "A2", "B2", "C2", "D2"]]
    assert status["seki"] == []
    assert final_score(board, playouts=32) == "W+49"


def test_self_atari_size_counts_the_string_left_in_atari():
    board = position(7, *("A2 B2 C2 D2 D1", "B1 A3 B3 C3 D3 E3 E2 E1"))
    assert self_atari_size(board, gtp_to_point("A1", 7), WHITE) == 2  # B1 + A1, liberty C1 only
    assert self_atari_size(board, gtp_to_point("A1", 7), BLACK) == 6  # the black string, liberty C1 only
    assert self_atari_size(board, gtp_to_point("G7", 7), BLACK) == 0  # open board: no atari
    board = position(5, "A2 B1", "A1")  # White A1 is in atari: Black playing... is a capture, not self-atari
    assert self_atari_size(board, gtp_to_point("C1", 5), BLACK) == 0


def test_a_real_match_game_counted_as_gnu_go_counts_it():
    """Game 22 of the 8-symmetry match ended by two passes: the Tromp-Taylor count says
    W+20.5, GNU Go's final_score (and its 15 dead strings) B+5.5."""
    board = parse_game(GAME_22.read_bytes(), GAME_22.name, min_moves=0).board(None)
    assert board.result() == "W+20.5"
    owner = ownership(board, playouts=64)
    status = final_status(board, owner=owner)
    dead_black = [s for s in status["dead"] if board.stones[s[0]] == BLACK]
    assert len(status["dead"]) == 15 and len(dead_black) == 7
    assert {"A16", "G17", "K7"} <= {point_to_gtp(s[0], 19) for s in status["dead"]}
    assert area_score(board, owner) == pytest.approx(5.5)
