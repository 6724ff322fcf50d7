"""Policy network: shapes, any board size, save/load round trip, masking, training step."""

import keras
import numpy as np
import pytest

from apps.go_policy.model.features import FeatureEncoder, masked_probabilities, sensible_mask
from apps.go_policy.model.network import PolicyNetwork, build_policy_network, with_dtype_policy
from apps.go_policy.play.engine import PolicyEngine, load_policy, play_on_points
from apps.go_policy.rules.board import BLACK, WHITE, Board, gtp_to_point, point_to_gtp
from apps.go_policy.rules.scoring import counted_ownership
from shared.tasks import Task
from tests.testing import run_model_saving_test


def test_shapes_and_softmax(tiny_model):
    x = np.random.default_rng(0).integers(0, 2, (3, 19, 19, 22)).astype("float32")
    probabilities = np.asarray(tiny_model.predict(x, verbose=0))
    assert probabilities.shape == (3, 361)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    # fully convolutional: the same network plays 9x9
    assert np.asarray(tiny_model(x[:, :9, :9])).shape == (3, 81)
    layers = [layer for layer in tiny_model.backbone.layers if "conv" in layer.name and hasattr(layer, "kernel_size")]
    assert layers[0].kernel_size == (5, 5) and layers[1].kernel_size == (3, 3)


def test_save_load_round_trip(tiny_model, tmp_path):
    x = np.random.default_rng(1).integers(0, 2, (2, 19, 19, 22)).astype("float32")
    loaded = run_model_saving_test(tiny_model, x, tmp_path, name="policy.keras")
    assert loaded.features == FeatureEncoder("small").groups
    assert load_policy(tmp_path / "policy.keras").board_size == tiny_model.board_size


def test_policy_network_is_a_task_with_a_per_point_head(tiny_model):
    assert isinstance(tiny_model, Task) and tiny_model.pooling is None
    assert [layer.name for layer in tiny_model.layers[-3:]] == ["policy_conv", "logits", "move_probabilities"]
    assert isinstance(tiny_model.default_loss(), keras.losses.SparseCategoricalCrossentropy)
    assert [metric.name for metric in tiny_model.default_metrics()] == ["accuracy", "top5_accuracy"]
    config = tiny_model.get_config()
    assert "learning_rate" not in config and config["board_size"] == 19
    with pytest.raises(ValueError, match="'learning_rate' parameter of PolicyNetwork was removed"):
        PolicyNetwork(tiny_model.backbone, learning_rate=1e-3)
    with pytest.raises(ValueError, match="pooling' must be None"):
        PolicyNetwork(tiny_model.backbone, pooling="avg")


def test_build_policy_network_compiles_with_its_learning_rate_and_ema():
    model = build_policy_network("minimal", depth=1, filters=2, learning_rate=2e-3, ema_momentum=0.9)
    assert float(keras.ops.convert_to_numpy(model.optimizer.learning_rate)) == pytest.approx(2e-3)
    assert model.optimizer.use_ema and model.optimizer.ema_momentum == 0.9
    logs = model.train_on_batch(np.zeros((2, 9, 9, 4), "float32"), np.zeros(2, "int64"), return_dict=True)
    assert set(logs) == {"loss", "accuracy", "top5_accuracy"}


# Top three moves and their probabilities of each shipped preset after 1. Q16 D4 2. Q3 D16 3. R5 C10,
# recorded from the presets as they load; a change to PolicyNetwork must not change them.
PRESET_ANSWERS = {
    "policy_small": (["D14", "F17", "F3"], [0.09705837815999985, 0.08259354531764984, 0.07443617284297943]),
    "policy_medium": (["F17", "F3", "C14"], [0.15913155674934387, 0.14087776839733124, 0.11803345382213593]),
    "policy_large": (["F17", "F3", "K4"], [0.469508558511734, 0.3123026490211487, 0.0566428042948246]),
}


