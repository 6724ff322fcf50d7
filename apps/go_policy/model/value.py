"""A value estimate for the engine: who wins from here, as AlphaGo's value network
(Silver et al. 2016) predicts it, trained here on the outcomes of professional games.

Why: the policy network says which moves a professional would play, not which of them
wins; a search needs an estimate of the position it reaches. AlphaGo trained its value
network on 30 million self-play positions, one per game, because successive positions of
one game share their outcome and a network fitted on whole games memorises them. This
module has only the professional records, so it keeps to what they allow:

- ``value_positions``: a few positions drawn from each game (``per_game``), labelled +1
  when the player to move went on to win and -1 when they lost; games without a winner
  (jigo, void, unknown) and games outside ``komi_range`` are skipped and counted, since the
  network sees no komi;
- ``build_value_network``: the shipped policy network's trunk (its ``shared.Backbone``)
  under AlphaGo Zero's value head: a 1x1 convolution to one normalised map, a dense layer
  of 256 units and a tanh unit. The trunk is frozen unless ``train_trunk``;
- ``fit_value_head``: trains the head alone (about 93k weights) on the frozen trunk's
  feature maps, computed once (``trunk_features``), the slow part on a CPU; ``fit_value``
  trains any value model, the whole network included.

The head is dense over the 19x19 points: the value network reads 19x19 boards only.
"""

from __future__ import annotations

import time

import keras
import numpy as np

from apps.go_policy.model.data import split_of
from apps.go_policy.model.features import FeatureEncoder
from apps.go_policy.rules.records import SkippedGame, SkipReport, read_games

VALUE_SIZE = 19
HIDDEN_UNITS = 256
DEFAULT_KOMI_RANGE = (5.5, 7.5)  # the modern komi of the collection; GNU Go matches use 7.5


def check_komi_range(komi_range) -> tuple[float, float]:
    low, high = (float(value) for value in komi_range)
    if low > high:
        raise ValueError(f"komi_range must be (low, high) with low <= high, got {komi_range!r}")
    return low, high


def value_positions(sources, features="small", max_games: int | None = None, skip_games: int = 0,
                    per_game: int = 4, min_move: int = 20, komi_range=DEFAULT_KOMI_RANGE, seed: int = 0,
                    split: str = "all"):
    """Positions of 19x19 games labelled with their outcome for the player to move.

    Returns a dict: ``x`` (n, 19, 19, planes) uint8, ``z`` (n,) float32 (+1: the player to
    move won), ``move_number`` (n,) int32, ``game`` (n,) int32 (a game's index over all
    sources), ``split`` (n,) str (the game's hash split), ``report`` (``SkipReport.as_dict()``,
    with the games skipped for want of a winner or for their komi). The ``split`` argument keeps
    the games of one hash split (``data.split_of``) or ``"all"``. ``per_game`` positions are
    drawn without replacement from the moves numbered ``min_move`` and later (fewer when the
    game is shorter).
    """
    if per_game < 1 or min_move < 1:
        raise ValueError(f"per_game and min_move must be at least 1, got {per_game} and {min_move}")
    low, high = check_komi_range(komi_range)
    encoder = FeatureEncoder(features)
    rng = np.random.default_rng(seed)
    report = SkipReport()
    xs, zs, numbers, games, splits = [], [], [], [], []
    index = -1
    for source in sources:
        for record in read_games(source, max_games, report, skip_games=skip_games, sizes=(VALUE_SIZE,)):
            index += 1
            game_split = split_of(record.name)
            if split != "all" and game_split != split:
                continue
            winner = record.winner
            if winner is None or not low <= record.komi <= high:
                report.used -= 1
                report.skip(record.name, _skip_reason(winner, record.komi, (low, high)))
                continue
            moves = [number for number, (_, point) in enumerate(record.moves, start=1)
                     if point is not None and number >= min_move]
            if not moves:
                continue
            picks = set(rng.choice(moves, size=min(per_game, len(moves)), replace=False).tolist())
            for number, color, _, board in record.positions():
                if number in picks:
                    xs.append(encoder.encode(board))
                    zs.append(1.0 if color == winner else -1.0)
                    numbers.append(number)
                    games.append(index)
                    splits.append(game_split)
    if not xs:
        raise ValueError(f"no labelled positions in {list(map(str, sources))}: every game was skipped "
                         f"({report.as_dict()['skipped_by_reason']})")
    return {"x": np.stack(xs), "z": np.asarray(zs, np.float32), "move_number": np.asarray(numbers, np.int32),
            "game": np.asarray(games, np.int32), "split": np.asarray(splits), "report": report.as_dict()}


