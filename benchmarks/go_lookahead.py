"""How the one-move lookahead with the value head (play.lookahead) changes the engine's moves on
held-out professional games, before any match is played.

    CNNKIT_DATA=../shared/data python -m benchmarks.go_lookahead --games 200 --every 10

Every ``--every``-th non-pass move of the first ``--games`` games of shard 12 (held out from both
networks): the engine's favourite (the preset over 8 symmetries, masked to sensible moves) and the
lookahead's choice at each margin of ``--margins``. Reported per margin: the share of positions where
the lookahead plays another move, and how often each choice is the professional's move, overall
and on the changed positions, with the time of the value call. Agreement with professionals is not
strength, but a lookahead that often leaves the professional's move for another says the value
head is judging moves it cannot tell apart; the matches against GNU Go (``go_match --value``) say
whether it wins more. The result is ``go_lookahead``.
"""

from __future__ import annotations

import time

import numpy as np

from benchmarks.go_common import HELD_OUT_SHARD, VALUE_HEAD, argument_parser, limit_tensorflow_threads, load_preset


def build_parser():
    parser = argument_parser(__doc__, __file__)
    parser.add_argument("--games", type=int, default=200)
    parser.add_argument("--every", type=int, default=10, help="score every N-th move of each game")
    parser.add_argument("--margins", default="0.05,0.1,0.2", help="value margins to compare (comma-separated)")
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    limit_tensorflow_threads()
    from apps.go_policy.model.value import mover_value
    from apps.go_policy.play.engine import PolicyEngine, load_value
    from apps.go_policy.play.lookahead import MIN_SHARE, WIDTH, lookahead_candidates
    from apps.go_policy.rules.records import SkipReport, read_games
    from shared.benchmarking import write_result
    from shared.data import path

    margins = [float(m) for m in args.margins.split(",")]
    start = time.perf_counter()
    policy = load_preset()
    engine = PolicyEngine(policy, symmetries=8)
    value = load_value(VALUE_HEAD, policy)
    rows, value_seconds = [], []
    report = SkipReport()
    for record in read_games(path("go_pro", HELD_OUT_SHARD), args.games, report, sizes=(19,)):
        for number, color, point, board in record.positions():
            if number % args.every:
                continue
            probabilities = engine.move_probabilities(board)
            candidates = lookahead_candidates(probabilities, WIDTH, MIN_SHARE)
            if not candidates:
                continue
            values = [0.0]
            if len(candidates) > 1:
                after = []
                for candidate in candidates:
                    position = board.snapshot()
                    position.play(candidate, color)
                    after.append(position)
                begin = time.perf_counter()
                values = (-mover_value(value, after, engine.encoder)).tolist()
                value_seconds.append(time.perf_counter() - begin)
            rows.append((point, candidates, values))
    metrics = {"positions": len(rows), "games": report.used, "read_ahead_positions": len(value_seconds),
               "value_call_ms_median": 1000 * float(np.median(value_seconds)) if value_seconds else None,
               "favourite_top1": float(np.mean([candidates[0] == point for point, candidates, _ in rows]))}
    for margin in margins:
        chosen = []
        for point, candidates, values in rows:
            best = int(np.argmax(values))
            chosen.append(candidates[best] if values[best] > values[0] + margin else candidates[0])
        changed = [c != candidates[0] for c, (_, candidates, _) in zip(chosen, rows)]
        key = f"margin_{margin:g}"
        metrics[f"{key}.changed_share"] = float(np.mean(changed))
        metrics[f"{key}.top1"] = float(np.mean([c == point for c, (point, _, _) in zip(chosen, rows)]))
        on_changed = [(c == point, candidates[0] == point) for c, changed_here, (point, candidates, _) in
                      zip(chosen, changed, rows) if changed_here]
        metrics[f"{key}.changed_top1_lookahead"] = float(np.mean([a for a, _ in on_changed])) if on_changed else None
        metrics[f"{key}.changed_top1_favourite"] = float(np.mean([b for _, b in on_changed])) if on_changed else None
    notes = (f"Every {args.every}th non-pass move of the first {args.games} games of {HELD_OUT_SHARD} (held out). "
             f"Favourite: the shipped preset over 8 symmetries, masked to sensible moves. Lookahead: of its up to "
             f"{WIDTH} likeliest moves with at least {MIN_SHARE:g} of the favourite's probability, the one whose value "
             "for the mover (the head of benchmarks/results/go_value, one symmetry) is highest, where it beats the "
             "favourite's by more than the margin. top1: the share of positions where the choice is the "
             "professional's move; changed_*: on the positions where the lookahead changed the move.")
    write_result("go_lookahead", metrics, wall_time_s=time.perf_counter() - start, notes=notes)
    print(metrics)


if __name__ == "__main__":
    main()
