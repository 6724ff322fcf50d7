"""Train a value head on the shipped policy's frozen trunk from professional game outcomes, and
score it on held-out games.

    CNNKIT_DATA=../shared/data python -m benchmarks.go_value --games 1500 --per-game 6

Training positions: ``--per-game`` positions of each of the first ``--games`` games of shards 1-11
(move 20 or later, komi 5.5-7.5, a winner recorded), labelled +1 when the player to move won.
Early stopping watches the games of the validation hash split (``data.split_of``); the test is the
first ``--test-games`` games of shard 12, which neither network ever trained on. The head is saved
to benchmarks/results/go_value/value_head.keras (``PolicyEngine(..., value=...)`` puts it under
the policy's trunk); the result is ``go_value``. Published: AlphaGo's value network, trained on
30 million self-play positions, has a mean squared error of 0.226 (train) / 0.234 (test) on them.
"""

from __future__ import annotations

import hashlib
import time

import numpy as np

from benchmarks.go_common import HELD_OUT_SHARD, ROOT, argument_parser, limit_tensorflow_threads, load_preset

TRAIN_SHARDS = [f"cwi_pro_19x19_part{number:02d}.tar.gz" for number in range(1, 12)]
FOLDER = ROOT / "benchmarks" / "results" / "go_value"
ALPHAGO_MSE = "0.226 train / 0.234 test (AlphaGo's value network on self-play positions, Silver et al. 2016)"


def build_parser():
    parser = argument_parser(__doc__, __file__)
    parser.add_argument("--games", type=int, default=1500, help="games read from each training shard")
    parser.add_argument("--per-game", type=int, default=6)
    parser.add_argument("--test-games", type=int, default=1000)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--train-trunk", action="store_true",
                        help="the trunk learns too (from the policy's weights; --precision auto: mixed bfloat16 "
                             "where it is fast); the result is go_value_trunk and the file value_network.keras")
    parser.add_argument("--seed", type=int, default=0)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    limit_tensorflow_threads()
    from apps.go_policy.model.value import value_metrics, value_positions
    from apps.go_policy.presets import DEFAULT_PRESET
    from shared.benchmarking import write_result
    from shared.data import path

    start = time.perf_counter()
    timings = {}

    def timed(name, function, *a, **k):
        begin = time.perf_counter()
        out = function(*a, **k)
        timings[name] = round(time.perf_counter() - begin, 1)
        print(f"{name}: {timings[name]} s", flush=True)
        return out

    sources = [path("go_pro", shard) for shard in TRAIN_SHARDS]
    train = timed("encode_train_s", value_positions, sources, max_games=args.games, per_game=args.per_game,
                  seed=args.seed)
    test = timed("encode_test_s", value_positions, [path("go_pro", HELD_OUT_SHARD)], max_games=args.test_games,
                 per_game=args.per_game, seed=args.seed + 1)
    held = train["split"] == "validation"
    z_fit, z_held = train["z"][~held], train["z"][held]
    fit = (_fit_network if args.train_trunk else _fit_head)(args, train["x"], held, z_fit, z_held, timed)
    predicted = timed("predict_test_s", lambda x: np.asarray(fit["network"].predict(x, batch_size=256, verbose=0)),
                      test["x"])
    train_fit = value_metrics(fit["fitted"], fit["fitted_z"])
    validation_fit = value_metrics(fit["fitted_held"], z_held)
    test_fit = value_metrics(predicted, test["z"], test["move_number"])
    metrics = {
        "test_mse": test_fit["mse"], "test_winner_accuracy": test_fit["winner_accuracy"],
        "test_positions": test_fit["positions"], "test_by_phase": test_fit["by_phase"],
        "train_mse": train_fit["mse"], "train_winner_accuracy": train_fit["winner_accuracy"],
        "train_positions": int(len(z_fit)), "train_positions_scored": train_fit["positions"],
        "validation_mse": validation_fit["mse"], "validation_winner_accuracy": validation_fit["winner_accuracy"],
        "validation_positions": validation_fit["positions"],
        "epochs_run": len(fit["history"]["loss"]), "train_games_report": train["report"],
        "test_games_report": test["report"], **timings,
    }
    sha = hashlib.sha256(DEFAULT_PRESET.read_bytes()).hexdigest()
    scored = f"the first {len(fit['fitted'])}" if args.train_trunk else "all"
    what = ("The value network: the trunk of the shipped policy "
            f"({DEFAULT_PRESET.name}, sha256 {sha[:12]}) and AlphaGo Zero's value head (a normalised 1x1 map, dense "
            "256, tanh), all of it trained from the policy's weights in "
            f"{fit['precision']}" if args.train_trunk else
            "AlphaGo Zero's value head (a normalised 1x1 map, dense 256, tanh) on the frozen trunk of the shipped "
            f"policy ({DEFAULT_PRESET.name}, sha256 {sha[:12]}), trained on the trunk's feature maps")
    notes = (f"{what}, with mean squared error on {args.per_game} positions a game (move 20 or later) of the first "
             f"{args.games} games of each of shards 1-11 (komi 5.5-7.5, a winner recorded), labelled +1 when the "
             f"player to move won; Adam at {args.learning_rate:g}; early stopping on the games of the validation "
             f"hash split (restoring the best epoch). train_* scores {scored} training positions. Test: the first "
             f"{args.test_games} games of shard 12 (held out), the same sampling. winner_accuracy: the share of "
             "positions whose eventual winner the sign of the value names (0.5: chance). The network sees no "
             "komi. AlphaGo trained its value network on 30 million self-play positions, one a game.")
    name = "go_value_trunk" if args.train_trunk else "go_value"
    write_result(name, metrics, {"test_mse": ALPHAGO_MSE}, wall_time_s=time.perf_counter() - start, notes=notes,
                 extra={"history": fit["history"], "file": fit["file"], "policy_sha256": sha})


