"""The value head (model.value), the one-move lookahead (play.lookahead) and the engine that uses them."""

import numpy as np
import pytest

from apps.go_policy.model.features import FeatureEncoder
from apps.go_policy.model.value import (
    build_value_head,
    build_value_network,
    fit_value_head,
    trunk_features,
    value_metrics,
    value_positions,
)
from apps.go_policy.play.engine import PolicyEngine, load_value
from apps.go_policy.play.lookahead import lookahead_candidates, value_choice
from apps.go_policy.rules.board import BLACK, WHITE, Board, gtp_to_point

MOVES = "pd dp qp dd fq cn jp pj dj jd".split()  # ten legal moves on an empty 19x19 board


def sgf(result: str, komi: float, moves: int = 10) -> str:
    body = "".join(f";{'BW'[i % 2]}[{MOVES[i]}]" for i in range(moves))
    return f"(;GM[1]FF[4]SZ[19]KM[{komi}]RE[{result}]{body})"


@pytest.fixture
def outcome_games(tmp_path):
    folder = tmp_path / "games"
    folder.mkdir()
    (folder / "black_wins.sgf").write_text(sgf("B+R", 6.5))
    (folder / "white_wins.sgf").write_text(sgf("W+2.5", 7.5))
    (folder / "no_komi.sgf").write_text(sgf("B+R", 0))
    (folder / "jigo.sgf").write_text(sgf("0", 6.5))
    return folder


def test_positions_are_labelled_with_the_winner_for_the_player_to_move(outcome_games):
    data = value_positions([outcome_games], per_game=10, min_move=3, seed=0)
    report = data["report"]
    assert report["games_read"] == 4 and report["games_used"] == 2
    assert report["skipped_by_reason"] == {"komi out of range": 1, "no winner": 1}
    assert data["x"].shape == (16, 19, 19, FeatureEncoder("small").num_planes) and data["x"].dtype == np.uint8
    assert sorted(data["move_number"][data["game"] == data["game"][0]].tolist()) == list(range(3, 11))
    for game in np.unique(data["game"]):
        keep = data["game"] == game
        mover_is_black = data["move_number"][keep] % 2 == 1  # Black plays the odd moves
        black_won = data["z"][keep][mover_is_black][0] == 1
        # the winner's moves get +1, the loser's -1, in both games
        assert np.all(data["z"][keep] == np.where(mover_is_black == black_won, 1.0, -1.0))
    assert set(np.unique(data["z"]).tolist()) == {-1.0, 1.0}


def test_positions_are_sampled_per_game_and_bad_arguments_are_refused(outcome_games):
    data = value_positions([outcome_games], per_game=2, min_move=5, seed=1)
    assert len(data["z"]) == 4 and data["move_number"].min() >= 5
    again = value_positions([outcome_games], per_game=2, min_move=5, seed=1)
    assert np.array_equal(again["move_number"], data["move_number"])  # the seed fixes the draw
    with pytest.raises(ValueError, match="per_game and min_move must be at least 1"):
        value_positions([outcome_games], per_game=0)
    with pytest.raises(ValueError, match="komi_range must be"):
        value_positions([outcome_games], komi_range=(7.5, 5.5))
    with pytest.raises(ValueError, match="no labelled positions"):
        value_positions([outcome_games], komi_range=(100, 200))


def test_the_value_network_reads_the_frozen_trunk_and_matches_its_head(tiny_model):
    head = build_value_head(tiny_model.filters)
    network = build_value_network(tiny_model, head)
    x = np.random.default_rng(0).integers(0, 2, (5, 19, 19, tiny_model.num_planes)).astype("float32")
    values = np.asarray(network.predict_on_batch(x))
    assert values.shape == (5, 1) and np.all(np.abs(values) <= 1)
    features = trunk_features(tiny_model, x, dtype="float32")
    assert features.shape == (5, 19, 19, tiny_model.filters)
    np.testing.assert_allclose(values, np.asarray(head.predict_on_batch(features)), atol=1e-5)
    trainable = {weight.path.split("/")[0] for weight in network.trainable_weights}
    assert trainable == {"value_conv", "value_norm", "value_dense", "value"}  # the trunk learns nothing


