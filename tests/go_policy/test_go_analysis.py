"""Live analysis for Sabaki and Lizzie: Leela Zero's ``lz-analyze`` arguments, the
candidates (priors, greedy variations, play-out win rates) and the streamed GTP replies."""

import io
import os
import re
import threading
import time

import numpy as np
import pytest
from scipy.stats import binomtest

from apps.go_policy.play.analysis import Candidate, MoveAnalysis, parse_analyze_arguments
from apps.go_policy.play.engine import PolicyEngine
from apps.go_policy.play.gtp import GtpEngine
from apps.go_policy.rules.board import BLACK, WHITE, Board, gtp_to_point

from .test_go_dead_stones import position

# Lizzie's reading of one candidate (its parser's fields, in Leela Zero's order)
INFO = re.compile(r"info move (\S+) visits (\d+) winrate (\d+) prior (\d+) lcb (\d+) order (\d+) pv (\S+(?: \S+)*?)"
                  r"(?= info |$)")


@pytest.fixture
def policy(tiny_model):
    return PolicyEngine(tiny_model)


def walls(komi=0.0):
    """9x9, borders closed: Black owns A-E (45 points), White F-J (36)."""
    return position(9, " ".join(f"E{row}" for row in range(1, 10)) + " A5 B5 C5 D5",
                    " ".join(f"F{row}" for row in range(1, 10)) + " G5 H5 J5", komi=komi)


def test_parse_analyze_arguments_reads_leela_zeros_forms():
    request = parse_analyze_arguments([], 19, WHITE)
    assert (request.color, request.interval, request.minmoves, request.avoid, request.allow) == (WHITE, 0, 0, set(),
                                                                                                 None)
    request = parse_analyze_arguments(["B", "50"], 19, WHITE)
    assert (request.color, request.interval) == (BLACK, 0.5)
    assert parse_analyze_arguments(["10"], 19, WHITE).interval == 0.1
    request = parse_analyze_arguments("w interval 25 minmoves 3".split(), 19, BLACK)
    assert (request.color, request.interval, request.minmoves) == (WHITE, 0.25, 3)
    request = parse_analyze_arguments("b 10 avoid b q16,d4 1 avoid w c3 1 allow b d4,k10,q16 2".split(), 19, WHITE)
    assert request.avoid == {gtp_to_point("Q16", 19), gtp_to_point("D4", 19)}  # w's avoid is not the mover's
    assert request.allow == {gtp_to_point(v, 19) for v in ("D4", "K10", "Q16")}
    assert parse_analyze_arguments("b avoid b q16 0".split(), 19, BLACK).avoid == set()  # depth 0: no move


@pytest.mark.parametrize("arguments, message", [
    ("b foo", "unknown tag 'foo'"),
    ("minmoves", "missing minmoves"),
    ("interval -5", "interval (centiseconds) must be a non-negative integer, got '-5'"),
    ("avoid b z99 1", "avoid:"),
    ("avoid q d4 1", "avoid's color must be b or w, got 'q'"),
    ("allow b d4", "missing allow's depth"),
])
def test_parse_analyze_arguments_errors_name_what_was_expected(arguments, message):
    with pytest.raises(ValueError) as error:
        parse_analyze_arguments(arguments.split(), 19, BLACK)
    assert message in str(error.value)


def test_win_rate_lower_bound_is_wilsons_interval():
    for wins, visits in ((8, 10), (0, 5), (37, 40), (1, 1)):
        candidate = Candidate(None, 1.0, wins=wins, visits=visits)
        expected = binomtest(wins, visits).proportion_ci(confidence_level=0.95, method="wilson").low
        assert candidate.winrate == wins / visits
        assert candidate.lower_bound == pytest.approx(expected, abs=1e-9)
    assert (Candidate(None, 1.0).winrate, Candidate(None, 1.0).lower_bound) == (0.5, 0.0)


def test_candidates_follow_the_policy_with_legal_greedy_variations(policy):
    board = Board(9)
    for vertex in ("E5", "C3", "G7"):
        board.play(gtp_to_point(vertex, 9))
    analysis = MoveAnalysis(policy, board, candidates=6, pv_length=5)
    probabilities = policy.move_probabilities(board)
    expected = [int(p) for p in np.argsort(-probabilities, kind="stable")[:6]]
    assert [c.point for c in analysis.candidates] == expected
    assert [c.prior for c in analysis.candidates] == pytest.approx(probabilities[expected])
    for candidate in analysis.candidates:
        assert len(candidate.pv) == 5 and candidate.pv[0] == candidate.point
        replay = board.copy()
        for point in candidate.pv:  # every move of the variation is legal, colors alternating
            assert replay.is_legal(point)
            replay.play(point)
        follow = board.copy()
        follow.play(candidate.point)  # the second move is the network's first choice after the first
        assert candidate.pv[1] == int(np.argmax(policy.move_probabilities(follow)))
    assert board.move_number == 3  # the analysis leaves the position alone


def test_avoid_and_allow_restrict_the_root_moves(policy):
    board = Board(9)
    first = MoveAnalysis(policy, board, candidates=3, pv_length=1).candidates[0].point
    avoided = MoveAnalysis(policy, board, candidates=3, pv_length=1, avoid={first})
    assert first not in [c.point for c in avoided.candidates]
    allowed = {gtp_to_point("A1", 9), gtp_to_point("J9", 9)}
    only = MoveAnalysis(policy, board, candidates=5, pv_length=1, allow=allowed)
    assert {c.point for c in only.candidates} == allowed
    nothing = MoveAnalysis(policy, board, candidates=5, pv_length=3, allow=set())
    assert [(c.point, c.prior, c.pv) for c in nothing.candidates] == [(None, 1.0, [None])]  # the engine would pass


