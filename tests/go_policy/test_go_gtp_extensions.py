"""GTP beyond the required commands: handicaps, SGF load/print, regression and KGS genmoves,
the end-of-game statuses and count, and the GoGui analyze commands."""

import numpy as np
import pytest

from apps.go_policy.play.engine import PolicyEngine
from apps.go_policy.play.gtp import GtpEngine, policy_gfx
from apps.go_policy.rules.board import BLACK, EMPTY, WHITE, gtp_to_point
from apps.go_policy.rules.handicap import fixed_handicap_points, max_fixed_handicap
from apps.go_policy.rules.records import parse_game, write_sgf


@pytest.fixture
def gtp(tiny_model):
    return GtpEngine(PolicyEngine(tiny_model))


def ok(engine, line):
    reply = engine.handle(line)
    assert reply.startswith("=") and reply.endswith("\n\n") and "\n\n" not in reply[:-2], reply
    return reply[1:].strip()


def refused(engine, line):
    reply = engine.handle(line)
    assert reply.startswith("?") and reply.endswith("\n\n"), reply
    return reply[1:].strip()


def vertices(points, size):
    from apps.go_policy.rules.board import point_to_gtp

    return " ".join(point_to_gtp(point, size) for point in points)


# The table of section 4.1.1 of the GTP version 2 specification.
@pytest.mark.parametrize("size, stones, expected", [
    (19, 2, "D4 Q16"),
    (19, 5, "D4 Q16 D16 Q4 K10"),
    (19, 6, "D4 Q16 D16 Q4 D10 Q10"),
    (19, 9, "D4 Q16 D16 Q4 D10 Q10 K4 K16 K10"),
    (13, 9, "D4 K10 D10 K4 D7 K7 G4 G10 G7"),
    (9, 3, "C3 G7 C7"),
    (9, 8, "C3 G7 C7 G3 C5 G5 E3 E7"),
    (7, 4, "C3 E5 C5 E3"),
    (8, 4, "C3 F6 C6 F3"),
])
def test_fixed_handicap_layout_follows_the_gtp_specification(size, stones, expected):
    assert vertices(fixed_handicap_points(stones, size), size) == expected


def test_fixed_handicap_limits():
    assert [max_fixed_handicap(size) for size in (5, 7, 8, 9, 12, 13, 19)] == [0, 4, 4, 9, 4, 9, 9]
    with pytest.raises(ValueError, match=r"10 on 19x19 \(fixed handicap allows 2 to 9\)"):
        fixed_handicap_points(10, 19)
    with pytest.raises(ValueError, match="allows none"):
        fixed_handicap_points(2, 5)
    with pytest.raises(ValueError, match="1 on 9x9"):
        fixed_handicap_points(1, 9)


def test_fixed_handicap_places_black_stones_and_white_moves_next(gtp):
    assert ok(gtp, "fixed_handicap 4") == "D4 Q16 D16 Q4"
    board = gtp.board
    assert [board.stones[gtp_to_point(v, 19)] for v in ("D4", "Q16", "D16", "Q4")] == [BLACK] * 4
    assert board.to_move == WHITE and board.move_number == 0
    move = ok(gtp, "genmove w")
    assert gtp.board.stones[gtp_to_point(move, 19)] == WHITE
    assert ok(gtp, "undo") == "" and gtp.board.stones[gtp_to_point("D4", 19)] == BLACK  # undo keeps the stones
    assert "board not empty" in refused(gtp, "fixed_handicap 2")
    ok(gtp, "clear_board")
    assert "invalid number of stones" in refused(gtp, "fixed_handicap 10")
    assert "must be an integer" in refused(gtp, "fixed_handicap many")
    ok(gtp, "boardsize 5")
    assert "allows none" in refused(gtp, "fixed_handicap 2")


def test_place_free_handicap_extends_the_standard_layout_with_the_engines_choice(gtp):
    placed = ok(gtp, "place_free_handicap 11").split()
    assert len(placed) == len(set(placed)) == 11
    assert placed[:9] == "D4 Q16 D16 Q4 D10 Q10 K4 K16 K10".split()
    assert sum(stone == BLACK for stone in gtp.board.stones) == 11 and gtp.board.to_move == WHITE
    ok(gtp, "boardsize 5")  # no fixed layout on 5x5: the engine picks every stone
    placed = ok(gtp, "place_free_handicap 3").split()
    assert len(set(placed)) == 3
    assert "board not empty" in refused(gtp, "place_free_handicap 2")
    ok(gtp, "clear_board")
    assert "invalid number of stones" in refused(gtp, "place_free_handicap 1")
    assert "invalid number of stones" in refused(gtp, "place_free_handicap 25")