@pytest.mark.parametrize("name", sorted(PRESET_ANSWERS))
def test_shipped_presets_load_as_policy_networks_with_unchanged_answers(name, tmp_path):
    from apps.go_policy.presets import preset_path

    model = load_policy(preset_path(name))
    assert type(model) is PolicyNetwork and "learning_rate" not in model.get_config()
    board = Board(19)
    for vertex in ("Q16", "D4", "Q3", "D16", "R5", "C10"):
        board.play(gtp_to_point(vertex, 19))
    x = FeatureEncoder(model.features).encode(board)[None].astype("float32")
    probabilities = np.asarray(model.predict_on_batch(x))[0]
    top = np.argsort(-probabilities)[:3]
    moves, expected = PRESET_ANSWERS[name]
    assert [point_to_gtp(int(point), 19) for point in top] == moves
    np.testing.assert_allclose(probabilities[top], expected, rtol=1e-5)
    run_model_saving_test(model, x, tmp_path)  # saved again under today's config, it answers the same


def test_missing_model_file_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothere.keras"):
        load_policy(tmp_path / "nothere.keras")


def test_masked_probabilities():
    p = np.array([0.5, 0.3, 0.2])
    np.testing.assert_allclose(masked_probabilities(p, np.array([False, True, True])), [0, 0.6, 0.4])
    np.testing.assert_allclose(masked_probabilities(np.zeros(3), np.array([True, False, True])), [0.5, 0, 0.5])


def test_engine_never_plays_an_illegal_or_eye_filling_move(tiny_model):
    engine = PolicyEngine(tiny_model)
    board = Board(9)
    for _ in range(60):
        point = engine.select_move(board)
        if point is not None:
            assert sensible_mask(board)[point]
        board.play(point)
        if board.is_over:
            break
    assert engine.last_seconds < 1.0


def test_a_training_step_reduces_the_loss():
    model = build_policy_network("minimal", depth=2, filters=8, learning_rate=1e-2)
    rng = np.random.default_rng(0)
    x = rng.integers(0, 2, (32, 9, 9, 4)).astype("float32")
    y = rng.integers(0, 81, 32)
    first = model.train_on_batch(x, y, return_dict=True)["loss"]
    for _ in range(10):
        last = model.train_on_batch(x, y, return_dict=True)["loss"]
    assert last < first
    assert keras.backend.backend() in ("tensorflow", "jax", "torch")


def test_ema_momentum_saves_the_moving_average_of_the_weights_not_the_last_step():
    from shared.training import fit

    base = build_policy_network("minimal", depth=2, filters=4)
    rng = np.random.default_rng(0)
    x = rng.integers(0, 2, (64, 9, 9, 4)).astype("float32")
    y = rng.integers(0, 81, 64)
    last = with_dtype_policy(base, "float32", learning_rate=1e-2)
    averaged = with_dtype_policy(base, "float32", learning_rate=1e-2, ema_momentum=0.5)
    assert averaged.optimizer.use_ema and averaged.optimizer.ema_momentum == 0.5 and not last.optimizer.use_ema
    for model in (last, averaged):
        fit(model, (x, y), epochs=1, batch_size=16, shuffle=False, verbose=0)
    moving_average = [keras.ops.convert_to_numpy(v) for v in averaged.optimizer._model_variables_moving_average]
    for kept, average in zip(averaged.get_weights(), moving_average):
        np.testing.assert_allclose(kept, average)
    # the same four steps from the same start, but the average lags the last step
    assert max(np.abs(a - b).max() for a, b in zip(last.get_weights(), averaged.get_weights())) > 1e-4


@pytest.mark.parametrize("momentum", [0.0, 1.0, 1.5, -0.1])
def test_ema_momentum_outside_zero_one_is_refused(momentum):
    with pytest.raises(ValueError, match="ema_momentum must be between 0 and 1"):
        with_dtype_policy(build_policy_network("minimal", depth=1, filters=2), "float32",
                          learning_rate=1e-3, ema_momentum=momentum)


def test_engine_passes_after_an_opponent_pass_when_ahead(tiny_model):
    engine = PolicyEngine(tiny_model)
    board = Board(9)
    board.play(40)  # black
    board.play(None)  # white passes; black owns the whole board by area
    assert engine.select_move(board) is None
    board = Board(9)
    board.play(None)  # black passes on the empty board; white is ahead by komi
    assert engine.select_move(board) is None
    board = Board(9, komi=-1)
    board.play(None)
    assert engine.select_move(board) is not None  # white is behind: it keeps playing