def test_the_head_learns_a_signal_its_features_carry():
    rng = np.random.default_rng(0)
    z = rng.choice([-1.0, 1.0], size=600).astype("float32")
    features = np.abs(rng.normal(scale=0.5, size=(600, 19, 19, 4))).astype("float32")  # >= 0, as after ReLUs
    features[:, :9] += z[:, None, None, None] > 0  # the winner's maps are higher on the upper rows
    head, history = fit_value_head(features[:500], z[:500], validation=(features[500:], z[500:]), epochs=10,
                                   batch_size=25)
    assert history["loss"][-1] < history["loss"][0]
    fit = value_metrics(head.predict(features[500:], verbose=0), z[500:])
    assert fit["winner_accuracy"] >= 0.8, fit


def test_value_metrics_on_known_values():
    fit = value_metrics([0.5, -0.5, 0.2, -1.0], [1, -1, -1, -1], move_numbers=[10, 70, 70, 200])
    assert fit["positions"] == 4 and fit["winner_accuracy"] == 0.75
    assert fit["mse"] == pytest.approx((0.25 + 0.25 + 1.44 + 0) / 4)
    assert fit["by_phase"]["middlegame"] == {"positions": 2, "mse": pytest.approx((0.25 + 1.44) / 2),
                                             "winner_accuracy": 0.5}
    with pytest.raises(ValueError, match="same length"):
        value_metrics([0.1, 0.2], [1])


def preferring(size, *vertices, shares=(0.5, 0.3, 0.15, 0.05)):
    probabilities = np.zeros(size * size)
    for vertex, share in zip(vertices, shares):
        probabilities[gtp_to_point(vertex, size)] = share
    return probabilities


class ValueLikes:
    """A stand-in value network: the position is worth ``worth`` to the player who has a stone on
    ``vertex`` (the opponent of the player to move, after that player's move), 0 otherwise."""

    input_shape = (None, 19, 19, 22)

    def __init__(self, vertex, worth=0.9):
        self.point, self.worth = gtp_to_point(vertex, 19), worth

    def predict_on_batch(self, x):
        row, column = divmod(self.point, 19)
        return -self.worth * x[:, row, column, 1:2]  # plane 1: the opponent's stones


def test_lookahead_candidates_keep_the_likeliest_moves_near_the_favourite():
    probabilities = preferring(19, "Q16", "D4", "C3", "K10")
    assert lookahead_candidates(probabilities, width=4, min_share=0.25) == [gtp_to_point(v, 19) for v in
                                                                             ("Q16", "D4", "C3")]
    assert lookahead_candidates(probabilities, width=2, min_share=0.0) == [gtp_to_point(v, 19) for v in ("Q16", "D4")]
    assert lookahead_candidates(np.zeros(361)) == []


def test_value_choice_changes_the_favourite_only_by_a_clear_margin():
    board, encoder = Board(19), FeatureEncoder("small")
    probabilities = preferring(19, "Q16", "D4", "C3", "K10")
    chosen, values = value_choice(board, probabilities, ValueLikes("D4"), encoder)
    assert chosen == gtp_to_point("D4", 19)
    assert values[gtp_to_point("D4", 19)] == pytest.approx(0.9) and values[gtp_to_point("Q16", 19)] == 0
    assert value_choice(board, probabilities, ValueLikes("D4", worth=0.05), encoder)[0] == gtp_to_point("Q16", 19)
    # K10 is below a quarter of the favourite's probability: never read
    assert value_choice(board, probabilities, ValueLikes("K10"), encoder)[0] == gtp_to_point("Q16", 19)
    assert value_choice(board, np.zeros(361), ValueLikes("D4"), encoder) == (None, {})
    with pytest.raises(ValueError, match="19x19 boards only, got 9x9"):
        value_choice(Board(9), preferring(9, "E5", "C3"), ValueLikes("D4"), encoder)