def test_set_free_handicap_and_its_errors(gtp):
    assert ok(gtp, "set_free_handicap C3 R17 k10") == ""
    assert gtp.board.stones[gtp_to_point("K10", 19)] == BLACK and gtp.handicap == 3
    assert "board not empty" in refused(gtp, "set_free_handicap D4 Q16")
    ok(gtp, "clear_board")
    assert "repeated" in refused(gtp, "set_free_handicap D4 d4")
    assert "pass is not a vertex" in refused(gtp, "set_free_handicap D4 pass")
    assert "bad vertex list" in refused(gtp, "set_free_handicap D4 Z40")
    assert "at least 2 stones" in refused(gtp, "set_free_handicap D4")
    assert all(stone == EMPTY for stone in gtp.board.stones)  # a refused list places nothing


def test_loadsgf_sets_size_komi_setup_and_moves(gtp, tmp_path):
    moves = [(WHITE, gtp_to_point(v, 9)) for v in ("E5",)] + [(BLACK, gtp_to_point("E3", 9)), (WHITE, None),
                                                             (BLACK, gtp_to_point("C5", 9))]
    setup = [(BLACK, gtp_to_point("C3", 9)), (BLACK, gtp_to_point("G7", 9))]
    path = write_sgf(tmp_path / "handicap.sgf", 9, 0.5, moves, setup=setup, handicap=2)
    assert ok(gtp, f"loadsgf {path}") == ""
    board = gtp.board
    assert (board.size, board.komi, board.move_number, board.to_move) == (9, 0.5, 4, WHITE)
    assert board.stones[gtp_to_point("C5", 9)] == BLACK and gtp.handicap == 2
    assert ok(gtp, f"loadsgf {path} 2") == ""  # the position before move 2
    assert (gtp.board.move_number, gtp.board.to_move) == (1, BLACK)
    assert ok(gtp, f"loadsgf {path} 1") == ""  # before the first move: handicap stones only, White to move
    assert gtp.board.move_number == 0 and gtp.board.to_move == WHITE
    assert gtp.board.stones[gtp_to_point("G7", 9)] == BLACK
    ok(gtp, "genmove w")


def test_loadsgf_reads_a_real_professional_game(gtp, sample_folder):
    path = sorted(sample_folder.glob("*.sgf"))[0]
    record = parse_game(path.read_bytes())
    ok(gtp, f"loadsgf {path} 31")
    assert gtp.board.move_number == 30
    assert gtp.board.stones == record.board(30).stones
    ok(gtp, f"loadsgf {path}")
    assert gtp.board.move_number == len(record.moves)


def test_loadsgf_errors_name_the_file(gtp, tmp_path):
    assert "cannot load file" in refused(gtp, f"loadsgf {tmp_path / 'missing.sgf'}")
    broken = tmp_path / "broken.sgf"
    broken.write_text("(;GM[1]SZ[19];B[pd];W[dp")
    message = refused(gtp, f"loadsgf {broken}")
    assert "cannot load file" in message and "broken.sgf" in message and "malformed sgf" in message
    illegal = tmp_path / "illegal.sgf"
    illegal.write_text("(;GM[1]FF[4]SZ[19]KM[6.5];B[pd];W[pd];B[dd])")
    assert "illegal move" in refused(gtp, f"loadsgf {illegal}")
    good = write_sgf(tmp_path / "good.sgf", 9, 7.5, [(BLACK, 40)])
    assert "move_number must be at least 1" in refused(gtp, f"loadsgf {good} 0")
    assert gtp.board.size == 19  # a refused load leaves the board alone


def test_printsgf_round_trips_through_loadsgf(gtp, tmp_path):
    ok(gtp, "boardsize 9")
    ok(gtp, "komi 5.5")
    ok(gtp, "fixed_handicap 2")
    ok(gtp, "play w E5")
    ok(gtp, "play b E3")
    ok(gtp, "play w pass")
    text = ok(gtp, "printsgf")
    record = parse_game(text.encode(), sizes=(9,))
    assert (record.size, record.komi, record.handicap) == (9, 5.5, 2)
    assert record.setup == gtp.board.setup and record.moves == gtp.board.history
    path = tmp_path / "game.sgf"
    assert ok(gtp, f"printsgf {path}") == ""
    stones = list(gtp.board.stones)
    ok(gtp, "clear_board")
    ok(gtp, f"loadsgf {path}")
    assert gtp.board.stones == stones and gtp.board.to_move == BLACK
    assert ok(gtp, f"printsgf {tmp_path / 'new-folder' / 'game.sgf'}") == ""  # folders are made
    assert (tmp_path / "new-folder" / "game.sgf").read_bytes() == path.read_bytes()
    (tmp_path / "a-file").write_text("not a folder")
    assert "cannot write" in refused(gtp, f"printsgf {tmp_path / 'a-file' / 'game.sgf'}")


def test_reg_genmove_answers_without_playing(gtp):
    ok(gtp, "play b D4")
    suggestion = ok(gtp, "reg_genmove w")
    assert gtp.board.move_number == 1 and gtp.board.to_move == WHITE
    assert ok(gtp, "genmove w") == suggestion  # the arg-max engine is deterministic
    assert "invalid color" in refused(gtp, "reg_genmove purple")