class LeftFirstPolicy:
    """A stand-in network that prefers the left of the board: column A most, J least."""

    features = "small"
    input_shape = (None, 9, 9, 22)

    def predict_on_batch(self, x):
        weights = np.tile(9.0 - np.arange(9), 9)
        return np.tile(weights / weights.sum(), (len(x), 1))


def test_behind_after_a_pass_the_engine_plays_on_only_at_unsettled_points():
    engine = PolicyEngine(LeftFirstPolicy())
    # White walls off columns A-C with column D, Black column J with column H; E-G are open.
    board = Board(9, komi=-25.0)  # White is behind by the count
    for row in range(9):
        board.play(row * 9 + 7, BLACK)
        board.play(row * 9 + 3, WHITE)
    board.play(None, BLACK)
    assert engine.select_move(board) % 9 == 4  # the open column E, not White's own A-C
    # kgs-genmove_cleanup keeps every sensible move: the network's favourite, column A
    assert engine.select_move(board, pass_when_ahead=False) % 9 == 0
    # Black's wall right against White's: every point is settled, White is behind by 1.5 with
    # komi 7.5, and nothing but its own area or Black's is left to play: it passes
    board = Board(9)
    for row in range(9):
        for column in (4, 5, 6, 7):
            board.play(row * 9 + column, BLACK)
        board.play(row * 9 + 3, WHITE)
    board.play(None, BLACK)
    assert engine.select_move(board) is None
    assert engine.select_move(board, pass_when_ahead=False) % 9 == 0


def test_playing_on_behind_keeps_to_unsettled_points_and_out_of_self_atari():
    board = Board(5)
    board.play(gtp_to_point("B1", 5), BLACK)
    board.play(gtp_to_point("D4", 5), WHITE)
    board.play(None, BLACK)
    owner = np.zeros(25)
    owner[gtp_to_point("E5", 5)] = -0.5  # White's in 3 play-outs of 4: settled
    owner[gtp_to_point("E4", 5)] = 0.49
    points = play_on_points(board, owner)
    assert points[gtp_to_point("A1", 5)] == 0  # self-atari: A2 would be its one liberty
    assert points[gtp_to_point("E5", 5)] == 0  # settled
    assert points[gtp_to_point("B1", 5)] == points[gtp_to_point("D4", 5)] == 0  # taken
    assert points[gtp_to_point("C1", 5)] == points[gtp_to_point("E4", 5)] == 1  # C2 and D1; joins D4
    assert points.sum() == 25 - 4


def test_engine_counts_dead_stones_before_passing_on_a_real_game(tiny_model):
    """Game 22 of the 8-symmetry match vs GNU Go: GNU Go (Black) passed at move 237 and the
    engine (White) passed after it, ahead by Tromp-Taylor (W+20.5) but behind once GNU Go
    took its 15 dead strings off (B+5.5, and the game was lost). Counting with play-outs,
    the engine knows it is behind and plays on where anything is still unsettled."""
    from pathlib import Path

    from apps.go_policy.rules.records import parse_game

    path = Path(__file__).resolve().parents[2] / "benchmarks/results/go_match_games_8_symmetries/game_022.sgf"
    record = parse_game(path.read_bytes(), path.name, min_moves=0)
    board = record.board(len(record.moves) - 1)
    assert board.to_move == WHITE and board.history[-1] == (BLACK, None)
    assert PolicyEngine(tiny_model, playouts=0).select_move(board) is None
    assert PolicyEngine._ahead(board, counted_ownership(board, 0))  # Tromp-Taylor: W+20.5
    assert not PolicyEngine._ahead(board, counted_ownership(board, 64))  # dead stones off: B+5.5
    assert PolicyEngine(tiny_model).select_move(board, pass_when_ahead=False) is not None
    with pytest.raises(ValueError, match="playouts must be 0"):
        PolicyEngine(tiny_model, playouts=-5)


def test_time_budget_anneals_the_learning_rate_by_cosine():
    from apps.go_policy.model.train import TimeBudget

    budget = TimeBudget(minutes=10, anneal=True, final_fraction=0.01)
    budget.initial_learning_rate = 1e-3
    assert budget.learning_rate_at(0) == pytest.approx(1e-3)
    assert budget.learning_rate_at(300) == pytest.approx(1e-3 * (0.01 + 0.99 * 0.5))
    assert budget.learning_rate_at(600) == pytest.approx(1e-5)
    assert budget.learning_rate_at(9999) == pytest.approx(1e-5)  # held at the floor after the budget
    with pytest.raises(ValueError, match="--max-minutes"):
        TimeBudget(minutes=None, anneal=True)


