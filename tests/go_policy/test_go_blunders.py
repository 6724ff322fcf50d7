"""benchmarks.go_blunders: the engine's strings captured in its games, and why."""

from apps.go_policy.rules.board import BLACK, WHITE, gtp_to_point
from apps.go_policy.rules.records import parse_game, sgf_bytes
from benchmarks.go_blunders import blunder_metrics, string_losses

# GNU Go (Black) walls in White's C5-E5 from A5, B6-E6 and B4-E4, leaving it B5 and F5
WALLS = ("A5", "C5", "B6", "D5", "C6", "E5", "D6", "J9", "E6", "J8", "B4", "J7", "C4", "J6", "D4", "J5", "E4")


def game(*tail, result="B+R"):
    moves = [((BLACK, WHITE)[number % 2], gtp_to_point(vertex, 9)) for number, vertex in enumerate(WALLS + tail)]
    return parse_game(sgf_bytes(9, 7.5, moves, result, black="GNU Go", white="cnnkit-go"), "game.sgf")


def test_a_string_played_into_atari_and_taken():
    # White fills B5 itself (its string's last liberty but F5), Black takes four stones at F5
    assert string_losses(game("B5", "F5"), "W") == [{"move": 19, "stones": 4, "cause": "played_into_atari"}]


def test_a_string_left_in_atari_with_no_way_out():
    # Black ataris at F5; B5 gives White no liberty, so H2 elsewhere loses nothing reading could save
    assert string_losses(game("H1", "F5", "H2", "B5"), "W") == [{"move": 21, "stones": 3,
                                                                 "cause": "left_in_atari_lost"}]


def test_a_string_left_in_atari_that_could_have_escaped():
    # Black ataris at B5 instead: F5 would have got out, H2 leaves it to be taken
    assert string_losses(game("H1", "B5", "H2", "F5"), "W") == [{"move": 21, "stones": 3,
                                                                 "cause": "left_in_atari_savable"}]
    assert string_losses(game("H1", "B5", "H2", "F5"), "W", min_stones=4) == []


def test_blunder_metrics_split_won_and_lost_games():
    games = [(game("B5", "F5"), {"engine_color": "W", "won": False}),
             (game("H1", "B5", "H2", "F5"), {"engine_color": "W", "won": True}),
             (game("H1", "H3"), {"engine_color": "W", "won": True})]
    metrics = blunder_metrics(games)
    assert metrics["games"] == 3 and metrics["lost.games"] == 1 and metrics["won.games"] == 2
    assert metrics["lost.played_into_atari.stones"] == 4 and metrics["lost.stones_captured_per_game"] == 4
    assert metrics["won.left_in_atari_savable.captures"] == 1 and metrics["won.games_with_a_capture"] == 1
    assert metrics["won.stones_captured_per_game"] == 1.5 and metrics["won.played_into_atari.captures"] == 0
