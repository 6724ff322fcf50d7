"""The shipped policy networks: ``NAME.keras`` with its metadata ``NAME.json`` beside it.

``NAME.json`` is the registry's metadata (``shared.presets``: task, data, metrics, examples,
checksum) with the preset's training record under ``"training"``: the command that trained it,
its network, its data and its held-out accuracy (:func:`preset_record`), and under
``training.continued_from`` every earlier stage of a preset trained in stages.
``DEFAULT_PRESET`` is the network the engine, ``evaluate`` and the demo use unless told otherwise.

``RECIPES`` say how ``python -m benchmarks.presets pack NAME`` describes each preset; ``score``,
``pick_examples`` and ``predict_example`` are the hooks it and ``cnnkit presets --check`` call.
The test data is shard 12 of the CWI collection (``HELD_OUT_SHARD``), which no preset saw in training.
This module imports neither Keras nor TensorFlow (the command-line help reads it).
"""

from __future__ import annotations

import json
from pathlib import Path

FOLDER = Path(__file__).resolve().parent
PRESETS = {path.stem: path for path in sorted(FOLDER.glob("*.keras"))}
DEFAULT_PRESET = FOLDER / "policy_large.keras"
DEFAULT_PRESET_NAME = DEFAULT_PRESET.stem

DATASET = "go_pro"
HELD_OUT_SHARD = "cwi_pro_19x19_part12.tar.gz"  # never trained on by any preset
SCORE_GAMES = 50  # ``score``: every non-pass move of the first 50 games of the held-out shard
EXAMPLE_MOVES = (20, 43, 72, 100, 131)  # ``pick_examples``: positions of the held-out shard's first game
BOARD_SIZE = 19


def preset_path(name: str) -> Path:
    """The ``.keras`` file of preset ``name`` (``policy_small``, ``policy_medium``, ``policy_large``)."""
    if name not in PRESETS:
        raise ValueError(f"The 'name' parameter of preset_path must be one of {sorted(PRESETS)}; got {name!r}.")
    return PRESETS[name]


def _record_file(preset: Path | str) -> Path:
    path = preset_path(preset) if isinstance(preset, str) and preset in PRESETS else Path(preset)
    return path.with_suffix(".json")


def preset_record(preset: Path | str = DEFAULT_PRESET) -> dict:
    """The training record of a preset (a path or a preset name): command, network, data, held-out accuracy.

    The record sits under ``"training"`` in the preset's ``NAME.json``; a ``.json`` written before it
    was packed for the registry (``benchmarks.go_preset``) is the record itself.
    """
    record = json.loads(_record_file(preset).read_text())
    return record.get("training", record)


def update_preset_record(preset: Path | str, **fields) -> Path:
    """Set ``fields`` in the training record of a preset (e.g. its ``measured_accuracy_held_out``).

    Only the training record changes: the ``.keras`` file, hence the checksum in the metadata, stays as it is.
    """
    path = _record_file(preset)
    record = json.loads(path.read_text())
    (record["training"] if "training" in record else record).update(fields)
    path.write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


# --------------------------------------------------------------------------- recipes

_PUBLISHED_TOP1 = "0.444 (Clark & Storkey 2015, 8 layers); 0.552-0.570 (Maddison 2015; AlphaGo SL)"
_POLICY = {
    "module": "apps.go_policy.model.network",
    "task": "PolicyNetwork",
    "input": "a Go position from the side of the player to move: 22 binary feature planes per board point "
             "(stone color, ones, turns since a stone was played, liberties, sensibleness, player color), "
             "shape (19, 19, 22), as FeatureEncoder(model.features).encode(board) makes them for the engine; "
             "fully convolutional, so 9x9 and 13x13 boards work too",
    "output": "the next move: a probability for each of the 19x19 = 361 board points (softmax; the engine "
              "masks it to legal, sensible moves)",
    "dataset": {
        "name": DATASET,
        "description": "professional 19x19 even games of the CWI collection (55,153 games in 12 shards); the "
                       "presets train on games of shards 1-11 (see their descriptions) and never saw shard 12, the "
                       f"test split: metrics score every non-pass move of its first {SCORE_GAMES} games, "
                       "benchmark_metrics of its first 200",
        "license": "no explicit license (game records; freely downloadable research collection)",
        "citation": "Andries E. Brouwer, CWI game collection",
    },
    "trained": "apps/go_policy/presets/{name}.keras",  # trained before the preset builder existed
    "keep_record_as": "training",
    "benchmark_metrics": {"test_top1_accuracy": "metrics.top1", "test_top5_accuracy": "metrics.top5",
                          "test_positions": "metrics.positions"},
    "references": {"test_top1_accuracy": _PUBLISHED_TOP1},
}


def _recipe(name: str, **fields) -> dict:
    return {**_POLICY, "trained": _POLICY["trained"].format(name=name), **fields}


