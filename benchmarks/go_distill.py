"""Self-distil the shipped Go preset: it learns its own 8-symmetry average on fresh games.

    CNNKIT_DATA=../shared/data python -m benchmarks.go_distill \
        --sgf ../shared/data/go/cwi_pro/cwi_pro_19x19_part12.tar.gz --skip-games 400 \
        --teacher-positions 190000 --student-minutes 60 --out runs/policy_large_distilled
    python -m benchmarks.go_preset --run runs/policy_large_distilled --name policy_large \
        --trained-on "..." --machine "..." --driver "python -m benchmarks.go_distill"

Two stages, both resumable: (1) the teacher (default: the shipped preset) averaged over the
board symmetries labels positions of the training split of ``--sgf`` (games after the
first ``--skip-games`` of each source), written as chunks under ``OUT/teacher``; (2) the
student (default: the teacher itself) trains on ``--alpha`` of the teacher's distribution
plus the rest on the professional move, each position under a random symmetry, with a cosine
learning rate over ``--student-minutes`` and an average of its weights (EMA). ``OUT/policy.keras``
and ``OUT/summary.json`` have the layout of a ``cnnkit go train`` run, so ``go_preset``
packages the student. Held-out accuracy is measured apart (``cnnkit go evaluate``).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from benchmarks.go_common import argument_parser
from shared.benchmarking import repo_relative, script_command


def build_parser():
    parser = argument_parser(__doc__, __file__)
    parser.add_argument("--sgf", nargs="+", required=True, help="SGF archives or folders to label")
    parser.add_argument("--skip-games", type=int, default=400,
                        help="pass over the first games of each source (keep them for evaluation)")
    parser.add_argument("--out", required=True)
    parser.add_argument("--teacher", default=None, help="teacher .keras (default: the shipped preset)")
    parser.add_argument("--student", default=None, help="student to start from (default: the teacher)")
    parser.add_argument("--teacher-symmetries", type=int, default=8)
    parser.add_argument("--teacher-positions", type=int, default=190000)
    parser.add_argument("--student-minutes", type=float, default=60.0)
    parser.add_argument("--alpha", type=float, default=0.5, help="the teacher's share of the target")
    parser.add_argument("--learning-rate", type=float, default=2e-4)
    parser.add_argument("--ema-momentum", type=float, default=0.998)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)

    import keras

    from apps.go_policy.model.data import encode_dataset, shard_paths
    from apps.go_policy.model.distillation import DistillationBatches, label_with_teacher, load_teacher_labels
    from apps.go_policy.model.network import check_ema_momentum, with_dtype_policy
    from apps.go_policy.model.train import Throughput
    from apps.go_policy.play.engine import load_policy
    from apps.go_policy.presets import DEFAULT_PRESET
    from shared.callbacks import TimeBudget
    from shared.training import fit, mixed_precision_policy

    check_ema_momentum(args.ema_momentum)
    budget = TimeBudget(args.student_minutes, anneal=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    teacher_path = Path(args.teacher) if args.teacher else DEFAULT_PRESET
    teacher = load_policy(teacher_path)
    dtype_policy = mixed_precision_policy()
    manifest = encode_dataset(args.sgf, features=teacher.features, workers=args.workers,
                              skip_games=args.skip_games, progress=False)
    paths = shard_paths(manifest, "train")
    if not paths:
        raise SystemExit(f"no training positions were encoded from {args.sgf}: {manifest['report']}")

    fast_teacher = with_dtype_policy(teacher, dtype_policy)
    labelling = label_with_teacher(lambda batch: fast_teacher.predict(batch, batch_size=512, verbose=0), paths,
                                   out / "teacher", args.teacher_positions, symmetries=args.teacher_symmetries,
                                   seed=args.seed, log=lambda line: print(line, flush=True))
    packed_x, labels, teacher_probabilities, planes = load_teacher_labels(out / "teacher")
    teacher_top1 = float((teacher_probabilities.argmax(axis=1) == labels).mean())
    print(f"{len(labels)} labelled positions; the teacher's top-1 on them {teacher_top1:.4f}", flush=True)

    student = load_policy(args.student) if args.student else teacher
    model = with_dtype_policy(student, dtype_policy)
    model.compile(optimizer=keras.optimizers.Adam(args.learning_rate, use_ema=True, ema_momentum=args.ema_momentum),
                  loss=keras.losses.CategoricalCrossentropy(), metrics=["accuracy"])
    batches = DistillationBatches(packed_x, labels, teacher_probabilities, planes, batch_size=args.batch_size,
                                  alpha=args.alpha, steps=100, seed=args.seed)
    throughput = Throughput(args.batch_size)
    start = time.perf_counter()
    history = fit(model, batches, epochs=1_000_000, checkpoint_dir=out / "checkpoints", log_dir=out,
                  seed=args.seed, callbacks=[budget, throughput], verbose=2)
    train_seconds = time.perf_counter() - start
    model = with_dtype_policy(model, "float32")
    model.save(out / "policy.keras")

    summary = {
        "model": repo_relative(out / "policy.keras"), "features": list(model.features), "planes": planes,
        "depth": model.depth, "filters": model.filters, "parameters": int(model.count_params()),
        "init_model": repo_relative(args.student or teacher_path), "skip_games": args.skip_games,
        "dtype_policy_while_training": dtype_policy, "batch_size": args.batch_size,
        "learning_rate": args.learning_rate, "anneal_over_time_budget": True, "ema_momentum": args.ema_momentum,
        "epochs_run": len(history.history.get("loss", [])), "stopped_by_time_budget": budget.stopped,
        "train_seconds": round(train_seconds, 1), "train_positions_seen_this_run": throughput.positions,
        "train_positions_per_s": round(throughput.positions_per_s, 1),
        "encode_positions_per_s": manifest["positions_per_s"], "positions": manifest["positions"],
        "games": manifest["games"], "dataset": manifest["report"],
        "distillation": {"teacher": repo_relative(teacher_path), "teacher_symmetries": args.teacher_symmetries,
                         "alpha": args.alpha, "labelled_positions": int(len(labels)),
                         "teacher_top1_on_labelled": round(teacher_top1, 4), "labelling_this_run": labelling},
        "history": {k: [float(v) for v in values] for k, values in history.history.items()},
        "command": script_command(__file__, argv),
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=1))
    print(json.dumps({k: summary[k] for k in ("train_seconds", "train_positions_seen_this_run", "distillation")}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