def _skip_reason(winner, komi, komi_range):
    if winner is None:
        return SkippedGame("no winner", "the result names no winner (jigo, void or unknown)")
    return SkippedGame("komi out of range", f"komi {komi} outside {komi_range[0]}-{komi_range[1]}")


# === Value head ===


def apply_value_head(feature_maps, hidden_units: int = HIDDEN_UNITS, dtype=None):
    """The value head of AlphaGo Zero (Silver et al. 2017): a 1x1 convolution to one map, batch
    normalisation, ReLU, dense ``hidden_units`` with ReLU, one tanh unit.

    The normalisation matters on a trunk trained for another task: its maps are all >= 0 and
    of any scale, so without it one weighted sum of them starts far from zero, where the
    ReLU is dead or the tanh saturated, and the head learns nothing from some starts.
    ``dtype`` is the layers' dtype policy (default: the global one); the output is float32."""
    x = keras.layers.Conv2D(1, 1, use_bias=False, dtype=dtype, name="value_conv")(feature_maps)
    x = keras.layers.BatchNormalization(dtype=dtype, name="value_norm")(x)
    x = keras.layers.Activation("relu", dtype=dtype, name="value_relu")(x)
    x = keras.layers.Flatten(dtype=dtype, name="value_flatten")(x)
    x = keras.layers.Dense(hidden_units, activation="relu", dtype=dtype, name="value_dense")(x)
    return keras.layers.Dense(1, activation="tanh", dtype="float32", name="value")(x)


def build_value_head(filters: int, hidden_units: int = HIDDEN_UNITS) -> keras.Model:
    """The head alone, reading the trunk's (19, 19, ``filters``) feature maps."""
    inputs = keras.Input((VALUE_SIZE, VALUE_SIZE, filters), name="feature_maps")
    return keras.Model(inputs, apply_value_head(inputs, hidden_units), name="value_head")


def build_value_network(policy, head: keras.Model | None = None, train_trunk: bool = False) -> keras.Model:
    """The policy's trunk (shared weights; frozen unless ``train_trunk``) under a value head, for
    19x19 boards: (n, 19, 19, planes) -> (n, 1) in [-1, 1] for the player to move. ``head`` (from
    ``build_value_head``) supplies trained head weights; without it the head is new. With
    ``train_trunk`` the trunk learns too, so pass a copy of the policy (``network.with_dtype_policy``,
    which also sets the precision: the head computes under the trunk's dtype policy)."""
    backbone = policy.backbone
    backbone.trainable = bool(train_trunk)
    planes = int(policy.input_shape[-1])
    inputs = keras.Input((VALUE_SIZE, VALUE_SIZE, planes), name="planes")
    feature_maps = backbone(inputs)
    outputs = apply_value_head(feature_maps, HIDDEN_UNITS if head is None else head.get_layer("value_dense").units,
                               dtype=backbone.dtype_policy)
    model = keras.Model(inputs, outputs, name="value_network")
    if head is not None:
        for name in ("value_conv", "value_norm", "value_dense", "value"):
            model.get_layer(name).set_weights(head.get_layer(name).get_weights())
    return model


# === Training ===