def test_play_out_win_rates_see_who_is_ahead(policy):
    for color, komi, winning in ((BLACK, 0.0, True), (WHITE, 0.0, False), (BLACK, 20.0, False), (WHITE, 20.0, True)):
        board = walls(komi)  # Black +9 before komi
        board.to_move = color
        # the mover fills its own corners, so the candidates (and the outcome) do not depend on the
        # untrained network's choices
        corners = ("A1", "A9", "B1", "B9") if color == BLACK else ("J1", "J9", "H1", "H9")
        analysis = MoveAnalysis(policy, board, candidates=4, pv_length=1, seed=1,
                                allow={gtp_to_point(vertex, 9) for vertex in corners})
        played = analysis.think(60.0, stop=lambda: all(c.visits >= 24 for c in analysis.candidates))
        assert played == 96 and all(c.visits == 24 for c in analysis.candidates)
        rates = [c.winrate for c in analysis.candidates]  # a random invasion of a 4x4 area lives at times
        assert (np.mean(rates) >= 0.8) if winning else (np.mean(rates) <= 0.2), (color, komi, rates)


def test_think_completes_a_first_round_even_when_stopped(policy):
    analysis = MoveAnalysis(policy, Board(9), candidates=3, pv_length=1)
    assert analysis.think(10.0, stop=lambda: True) == 3
    assert [c.visits for c in analysis.candidates] == [1, 1, 1]


def parse_info(line):
    found = INFO.findall(line)
    assert found and line.startswith("info move "), line
    return [dict(move=m, visits=int(v), winrate=int(w), prior=int(p), lcb=int(l), order=int(o), pv=pv.split())
            for m, v, w, p, l, o, pv in found]


def test_lz_analyze_reply(policy):
    gtp = GtpEngine(policy, size=9)
    gtp.handle("play b e5")
    reply = gtp.handle("7 lz-analyze w 1 minmoves 12")
    lines = reply.split("\n")
    assert lines[0] == "=7" and lines[2:] == ["", ""], reply  # one round (no serve loop), then the empty line
    infos = parse_info(lines[1])
    assert [i["order"] for i in infos] == list(range(12))
    priors = [i["prior"] for i in infos]
    assert priors == sorted(priors, reverse=True) and 0 < sum(priors) <= 10000
    assert all(i["visits"] == 1 and i["winrate"] in (0, 5000, 10000) and i["pv"][0] == i["move"] for i in infos)
    assert infos[0]["move"] == gtp.handle("reg_genmove w")[2:].strip()  # order 0 is genmove's move
    assert gtp.handle("lz-analyze b") == "=\n\n"  # no interval: nothing to print, as Leela Zero
    assert gtp.board.move_number == 1 and gtp.board.to_move == WHITE
    assert gtp.handle("lz-analyze b 10 foo").startswith("? cannot parse analyze tags: unknown tag 'foo'")
    assert "no move probabilities" in GtpEngine(engine=object()).handle("lz-analyze 10")


def test_lz_genmove_analyze_plays_the_move(policy):
    gtp = GtpEngine(policy, size=9)
    lines = gtp.handle("lz-genmove_analyze b 1").split("\n")
    assert lines[0] == "=" and lines[3:] == ["", ""]
    infos = parse_info(lines[1])
    assert lines[2] == f"play {infos[0]['move']}"
    assert gtp.board.move_number == 1 and gtp.board.stones[gtp_to_point(infos[0]["move"], 9)] == BLACK
    reply = gtp.handle("lz-genmove_analyze w")  # without an interval: just the move
    assert re.fullmatch(r"=\nplay [A-HJ][1-9]\n\n", reply) and gtp.board.move_number == 2


def test_serve_streams_analysis_until_the_next_command(policy):
    gtp = GtpEngine(policy, size=9)
    read, write = os.pipe()
    stdin, feed = os.fdopen(read), os.fdopen(write, "w")
    out = io.StringIO()
    server = threading.Thread(target=gtp.serve, args=(stdin, out))
    server.start()
    feed.write("lz-analyze b 5\n")
    feed.flush()
    deadline = time.time() + 60
    while out.getvalue().count("info move") < 3 * 10 and time.time() < deadline:  # three info lines
        time.sleep(0.05)
    feed.write("name\nquit\n")
    feed.flush()
    server.join(timeout=60)
    feed.close()
    assert not server.is_alive()
    text = out.getvalue()
    head, tail = text.split("\n\n", 1)
    lines = head.split("\n")
    assert lines[0] == "=" and len(lines) >= 4 and tail == "= cnnkit-go\n\n=\n\n", text
    first, last = parse_info(lines[1]), parse_info(lines[-1])
    assert [i["move"] for i in first] == [i["move"] for i in last]  # ranked by prior: a stable order
    assert sum(i["visits"] for i in last) > sum(i["visits"] for i in first)  # the play-outs go on


def test_serve_ends_analysis_at_end_of_input(policy):
    gtp = GtpEngine(policy, size=9)
    out = io.StringIO()
    gtp.serve(io.StringIO("lz-analyze 1\n"), out)
    assert out.getvalue().startswith("=\ninfo move ") and out.getvalue().endswith("\n\n")
    assert out.getvalue().count("\n\n") == 1