def _fit_head(args, x, held, z_fit, z_held, timed) -> dict:
    """The head alone, on the frozen trunk's feature maps (computed once)."""
    from apps.go_policy.model.value import build_value_network, fit_value_head, trunk_features
    from shared.training import ArrayDataset

    policy = load_preset()
    # two arrays computed apart: boolean indexing of one would copy gigabytes of feature maps
    features = timed("trunk_features_train_s", trunk_features, policy, x[~held])
    features_held = trunk_features(policy, x[held])
    head, history = timed("fit_s", fit_value_head, features, z_fit, validation=(features_held, z_held),
                          epochs=args.epochs, learning_rate=args.learning_rate, seed=args.seed)
    fitted = np.asarray(head.predict(ArrayDataset(features, batch_size=1024, shuffle=False), verbose=0))
    fitted_held = np.asarray(head.predict(features_held, batch_size=1024, verbose=0))
    FOLDER.mkdir(parents=True, exist_ok=True)
    head.save(FOLDER / "value_head.keras")
    return {"network": build_value_network(policy, head), "history": history, "fitted": fitted,
            "fitted_z": z_fit, "fitted_held": fitted_held, "precision": "float32",
            "file": "benchmarks/results/go_value/value_head.keras (written by the run, not committed)"}


def _fit_network(args, x, held, z_fit, z_held, timed, scored: int = 5000) -> dict:
    """The whole value network, trunk included, from the policy's weights."""
    import keras

    from apps.go_policy.model.network import with_dtype_policy
    from apps.go_policy.model.value import build_value_network, fit_value
    from shared.cli import choose_precision
    from shared.training import save_float32

    precision = choose_precision("auto")
    network = build_value_network(with_dtype_policy(load_preset(), precision), train_trunk=True)
    keras.utils.set_random_seed(args.seed)
    fit_x = x[~held]
    history = timed("fit_s", fit_value, network, fit_x, z_fit, validation=(x[held], z_held), epochs=args.epochs,
                    learning_rate=args.learning_rate, seed=args.seed)
    FOLDER.mkdir(parents=True, exist_ok=True)
    save_float32(network, FOLDER / "value_network.keras")
    fitted = np.asarray(network.predict(fit_x[:scored], batch_size=256, verbose=0))
    fitted_held = np.asarray(network.predict(x[held], batch_size=256, verbose=0))
    return {"network": network, "history": history, "fitted": fitted, "fitted_z": z_fit[:scored],
            "fitted_held": fitted_held, "precision": precision,
            "file": "benchmarks/results/go_value/value_network.keras (written by the run, not committed)"}


if __name__ == "__main__":
    main()
