"""``cnnkit go play``: a terminal game against the engine, driven through GTP."""

import io
import json

import numpy as np
from sgfmill import sgf

from apps.go_policy.cli import main
from apps.go_policy.play.gtp import GtpEngine
from apps.go_policy.play.terminal import TerminalGame, render_board, star_points
from apps.go_policy.rules.board import BLACK, WHITE, Board, gtp_to_point


class ScriptedEngine:
    """Plays the first empty point of its list (then passes); probabilities proportional to
    point + 1 over the empty points (known hints)."""

    name = "scripted"

    def __init__(self, vertices, size=9):
        self.points = [gtp_to_point(v, size) for v in vertices]

    def select_move(self, board, **options):
        if board.history and board.history[-1][1] is None:
            return None  # pass after a pass: the game ends
        return next((p for p in self.points if board.is_legal(p, board.to_move)), None)

    def move_probabilities(self, board):
        weights = np.arange(1, board.size ** 2 + 1, dtype="float64") * (np.array(board.stones) == 0)
        return weights / weights.sum()


def play(lines, human=BLACK, vertices=("C3", "G7", "C7"), playouts=0, **options):
    gtp = GtpEngine(ScriptedEngine(vertices), size=9, komi=7.5, playouts=playouts)
    out = io.StringIO()
    game = TerminalGame(gtp, human=human, out=out, **options)
    outcome = game.run(lines)
    return outcome, out.getvalue(), gtp.board


def test_star_points_and_the_last_move_in_parentheses():
    assert sorted(star_points(9)) == sorted(gtp_to_point(v, 9) for v in ("C3", "G3", "E5", "C7", "G7"))
    assert len(star_points(19)) == 9
    board = Board(9)
    board.play(gtp_to_point("D4", 9), BLACK)
    board.play(gtp_to_point("F3", 9), WHITE)
    rows = render_board(board).splitlines()
    assert rows[0] == rows[-1] == "   A B C D E F G H J"
    assert rows[6] == " 4 . . . X . . . . . 4"
    assert rows[7] == " 3 . . + . .(O)+ . . 3"  # GNU Go's marks
    board.play(gtp_to_point("A1", 9), BLACK)
    assert render_board(board).splitlines()[9] == " 1(X). . . . . . . . 1"
    board.play(gtp_to_point("J2", 9), WHITE)
    assert render_board(board).splitlines()[8] == " 2 . . . . . . . .(O)2"


def test_moves_alternate_with_the_engine_and_two_passes_end_with_the_count():
    outcome, text, board = play(["E5\n", "pass\n"])
    assert board.history == [(BLACK, gtp_to_point("E5", 9)), (WHITE, gtp_to_point("C3", 9)),
                             (BLACK, None), (WHITE, None)]
    assert "scripted (white) plays C3." in text and "scripted (white) passes." in text
    assert "black (move 1)> black" not in text and "black (move 1)> E5" not in text  # no echo by default
    _, text, _ = play(["E5\n", "pass\n"], echo=True)
    assert "black (move 1)> E5\nscripted (white) plays C3." in text
    # Tromp-Taylor (playouts=0): one stone each, all the rest neutral -> W+7.5
    assert (outcome.result, outcome.reason, outcome.moves) == ("W+7.5", "two passes", 4)
    assert "Both passed: W+7.5 (Tromp-Taylor area count)" in text


def test_bad_and_illegal_input_is_explained_and_the_game_goes_on():
    outcome, text, board = play(["Z9\n", "E5\n", "C3\n", "hint x\n", "frobnicate now\n", "quit\n"])
    assert "invalid coordinate" in text and "'Z9'" in text
    assert "illegal move" in text  # C3 is taken by the engine's reply
    assert "usage: hint [N]" in text and "unknown command 'frobnicate now'" in text
    assert board.move_number == 2 and (outcome.result, outcome.reason) == ("", "quit")