def test_time_budget_lowers_the_rate_during_fit():
    from apps.go_policy.model.train import TimeBudget

    model = build_policy_network("minimal", depth=1, filters=4, learning_rate=1e-2)
    x = np.zeros((64, 9, 9, 4), "float32")
    y = np.zeros(64, "int64")
    budget = TimeBudget(minutes=1e-9, anneal=True)  # the budget is spent at once: the rate drops to its floor
    model.fit(x, y, batch_size=8, epochs=1, verbose=0, callbacks=[budget])
    assert budget.stopped
    assert float(keras.ops.convert_to_numpy(model.optimizer.learning_rate)) == pytest.approx(1e-4)


def _lopsided_predict(batch):
    """A deliberately asymmetric 'network': stone plane times a fixed per-point weight, normalised."""
    weights = np.random.default_rng(0).random(batch.shape[1] * batch.shape[2]) + 0.1
    scores = (batch[..., 0].reshape(len(batch), -1) + 0.5) * weights
    return scores / scores.sum(axis=1, keepdims=True)


def test_symmetry_averaging_makes_the_prediction_invariant():
    from apps.go_policy.model.data import dihedral, label_maps, predict_with_symmetries

    x = (np.random.default_rng(1).random((3, 9, 9, 2)) > 0.7).astype("float32")
    maps = label_maps(9)
    np.testing.assert_allclose(predict_with_symmetries(_lopsided_predict, x, 1), _lopsided_predict(x))
    averaged = predict_with_symmetries(_lopsided_predict, x, 8, chunk=2)  # chunks: 2 + 1 positions
    np.testing.assert_allclose(averaged.sum(axis=1), 1.0, rtol=1e-6)
    for transform in range(1, 8):
        turned = np.ascontiguousarray(dihedral(x, transform))
        # the plain prediction of a turned board is not the turned prediction ...
        assert not np.allclose(_lopsided_predict(turned)[:, maps[transform]], _lopsided_predict(x))
        # ... but the 8-symmetry average is
        np.testing.assert_allclose(predict_with_symmetries(_lopsided_predict, turned, 8)[:, maps[transform]],
                                   averaged, rtol=1e-5)
    with pytest.raises(ValueError, match="between 1"):
        predict_with_symmetries(_lopsided_predict, x, 9)


def test_engine_with_eight_symmetries_plays_a_sensible_move(tiny_model):
    board = Board(9)
    engine = PolicyEngine(tiny_model, symmetries=8)
    probabilities = engine.move_probabilities(board)
    assert probabilities.shape == (81,) and probabilities.sum() == pytest.approx(1.0)
    assert sensible_mask(board)[engine.select_move(board)]
    with pytest.raises(ValueError, match="between 1 and 8"):
        PolicyEngine(tiny_model, symmetries=0)


def test_with_dtype_policy_copies_the_weights_and_restores_the_global_policy(tiny_model):
    from apps.go_policy.model.network import with_dtype_policy

    x = np.random.default_rng(2).integers(0, 2, (4, 19, 19, 22)).astype("float32")
    mixed = with_dtype_policy(tiny_model, "mixed_bfloat16", learning_rate=1e-3)
    assert keras.config.dtype_policy().name == "float32"
    assert {layer.dtype_policy.name for layer in mixed.backbone.layers} == {"mixed_bfloat16"}
    assert mixed.layers[-1].dtype_policy.name == "float32" and mixed.compiled  # softmax stays float32
    np.testing.assert_allclose(mixed.predict(x, verbose=0), tiny_model.predict(x, verbose=0), atol=2e-2)
    back = with_dtype_policy(mixed, "float32")
    assert {layer.dtype_policy.name for layer in back.backbone.layers} == {"float32"}
    assert not back.optimizer.use_ema  # compiled with Task's defaults, not the mixed copy's optimizer
    np.testing.assert_array_equal(back.predict(x, verbose=0), tiny_model.predict(x, verbose=0))