def test_kgs_genmove_cleanup_plays_on_where_genmove_passes(gtp):
    ok(gtp, "boardsize 9")
    ok(gtp, "komi 0.5")
    for vertex in ("C3", "C7", "G3", "G7", "E5"):
        ok(gtp, f"play b {vertex}")
    ok(gtp, "play w pass")
    assert ok(gtp, "reg_genmove b") == "pass"  # ahead by area after a pass: genmove would pass
    move = ok(gtp, "kgs-genmove_cleanup b")
    assert move != "pass" and gtp.board.stones[gtp_to_point(move, 9)] == BLACK


def test_policy_gfx_of_known_probabilities():
    probabilities = np.zeros(4)
    probabilities[[0, 1, 2]] = [0.5, 0.3, 0.2]
    assert policy_gfx(probabilities, 2, BLACK) == (
        "INFLUENCE A1 1.00 B1 0.60 A2 0.40\nLABEL A1 50 B1 30 A2 20 B2 0\nTEXT A1 50.0%, B1 30.0%, A2 20.0%, B2 0.0%")
    assert policy_gfx(probabilities, 2, WHITE).startswith("INFLUENCE A1 -1.00 B1 -0.60")
    assert policy_gfx(np.zeros(4), 2, BLACK).startswith("TEXT no sensible move")


def test_gogui_analyze_policy_command(gtp):
    assert ok(gtp, "gogui-analyze_commands").splitlines() == [
        "gfx/Policy network move probabilities/cnnkit-policy %c",
        "gfx/Ownership and dead stones (random play-outs)/cnnkit-ownership",
        "plist/Dead stones/final_status_list dead"]
    ok(gtp, "play b D4")
    lines = ok(gtp, "cnnkit-policy w").splitlines()
    assert [line.split()[0] for line in lines] == ["INFLUENCE", "LABEL", "TEXT"]
    shades = lines[0].split()[1:]
    assert "D4" not in shades[::2]  # occupied points get no probability
    assert all(-1.0 <= float(value) < 0 for value in shades[1::2])  # white to move: white shades
    labels = lines[1].split()[1:]
    assert len(labels) == 10 and 0 <= sum(int(p) for p in labels[1::2]) <= 100 + 5
    assert ok(gtp, "cnnkit-policy").startswith("INFLUENCE")  # the color defaults to the player to move
    assert gtp.board.to_move == WHITE and gtp.board.move_number == 1
    assert "no move probabilities" in refused(GtpEngine(engine=object()), "cnnkit-policy b")


def _walls_game(gtp):
    """9x9 by GTP moves: Black walls off columns A-E, White F-J, each area split in two; a
    white stone dies at B7 in Black's area, a black one at H3 in White's."""
    ok(gtp, "boardsize 9")
    ok(gtp, "komi 0")
    black = [f"E{row}" for row in range(1, 10)] + ["A5", "B5", "C5", "D5", "H3"]
    white = [f"F{row}" for row in range(1, 10)] + ["G5", "H5", "J5", "B7"]
    for b, w in zip(black, white + ["pass"]):
        ok(gtp, f"play b {b}")
        ok(gtp, f"play w {w}")
    ok(gtp, "play b pass")


def test_final_status_list_and_final_score_take_the_dead_stones_off(gtp):
    _walls_game(gtp)
    assert ok(gtp, "final_status_list dead").splitlines() == ["H3", "B7"]
    assert ok(gtp, "final_status_list seki") == ""
    alive = ok(gtp, "FINAL_STATUS_LIST alive").splitlines()
    assert len(alive) == 2 and sorted(len(line.split()) for line in alive) == [12, 13]
    assert ok(gtp, "final_score") == "B+9"  # Black 45 points by area, White 36
    assert gtp.board.result() == "B+5"  # Tromp-Taylor: the dead stones neutralise their areas
    assert "invalid status 'dying'" in refused(gtp, "final_status_list dying")
    assert "wrong number of arguments" in refused(gtp, "final_status_list")


def test_playouts_zero_counts_the_stones_as_they_stand(tiny_model):
    gtp = GtpEngine(PolicyEngine(tiny_model, playouts=0), playouts=0)
    _walls_game(gtp)
    assert ok(gtp, "final_score") == "B+5"
    assert ok(gtp, "final_status_list dead") == ""
    with pytest.raises(ValueError, match="playouts must be 0"):
        GtpEngine(PolicyEngine(tiny_model), playouts=-1)


def test_gogui_ownership_gfx(gtp):
    _walls_game(gtp)
    lines = ok(gtp, "cnnkit-ownership").splitlines()
    assert [line.split()[0] for line in lines] == ["INFLUENCE", "MARK", "TEXT"]
    shades = dict(zip(lines[0].split()[1::2], map(float, lines[0].split()[2::2])))
    assert shades["A1"] > 0 and shades["J9"] < 0 and shades["B7"] > 0 and shades["H3"] < 0
    assert lines[1] == "MARK H3 B7"
    assert lines[2] == "TEXT B+9 by area over 64 play-outs, 2 dead stones"
