"""`cnnkit go review`: the network's view of every move of a game, as numbers and as an annotated SGF."""

import json

import numpy as np
import pytest
from sgfmill import sgf

from apps.go_policy.play.engine import PolicyEngine
from apps.go_policy.play.review import annotate_sgf, read_game, review_game, review_summary
from apps.go_policy.rules.board import BLACK, WHITE, gtp_to_point
from apps.go_policy.rules.records import GameRecord, parse_game


class IndexPolicy:
    """A stand-in network whose probability of point p is proportional to p + 1 (known answers)."""

    features = "small"
    input_shape = (None, 19, 19, 22)

    def predict_on_batch(self, x):
        weights = np.arange(1, 362, dtype="float64")
        return np.tile(weights / weights.sum(), (len(x), 1))


@pytest.fixture
def index_engine():
    return PolicyEngine(IndexPolicy(), symmetries=1)


def test_probability_and_rank_of_each_move_on_known_outputs(index_engine):
    d4, q16, c3 = (gtp_to_point(v, 19) for v in ("D4", "Q16", "C3"))
    record = GameRecord("known", 19, 6.5, moves=[(BLACK, d4), (WHITE, q16), (BLACK, None), (WHITE, c3)])
    reviews = review_game(index_engine, record, top=2)

    assert [(r.number, r.color, r.played) for r in reviews] == [(1, "B", "D4"), (2, "W", "Q16"), (4, "W", "C3")]
    total = 361 * 362 / 2
    assert reviews[0].probability == pytest.approx((d4 + 1) / total)
    assert reviews[0].rank == 361 - d4  # every point above D4 is more probable
    assert reviews[0].suggestions == [("T19", pytest.approx(361 / total)), ("S19", pytest.approx(360 / total))]
    # D4 is taken: it leaves the distribution, which is renormalised over the sensible moves
    assert reviews[1].probability == pytest.approx((q16 + 1) / (total - d4 - 1))
    assert reviews[1].rank == 361 - q16
    # after a pass, White plays again: D4 and Q16 are taken, both above C3
    assert reviews[2].rank == 361 - c3 - 2

    summary = review_summary(record, reviews, surprises=2)
    assert summary["passes"] == 1 and summary["moves"] == 4
    assert summary["agreement"]["white"]["moves"] == 2 and summary["agreement"]["black"]["moves"] == 1
    assert summary["agreement"]["both"]["top1"] == 0.0
    assert summary["agreement"]["both"]["top5"] == 0.0
    assert [s["played"] for s in summary["surprises"]] == ["C3", "D4"]  # least probable first
    assert summary["surprises"][0]["network_choice"] == "T19"


def test_the_network_first_choice_has_rank_one(index_engine):
    t19, s19 = gtp_to_point("T19", 19), gtp_to_point("S19", 19)
    record = GameRecord("greedy", 19, 6.5, moves=[(BLACK, t19), (WHITE, s19)])
    reviews = review_game(index_engine, record)
    assert [r.rank for r in reviews] == [1, 1]
    assert review_summary(record, reviews)["agreement"]["both"]["top1"] == 1.0
    with pytest.raises(ValueError, match="top must be at least 1"):
        review_game(index_engine, record, top=0)


def test_annotated_sgf_keeps_the_game_and_adds_comments_and_triangles(index_engine, sample_folder):
    source = sorted(sample_folder.glob("*.sgf"))[0]
    game = sgf.Sgf_game.from_bytes(source.read_bytes())
    game.get_main_sequence()[1].set("C", "the player's own comment")
    data = game.serialise()
    record = parse_game(data, name=source.name)
    reviews = review_game(index_engine, record, top=3)

    annotated = annotate_sgf(data, reviews, symmetries=1)
    assert parse_game(annotated).moves == record.moves
    out = sgf.Sgf_game.from_bytes(annotated)
    assert out.get_root().get("PB") == game.get_root().get("PB")
    nodes = [node for node in out.get_main_sequence()[1:] if node.get_move()[0] is not None]
    assert len(nodes) == len(record.moves)
    first = nodes[0].get("C")
    assert first.startswith("the player's own comment\n\n")
    by_number = {review.number: review for review in reviews}
    for number, node in enumerate(nodes, start=1):
        review = by_number[number]
        assert f"{review.color} {review.played} " in node.get("C")
        if review.rank != 1:
            choice = divmod(gtp_to_point(review.suggestions[0][0], 19), 19)
            assert choice in node.get("TR")
        else:
            assert not node.has_property("TR")


def test_bad_input_names_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.sgf not found"):
        read_game(tmp_path / "missing.sgf")
    text = tmp_path / "game.txt"
    text.write_text("(;SZ[19];B[pd])")
    with pytest.raises(ValueError, match="game.txt is not an .sgf file"):
        read_game(text)
    illegal = tmp_path / "illegal.sgf"
    illegal.write_text("(;GM[1]FF[4]SZ[19]KM[6.5];B[pd];W[pd];B[dd])")
    with pytest.raises(ValueError, match="cannot review .*illegal.sgf: illegal move: move 2"):
        read_game(illegal)


def test_review_command_with_the_shipped_preset(sample_folder, tmp_path, capsys):
    from apps.go_policy.cli import main

    source = sorted(sample_folder.glob("*.sgf"))[1]
    out = tmp_path / "reviewed.sgf"
    assert main(["review", "--sgf", str(source), "--symmetries", "1", "--out", str(out), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    record = parse_game(source.read_bytes())
    reviews = summary["move_reviews"]
    assert len(reviews) == sum(point is not None for _, point in record.moves)
    both = summary["agreement"]["both"]
    assert both["top1"] == pytest.approx(np.mean([r["rank"] == 1 for r in reviews]))
    assert 0.25 < both["top1"] <= both["top5"] < 1.0  # the preset matches about 42% of professional moves
    assert all(r["suggestions"][0][1] >= r["probability"] for r in reviews)
    assert parse_game(out.read_bytes()).moves == record.moves

    assert main(["review", "--sgf", str(tmp_path / "none.sgf")]) != 0
    assert "none.sgf not found" in capsys.readouterr().err