def test_engine_probabilities_equal_the_network_on_every_board_size(tiny_model):
    # the engine calls the compiled predict function (traced per board size), not the model
    # eagerly: the answers must be the network's own, on each size in turn and back again
    for size in (9, 19, 9):
        board = Board(size)
        board.play(board.size * 2 + 2)
        engine = PolicyEngine(tiny_model)
        x = engine.encoder.encode(board)[None].astype("float32")
        expected = np.asarray(tiny_model(x, training=False))[0]
        np.testing.assert_allclose(engine.probabilities(board), expected, rtol=1e-5, atol=1e-7)


def test_extending_the_input_planes_keeps_the_predictions_until_fine_tuning(tiny_model, tmp_path):
    from apps.go_policy.model.network import extend_input_planes

    extended = extend_input_planes(tiny_model, "full")
    assert extended.features == FeatureEncoder("full").groups and extended.num_planes == 47
    assert extended.count_params() == tiny_model.count_params() + 25 * (47 - 22) * 4  # 5x5 kernel, 4 filters
    board = Board(19)
    for point in (60, 61, 80, 62, 300):
        board.play(point)
    small = FeatureEncoder("small").encode(board)[None].astype("float32")
    full = FeatureEncoder("full").encode(board)[None].astype("float32")
    np.testing.assert_allclose(extended.predict_on_batch(full), tiny_model.predict_on_batch(small), rtol=1e-6)
    # the new planes start at zero weight; the old ones keep theirs, wherever they now sit
    kernel, old_kernel = extended.get_weights()[0], tiny_model.get_weights()[0]
    new_names, old_names = FeatureEncoder("full").plane_names, FeatureEncoder("small").plane_names
    for index, name in enumerate(new_names):
        expected = old_kernel[:, :, old_names.index(name)] if name in old_names else 0.0
        np.testing.assert_array_equal(kernel[:, :, index], expected)
    extended.save(tmp_path / "full.keras")
    assert load_policy(tmp_path / "full.keras").features == extended.features


def test_extending_to_a_set_without_the_models_planes_is_refused(tiny_model):
    from apps.go_policy.model.network import extend_input_planes

    with pytest.raises(ValueError, match=r"lacks the plane groups \['turns_since', 'liberties'"):
        extend_input_planes(tiny_model, "minimal")


def test_game_bootstrap_interval_resamples_games_not_positions():
    from apps.go_policy.model.train import game_bootstrap_interval

    # ten games of 100 moves: five predicted perfectly, five not at all
    correct = np.repeat([1, 0] * 5, 100)
    games = np.repeat(np.arange(10), 100)
    low, high = game_bootstrap_interval(correct, games)
    assert low < 0.25 and high > 0.75  # five of ten games is little evidence
    position_low, position_high = game_bootstrap_interval(correct, np.arange(1000))
    assert 0.45 < position_low < 0.5 < position_high < 0.55  # a thousand independent moves is more
    assert game_bootstrap_interval(np.ones(50), np.repeat(np.arange(5), 10)) == (1.0, 1.0)
    with pytest.raises(ValueError, match="one length"):
        game_bootstrap_interval(np.ones(3), np.arange(4))


def test_paired_top1_difference_counts_disagreements_and_is_narrower_than_separate_intervals():
    from apps.go_policy.model.train import game_bootstrap_interval, paired_top1_difference

    rng = np.random.default_rng(0)
    games = np.repeat(np.arange(40), 50)
    difficulty = np.repeat(rng.uniform(0.2, 0.7, 40), 50)  # some games are hard for every network
    base = rng.uniform(size=2000) < difficulty
    other = base.copy()
    changed = rng.choice(2000, 50, replace=False)  # the candidate disagrees on 50 positions of many games
    other[changed[:40]] = True
    other[changed[40:]] = False
    result = paired_top1_difference(base, other, games)
    gained, lost = int((other & ~base).sum()), int((base & ~other).sum())
    assert (result["only_other_right"], result["only_base_right"]) == (gained, lost)
    assert result["difference"] == pytest.approx((gained - lost) / 2000)
    low, high = result["difference_ci95"]
    assert low <= result["difference"] <= high
    separate_low, separate_high = game_bootstrap_interval(base, games)
    assert high - low < (separate_high - separate_low) / 2
    with pytest.raises(ValueError, match="same positions"):
        paired_top1_difference(base, other[:10], games)