def test_undo_takes_back_your_move_and_the_reply():
    _, text, board = play(["E5\n", "D5\n", "undo\n", "quit\n"])
    assert [vertex for _, vertex in board.history] == [gtp_to_point("E5", 9), gtp_to_point("C3", 9)]
    assert "Taken back to move 2." in text
    _, text, board = play(["undo\n", "quit\n"], human=WHITE)  # the engine opened: nothing of yours to take
    assert "nothing to undo" in text and board.move_number == 1


def test_hint_lists_the_likeliest_empty_points():
    _, text, _ = play(["hint 2\n", "quit\n"])
    assert "hint: J9 2.4%, H9 2.4%" in text  # 81 / 3321 and 80 / 3321


def test_resign_and_save_write_sgf_with_players_and_result(tmp_path):
    final = tmp_path / "games" / "final.sgf"
    outcome, text, _ = play(["E5\n", f"save {tmp_path / 'mid.sgf'}\n", "resign\n"], human=WHITE, sgf_out=final)
    assert (outcome.result, outcome.reason, outcome.sgf) == ("B+R", "resigned", str(final))
    mid = sgf.Sgf_game.from_bytes((tmp_path / "mid.sgf").read_bytes())
    assert mid.get_player_name("b") == "scripted" and mid.get_player_name("w") == "human"
    moves = [node.get_move() for node in mid.get_main_sequence()[1:]]
    assert moves == [("b", (2, 2)), ("w", (4, 4)), ("b", (6, 6))]
    saved = sgf.Sgf_game.from_bytes(final.read_bytes())
    assert saved.get_root().get("RE") == "B+R" and len(saved.get_main_sequence()) == 4
    _, text, _ = play([f"save {tmp_path}\n", "quit\n"])  # a folder: cannot write, the game goes on
    assert "cannot write" in text


def test_end_of_input_or_ctrl_c_stops_the_game_and_keeps_the_record(tmp_path):
    outcome, _, board = play(["E5\n"])
    assert (outcome.reason, outcome.moves) == ("end of input", 2)

    def typed_then_interrupted():
        yield "E5\n"
        raise KeyboardInterrupt

    outcome, _, _ = play(typed_then_interrupted(), sgf_out=tmp_path / "stopped.sgf")
    assert (outcome.result, outcome.reason, outcome.moves) == ("", "interrupted", 2)
    assert len(sgf.Sgf_game.from_bytes((tmp_path / "stopped.sgf").read_bytes()).get_main_sequence()) == 3


def test_handicap_or_load_errors_name_the_command(tmp_path, capsys):
    assert main(["play", "--size", "9", "--handicap", "12"]) == 2
    assert "fixed_handicap 12" in capsys.readouterr().err
    assert main(["play", "--load", str(tmp_path / "missing.sgf")]) == 2
    assert "cannot load file" in capsys.readouterr().err


def test_play_command_with_the_shipped_preset(tmp_path, monkeypatch, capsys):
    record = tmp_path / "start.sgf"
    record.write_bytes(b"(;GM[1]FF[4]SZ[9]KM[6.5];B[ee];W[cc])")
    monkeypatch.setattr("sys.stdin", io.StringIO("hint 1\nquit\n"))
    out = tmp_path / "game.sgf"
    code = main(["play", "--load", str(record), "--color", "white", "--symmetries", "1", "--temperature", "0.5",
                 "--out", str(out), "--json"])
    assert code == 0
    lines = capsys.readouterr().out.strip().splitlines()
    summary = json.loads(lines[-1])
    assert summary["moves"] == 3 and summary["reason"] == "quit"  # the loaded 2 moves and the network's reply
    assert any(line.startswith("cnnkit-go (black) plays ") for line in lines)
    assert any(line.count("%") == 1 and "hint: " in line for line in lines)
    assert any(line.endswith("white (move 4)> hint 1") for line in lines)  # piped input is echoed
    game = sgf.Sgf_game.from_bytes(out.read_bytes())
    assert game.get_komi() == 6.5 and game.get_player_name("b") == "cnnkit-go"
