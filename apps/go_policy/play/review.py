"""Review a recorded game with the policy network: how often each player made its choice, and where not.

Why: GNU Go's ``--replay`` and the review modes of Sabaki, Lizzie and KaTrain go through a
finished game and show, at every move, what the engine would have played. A policy network
without search cannot say how much a move loses, but it can say how likely it found the
played move, its rank among the moves, and its own top choices: enough to see where a game
left the usual professional patterns (the "surprises") and how closely each player followed
them. The probabilities are those ``genmove`` uses: masked to sensible moves (legal and not
filling the mover's own true eye) and averaged over the engine's board symmetries, so rank 1
means "the move ``cnnkit go gtp`` would have played here".
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from sgfmill import sgf

from apps.go_policy.model.features import masked_probabilities, sensible_mask
from apps.go_policy.rules.board import BLACK, gtp_to_point, point_to_gtp
from apps.go_policy.rules.records import GameRecord, SkippedGame, parse_game


@dataclass
class MoveReview:
    """The network's view of one played move (``number`` counts every move, passes included)."""

    number: int
    color: str  # "B" or "W"
    played: str  # GTP vertex, e.g. "Q16"
    probability: float  # of the played move; 0 when it is not a sensible move
    rank: int | None  # 1: the network's first choice; None when the move is not sensible
    suggestions: list = field(default_factory=list)  # the network's top moves as (vertex, probability)


def read_game(path) -> tuple[GameRecord, bytes]:
    """The replay-checked record and the raw bytes of one ``.sgf`` file (clear errors otherwise)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"SGF file {path} not found: pass --sgf GAME.sgf (one game record)")
    if path.suffix.lower() != ".sgf":
        raise ValueError(f"{path} is not an .sgf file: `cnnkit go review` reviews one game record")
    data = path.read_bytes()
    try:
        return parse_game(data, name=path.name), data
    except SkippedGame as error:
        raise ValueError(f"cannot review {path}: {error}") from None


def review_game(engine, record: GameRecord, top: int = 3) -> list[MoveReview]:
    """A ``MoveReview`` for every non-pass move of ``record``, with the engine's ``top`` choices.

    All positions go through the network together (one call per 2,048 positions).
    """
    if top < 1:
        raise ValueError(f"top must be at least 1, got {top}")
    planes, masks, moves = [], [], []
    for number, color, point, board in record.positions():
        planes.append(engine.encoder.encode(board))
        masks.append(sensible_mask(board))
        moves.append((number, color, point))
    if not moves:
        return []
    raw = engine.planes_probabilities(np.stack(planes))
    reviews = []
    for (number, color, point), probabilities, mask in zip(moves, raw, masks):
        probabilities = masked_probabilities(probabilities, mask)
        order = np.argsort(-probabilities, kind="stable")[:top]
        played = float(probabilities[point])
        reviews.append(MoveReview(
            number=number, color="B" if color == BLACK else "W", played=point_to_gtp(point, record.size),
            probability=played, rank=int((probabilities > played).sum()) + 1 if mask[point] else None,
            suggestions=[(point_to_gtp(int(p), record.size), float(probabilities[p])) for p in order],
        ))
    return reviews


def _agreement(reviews) -> dict:
    ranks = [review.rank for review in reviews]
    count = len(reviews)
    return {
        "moves": count,
        "top1": sum(rank == 1 for rank in ranks) / count if count else None,
        "top5": sum(rank is not None and rank <= 5 for rank in ranks) / count if count else None,
        "mean_probability": float(np.mean([review.probability for review in reviews])) if count else None,
    }


def review_summary(record: GameRecord, reviews, surprises: int = 5) -> dict:
    """Agreement with the network by color and the ``surprises`` least expected moves."""
    least_expected = sorted(reviews, key=lambda review: (review.probability, review.number))[:surprises]
    return {
        "game": record.name, "size": record.size, "komi": record.komi, "black": record.black,
        "white": record.white, "result": record.result, "moves": len(record.moves),
        "passes": sum(point is None for _, point in record.moves),
        "agreement": {
            "black": _agreement([r for r in reviews if r.color == "B"]),
            "white": _agreement([r for r in reviews if r.color == "W"]),
            "both": _agreement(reviews),
        },
        "surprises": [
            {"number": r.number, "color": r.color, "played": r.played, "probability": r.probability,
             "rank": r.rank, "network_choice": r.suggestions[0][0],
             "colour": r.color}  # the key's earlier spelling, kept for one release
            for r in least_expected
        ],
    }


def move_comment(review: MoveReview, symmetries: int) -> str:
    """The SGF comment for one reviewed move."""
    symmetry_words = f"{symmetries} symmetr{'y' if symmetries == 1 else 'ies'}"
    header = f"cnnkit-go policy ({symmetry_words}): {review.color} {review.played}"
    choices = ", ".join(f"{vertex} {probability:.1%}" for vertex, probability in review.suggestions)
    if review.rank is None:
        return (f"{header} is not a sensible move for it (it only plays legal moves that fill no own eye); "
                f"its choices: {choices}")
    if review.rank == 1:
        return f"{header} is its first choice ({review.probability:.1%}); its choices: {choices}"
    return f"{header} is its choice {review.rank} ({review.probability:.1%}); it prefers: {choices}"


def annotate_sgf(data: bytes, reviews, symmetries: int) -> bytes:
    """The game's SGF with a comment on every reviewed move and a triangle (TR) on the network's
    first choice where the player chose otherwise; every original property is kept."""
    game = sgf.Sgf_game.from_bytes(data)
    size = game.get_size()
    by_number = {review.number: review for review in reviews}
    number, annotated = 0, set()
    for node in game.get_main_sequence()[1:]:
        color, _ = node.get_move()
        if color is None:
            continue
        number += 1
        review = by_number.get(number)
        if review is None:
            continue
        annotated.add(number)
        comment = move_comment(review, symmetries)
        if node.has_property("C"):
            comment = f"{node.get('C')}\n\n{comment}"
        node.set("C", comment)
        if review.rank != 1:
            choice = divmod(gtp_to_point(review.suggestions[0][0], size), size)
            node.set("TR", set(node.get("TR")) | {choice} if node.has_property("TR") else {choice})
    if set(by_number) - annotated:
        raise ValueError(f"the SGF has {number} moves but the review covers move {max(by_number)}: "
                         "annotate the SGF the review was made from")
    return game.serialise()


def review_file(engine, path, out=None, top: int = 3, surprises: int = 5) -> dict:
    """Review one ``.sgf`` file; write the annotated SGF to ``out`` if given. Returns the summary
    (with every move's review under ``move_reviews``)."""
    record, data = read_game(path)
    start = time.perf_counter()
    reviews = review_game(engine, record, top=top)
    summary = review_summary(record, reviews, surprises=surprises)
    summary["symmetries"] = engine.symmetries
    summary["seconds"] = round(time.perf_counter() - start, 2)
    if out is not None:
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(annotate_sgf(data, reviews, engine.symmetries))
        summary["annotated_sgf"] = str(out)
    summary["move_reviews"] = [asdict(review) for review in reviews]
    return summary