def trunk_features(policy, x: np.ndarray, batch_size: int = 256, dtype="float16") -> np.ndarray:
    """The policy trunk's feature maps of ``x``, computed once for ``fit_value_head`` (``dtype``
    float16 halves their memory: 19 * 19 * filters values a position)."""
    backbone = policy.backbone
    out = np.empty(tuple(x.shape[:3]) + (int(backbone.output_shape[-1]),), dtype=dtype)
    for start in range(0, len(x), batch_size):
        part = np.asarray(x[start:start + batch_size], dtype="float32")
        out[start:start + len(part)] = np.asarray(backbone.predict_on_batch(part))
    return out


def fit_value_head(features: np.ndarray, z: np.ndarray, validation: tuple | None = None, epochs: int = 20,
                   batch_size: int = 256, learning_rate: float = 1e-3, patience: int = 3, seed: int = 0):
    """Train a value head on trunk features (mean squared error against ``z``, as AlphaGo),
    keeping the weights of the epoch with the lowest validation loss. Returns (head, history dict).

    The features are read batch by batch (``shared.training.ArrayDataset``), never copied
    whole: a hundred thousand positions of 19x19x96 maps are several gigabytes."""
    keras.utils.set_random_seed(seed)
    head = build_value_head(int(features.shape[-1]))
    return head, fit_value(head, features, z, validation, epochs, batch_size, learning_rate, patience, seed)


def fit_value(model: keras.Model, x: np.ndarray, z: np.ndarray, validation: tuple | None = None, epochs: int = 20,
              batch_size: int = 256, learning_rate: float = 1e-3, patience: int = 3, seed: int = 0) -> dict:
    """Train ``model`` (a value head on features, or a value network on planes, ``train_trunk``)
    with Adam and mean squared error against ``z``, batch by batch, keeping the weights of the
    epoch with the lowest validation loss. Returns the history as a dict, with ``seconds``."""
    from shared.training import ArrayDataset

    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="mse")
    callbacks, validation_data = [], None
    if validation is not None:
        callbacks.append(keras.callbacks.EarlyStopping(patience=patience, restore_best_weights=True))
        validation_data = ArrayDataset(validation[0], np.asarray(validation[1], np.float32), batch_size=batch_size,
                                       shuffle=False)
    start = time.perf_counter()
    history = model.fit(ArrayDataset(x, np.asarray(z, np.float32), batch_size=batch_size, seed=seed),
                        validation_data=validation_data, epochs=epochs, callbacks=callbacks, verbose=0)
    out = {key: [float(v) for v in values] for key, values in history.history.items()}
    out["seconds"] = time.perf_counter() - start
    return out


def value_metrics(predicted: np.ndarray, z: np.ndarray, move_numbers=None) -> dict:
    """Mean squared error and the share of positions whose winner the sign predicts, overall and
    by game phase (``data.PHASES``)."""
    from apps.go_policy.model.data import PHASES

    predicted, z = np.asarray(predicted, float).reshape(-1), np.asarray(z, float).reshape(-1)
    if predicted.shape != z.shape:
        raise ValueError(f"predicted and z must have the same length, got {predicted.shape} and {z.shape}")

    def summary(keep):
        return {"positions": int(keep.sum()), "mse": float(np.mean((predicted[keep] - z[keep]) ** 2)),
                "winner_accuracy": float(np.mean(np.sign(predicted[keep]) == z[keep]))}

    out = summary(np.ones(len(z), bool))
    if move_numbers is not None:
        numbers = np.asarray(move_numbers)
        out["by_phase"] = {name: summary((numbers >= low) & (numbers <= high))
                           for name, (low, high) in PHASES.items() if ((numbers >= low) & (numbers <= high)).any()}
    return out


__all__ = ["DEFAULT_KOMI_RANGE", "VALUE_SIZE", "apply_value_head", "build_value_head", "build_value_network",
           "fit_value", "fit_value_head", "trunk_features", "value_metrics", "value_positions"]