class PreferringPolicy:
    features = "small"

    def __init__(self, size, *vertices):
        self.input_shape = (None, size, size, 22)
        self.probabilities = preferring(size, *vertices)

    def predict_on_batch(self, x):
        return np.tile(self.probabilities, (len(x), 1))


def test_the_engine_reads_ahead_on_19x19_only_and_when_it_plays_its_best_move():
    board = Board(19)
    policy = PreferringPolicy(19, "Q16", "D4")
    assert PolicyEngine(policy).select_move(board) == gtp_to_point("Q16", 19)
    assert PolicyEngine(policy, value=ValueLikes("D4")).select_move(board) == gtp_to_point("D4", 19)
    board.play(gtp_to_point("Q16", 19), BLACK)  # the value still speaks for the player to move: White
    assert board.to_move == WHITE
    assert PolicyEngine(policy, value=ValueLikes("D4")).select_move(board) == gtp_to_point("D4", 19)
    small = PreferringPolicy(9, "E5", "C3")
    assert PolicyEngine(small, value=ValueLikes("D4")).select_move(Board(9)) == gtp_to_point("E5", 9)


def test_load_value_round_trip_and_errors(tiny_model, tmp_path):
    head = build_value_head(tiny_model.filters)
    head.save(tmp_path / "head.keras")
    network = load_value(tmp_path / "head.keras", tiny_model)
    x = np.ones((2, 19, 19, tiny_model.num_planes), "float32")
    np.testing.assert_allclose(np.asarray(network.predict_on_batch(x)),
                               np.asarray(build_value_network(tiny_model, head).predict_on_batch(x)), atol=1e-6)
    with pytest.raises(FileNotFoundError, match="missing.keras not found"):
        load_value(tmp_path / "missing.keras", tiny_model)
    network.save(tmp_path / "whole.keras")  # a whole value network loads as it is
    np.testing.assert_allclose(np.asarray(load_value(tmp_path / "whole.keras", None).predict_on_batch(x)),
                               np.asarray(network.predict_on_batch(x)), atol=1e-6)
    build_value_head(tiny_model.filters + 1).save(tmp_path / "other.keras")
    with pytest.raises(ValueError, match="reads 5 feature maps but the policy's trunk gives 4"):
        load_value(tmp_path / "other.keras", tiny_model)


def test_the_cli_engines_take_a_value_head(tiny_model, tmp_path):
    from apps.go_policy.cli import _policy_engine, build_parser

    path, head = tmp_path / "m.keras", tmp_path / "head.keras"
    tiny_model.save(path)
    build_value_head(tiny_model.filters).save(head)
    for command in ("gtp", "play", "match"):
        assert _policy_engine(build_parser().parse_args([command, "--model", str(path)])).value is None
        engine = _policy_engine(build_parser().parse_args([command, "--model", str(path), "--value", str(head)]))
        assert engine.value.input_shape == (None, 19, 19, tiny_model.num_planes)
        assert engine.select_move(Board(19)) is not None
    with pytest.raises(ValueError, match="needs the Keras runtime"):
        _policy_engine(build_parser().parse_args(["gtp", "--model", str(path), "--value", str(head),
                                                  "--runtime", "onnx"]))


def test_a_match_set_up_with_the_value_head_has_its_own_games_and_description():
    import argparse

    from benchmarks.go_common import add_setup_arguments, games_folder, preset_line, result_name

    parser = argparse.ArgumentParser()
    add_setup_arguments(parser)
    args = parser.parse_args(["--symmetries", "8", "--tactics", "--value", "--tag", "gpu_continuation"])
    assert games_folder(args).name == "go_match_games_8_symmetries_tactics_value_gpu_continuation"
    assert result_name(args) == "go_match_19x19_level10_8_symmetries_tactics_value_gpu_continuation"
    plain = parser.parse_args(["--symmetries", "8", "--tactics", "--tag", "gpu_continuation"])
    assert games_folder(plain).name == "go_match_games_8_symmetries_tactics_gpu_continuation"
    assert "value head" in preset_line(True, True) and "value head" not in preset_line(True)
