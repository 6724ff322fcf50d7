"""Feature planes: counts per set, values on known positions, symmetries."""

import numpy as np
import pytest

from apps.go_policy.model.data import augment_batch, dihedral, label_maps
from apps.go_policy.model.features import FeatureEncoder
from apps.go_policy.rules.board import BLACK, WHITE, Board, gtp_to_point


def plane(encoder, x, name):
    return x[..., encoder.plane_names.index(name)]


def test_plane_counts():
    assert FeatureEncoder("small").num_planes == 22
    assert FeatureEncoder("full").num_planes == 47
    assert FeatureEncoder("minimal").num_planes == 4
    assert FeatureEncoder(["stone_color", "liberties"]).num_planes == 11
    with pytest.raises(ValueError, match="ladder"):
        FeatureEncoder("stone_color,ladder")


def test_full_planes_on_a_known_position():
    board = Board(9)
    for color, vertex in [(BLACK, "B1"), (WHITE, "A1"), (BLACK, "E5"), (WHITE, "E6"), (BLACK, "D6")]:
        board.play(gtp_to_point(vertex, 9), color)
    board.to_move = BLACK
    encoder = FeatureEncoder("full")
    x = encoder.encode(board)
    assert x.shape == (9, 9, 47) and x.dtype == np.uint8

    def cell(vertex):
        p = gtp_to_point(vertex, 9)
        return divmod(p, 9)

    # stone color is relative to the player to move (black)
    assert plane(encoder, x, "stone_color_1")[cell("E5")] == 1
    assert plane(encoder, x, "stone_color_2")[cell("A1")] == 1
    assert plane(encoder, x, "stone_color_3")[cell("C3")] == 1
    # white A1 has one liberty (A2); white E6 has 2 liberties (E7, F6)
    assert plane(encoder, x, "liberties_1")[cell("A1")] == 1
    assert plane(encoder, x, "liberties_2")[cell("E6")] == 1
    # black playing A2 captures 1 stone; playing E7 leaves ... and F6 does not capture
    assert plane(encoder, x, "capture_size_2")[cell("A2")] == 1
    assert plane(encoder, x, "capture_size_1")[cell("F6")] == 1
    # turns since: D6 was the last move (1 turn ago), B1 the first (5 turns ago)
    assert plane(encoder, x, "turns_since_1")[cell("D6")] == 1
    assert plane(encoder, x, "turns_since_5")[cell("B1")] == 1
    # an empty point next to nothing: 4 liberties after playing, sensible, not self-atari
    assert plane(encoder, x, "liberties_after_4")[cell("G3")] == 1
    assert plane(encoder, x, "sensibleness")[cell("G3")] == 1
    assert plane(encoder, x, "player_color").all()
    assert x[..., encoder.plane_names.index("ones")].all()
    assert not x[..., encoder.plane_names.index("zeros")].any()


def test_self_atari_plane():
    board = Board(9)
    for color, vertex in [(WHITE, "A2"), (WHITE, "B1"), (WHITE, "C2")]:
        board.play(gtp_to_point(vertex, 9), color)
    board.to_move = BLACK
    encoder = FeatureEncoder(["self_atari_size", "liberties_after"])
    x = encoder.encode(board)
    b2 = divmod(gtp_to_point("B2", 9), 9)
    assert plane(encoder, x, "self_atari_size_1")[b2] == 1  # B2 has only B3 left
    a1 = divmod(gtp_to_point("A1", 9), 9)
    assert x[a1].sum() == 0  # A1 is suicide for black: illegal, no plane set


def test_dihedral_labels_follow_the_board():
    rng = np.random.default_rng(0)
    size = 5
    y = rng.integers(0, size * size, 40)
    x = np.zeros((40, size, size, 1), np.uint8)
    x[np.arange(40), y // size, y % size, 0] = 1
    out_x, out_y = augment_batch(x, y, rng)
    assert (out_x.reshape(40, -1).argmax(axis=1) == out_y).all()
    maps = label_maps(size)
    assert len({tuple(m) for m in maps}) == 8  # eight distinct symmetries
    assert (dihedral(x, 0) == x).all()