RECIPES = {
    "policy_small": _recipe(
        "policy_small",
        description="6x32 policy CNN (63,905 parameters) that predicts a professional's next move, trained 27 "
                    "minutes on a 2-core CPU on the first 800 games of shard 1",
        steps=["env CNNKIT_DATA=../shared/data cnnkit go train --sgf "
               "../shared/data/go/cwi_pro/cwi_pro_19x19_part01.tar.gz --max-games 800 --features small --depth 6 "
               "--filters 32 --batch-size 128 --steps-per-epoch 300 --epochs 200 --max-minutes 27 "
               "--out runs/go_preset"],
        result="go_accuracy_policy_small"),
    "policy_medium": _recipe(
        "policy_medium",
        description="8x48 policy CNN (171,985 parameters) that predicts a professional's next move, trained 30 "
                    "minutes on a 2-core CPU on the first 3,000 games of shard 1",
        steps=["env CNNKIT_DATA=../shared/data cnnkit go train --sgf "
               "../shared/data/go/cwi_pro/cwi_pro_19x19_part01.tar.gz --max-games 3000 --features small "
               "--depth 8 --filters 48 --batch-size 128 --steps-per-epoch 500 --epochs 200 --max-minutes 30 "
               "--anneal --learning-rate 2e-3 --workers 1 --out runs/policy_medium --json"],
        result="go_accuracy_policy_medium"),
    "policy_large": _recipe(
        "policy_large",
        description="12x96 policy CNN (966,433 parameters) that predicts a professional's next move, trained in "
                    "stages on games of shards 1-11 for 381 minutes in all (a GPU stage, four CPU continuations, "
                    "a GPU continuation). The step is the last stage, which continues this preset: the earlier "
                    "stages' commands are in its training record (training.continued_from)",
        steps=["env INIT_MODEL=apps/go_policy/presets/policy_large.keras SKIP=1500 GAMES=1500 LR=5e-4 EMA=0.999 "
               "KERAS_BACKEND=jax DEADLINE_S=510 RESERVE_S=70 bash benchmarks/go_gpu_preset.sh"],
        result="go_accuracy"),
}


# --------------------------------------------------------------------------- hooks

def _check_dataset(dataset: str) -> None:
    if dataset != DATASET:
        raise ValueError(f"The Go presets are scored on {DATASET!r} (shard 12 of the CWI collection); got {dataset!r}.")


def _held_out_games(max_games: int):
    from apps.go_policy.rules.records import read_games
    from shared.data import path

    return list(read_games(path(DATASET, HELD_OUT_SHARD), max_games=max_games, sizes=(BOARD_SIZE,)))


def _predict(model, boards):
    """The network's move probabilities, one row per board."""
    import numpy as np

    from apps.go_policy.model.features import FeatureEncoder

    encoder = FeatureEncoder(getattr(model, "features", None) or "small")
    planes = np.stack([encoder.encode(board) for board in boards]).astype("float32")
    return np.asarray(model.predict(planes, batch_size=256, verbose=0))


def score(model, dataset: str = DATASET) -> dict:
    """Top-1 and top-5 move prediction on every non-pass move of the first ``SCORE_GAMES`` games of the
    held-out shard (``test_positions`` of them), the raw network output as ``cnnkit go evaluate`` scores it."""
    import numpy as np

    from apps.go_policy.model.data import encode_game
    from apps.go_policy.model.features import FeatureEncoder

    _check_dataset(dataset)
    encoder = FeatureEncoder(getattr(model, "features", None) or "small")
    encoded = [encode_game(game, encoder) for game in _held_out_games(SCORE_GAMES)]
    x = np.concatenate([planes for planes, _, _ in encoded])
    y = np.concatenate([labels for _, labels, _ in encoded]).astype(np.int64)
    probabilities = np.asarray(model.predict(x.astype("float32"), batch_size=256, verbose=0))
    top5 = np.argsort(probabilities, axis=1)[:, -5:]
    return {"test_top1_accuracy": round(float((probabilities.argmax(axis=1) == y).mean()), 4),
            "test_top5_accuracy": round(float((top5 == y[:, None]).any(axis=1).mean()), 4),
            "test_positions": int(len(y))}


def _example_board(source: str, move_number: int):
    """The board before move ``move_number`` (1-based) of game ``archive:member`` of the CWI collection,
    with the mover to play, and that move's point."""
    import tarfile

    from apps.go_policy.rules.records import parse_game
    from shared.data import path

    archive, _, member = source.partition(":")
    if not member:
        raise ValueError(f"An example's 'source' is 'ARCHIVE:GAME.sgf' (e.g. '{HELD_OUT_SHARD}:AJ1st/01/9.sgf'); "
                         f"got {source!r}.")
    with tarfile.open(path(DATASET, archive), "r:gz") as tar:
        try:
            data = tar.extractfile(member).read()
        except KeyError:
            raise ValueError(f"{archive} holds no game {member!r} (an example's source).") from None
    game = parse_game(data, source, sizes=(BOARD_SIZE,))
    if not 1 <= move_number <= len(game.moves) or game.moves[move_number - 1][1] is None:
        raise ValueError(f"{source} has no stone played at move {move_number} (it has {len(game.moves)} moves).")
    color, point = game.moves[move_number - 1]
    board = game.board(move_number - 1)
    board.to_move = color  # records may have two moves in a row by one color
    return board, point


def pick_examples(model, dataset: str = DATASET, count: int = 5) -> list[dict]:
    """Positions of the held-out shard's first game: the professional's move and the network's top move (GTP)."""
    from apps.go_policy.rules.board import BLACK, point_to_gtp

    _check_dataset(dataset)
    game = _held_out_games(1)[0]
    examples = []
    for number in EXAMPLE_MOVES[:count]:
        example = {"input": {"dataset": DATASET, "split": "test (shard 12, never trained on)",
                             "source": game.name, "move_number": number,
                             "to_play": "black" if game.moves[number - 1][0] == BLACK else "white"},
                   "label": point_to_gtp(game.moves[number - 1][1], BOARD_SIZE)}
        examples.append({**example, "prediction": predict_example(model, example)})
    return examples


def predict_example(model, example: dict) -> str:
    """The network's most probable move (GTP coordinate) at the recorded position, replayed from its SGF."""
    from apps.go_policy.rules.board import point_to_gtp

    board, _ = _example_board(example["input"]["source"], int(example["input"]["move_number"]))
    return point_to_gtp(int(_predict(model, [board])[0].argmax()), BOARD_SIZE)
