"""Unpacking and board symmetries in the graph (SymmetryTrainer) agree with the NumPy pipeline."""

import json

import keras
import numpy as np
import pytest

from apps.go_policy.model.augmentation import SymmetryTrainer, unpack_planes
from apps.go_policy.model.data import pack, predict_with_symmetries
from apps.go_policy.model.network import build_policy_network


@pytest.fixture
def boards():
    return (np.random.default_rng(0).uniform(size=(6, 9, 9, 22)) < 0.3).astype("float32")


def test_unpack_planes_inverts_packbits_for_a_plane_count_not_a_multiple_of_eight(boards):
    packed = pack(boards)
    assert packed.dtype == np.uint8 and packed.shape == (6, 9, 9, 3)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(unpack_planes(packed, 22)), boards)


def test_the_eight_turned_predictions_average_to_predict_with_symmetries(boards):
    policy = build_policy_network("small", depth=2, filters=8, board_size=9)
    trainer = SymmetryTrainer(policy, seed=1)
    forced = [keras.ops.convert_to_numpy(trainer.symmetric_probabilities(boards, np.full(6, t))) for t in range(8)]
    assert np.abs(forced[0] - forced[1]).max() > 1e-4  # an untrained network is not symmetric
    reference = predict_with_symmetries(lambda b: policy.predict(b, verbose=0), boards, 8)
    np.testing.assert_allclose(np.mean(forced, axis=0), reference, atol=1e-6)
    # each position gets its own transform
    mixed = keras.ops.convert_to_numpy(trainer.symmetric_probabilities(boards, np.array([0, 1, 2, 3, 4, 7])))
    for row, transform in enumerate([0, 1, 2, 3, 4, 7]):
        np.testing.assert_allclose(mixed[row], forced[transform][row], atol=1e-6)
    # outside training the trainer is the plain network on packed planes
    np.testing.assert_allclose(trainer.predict(pack(boards), verbose=0), policy.predict(boards, verbose=0),
                               atol=1e-6)


def test_training_mode_draws_a_random_transform_per_position(boards):
    policy = build_policy_network("small", depth=2, filters=8, board_size=9)
    trainer = SymmetryTrainer(policy, seed=3)
    x = np.repeat(boards[:1], 64, axis=0)
    forced = np.stack([keras.ops.convert_to_numpy(trainer.symmetric_probabilities(x[:1], np.array([t])))[0]
                       for t in range(8)])
    out = keras.ops.convert_to_numpy(trainer(pack(x), training=True))
    drawn = [int(np.abs(forced - row).max(axis=1).argmin()) for row in out]
    assert all(np.abs(forced[t] - row).max() < 1e-6 for t, row in zip(drawn, out))
    assert len(set(drawn)) >= 6  # 64 draws from 8 transforms


def test_packed_position_dataset_leaves_the_symmetry_to_the_device(small_sgf_folder, tmp_path, monkeypatch):
    from apps.go_policy.model.data import encode_dataset, shard_paths
    from apps.go_policy.model.dataset import PositionDataset

    monkeypatch.setenv("CNNKIT_CACHE", str(tmp_path / "cache"))
    manifest = encode_dataset([small_sgf_folder], workers=1, progress=False, validation=0.0, test=0.0)
    paths = shard_paths(manifest, "train")
    packed_x, packed_y = PositionDataset(paths, batch_size=16, augment=False, shuffle=False, packed=True)[0]
    plain_x, plain_y = PositionDataset(paths, batch_size=16, augment=False, shuffle=False)[0]
    assert packed_x.dtype == np.uint8 and packed_x.shape[-1] == 3
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(unpack_planes(packed_x, 22)), plain_x)
    np.testing.assert_array_equal(packed_y, plain_y)
    with pytest.raises(ValueError, match="augment=False"):
        PositionDataset(paths, batch_size=16, packed=True)


def test_cli_trains_with_device_augmentation_saves_the_plain_network_and_resumes(small_sgf_folder, tmp_path,
                                                                               monkeypatch, capsys):
    from apps.go_policy.cli import main
    from apps.go_policy.model.network import PolicyNetwork
    from apps.go_policy.play.engine import load_policy

    monkeypatch.setenv("CNNKIT_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "run"
    arguments = ["train", "--sgf", str(small_sgf_folder), "--out", str(out), "--depth", "2", "--filters", "4",
                 "--steps-per-epoch", "2", "--batch-size", "32", "--workers", "1", "--ema-momentum", "0.9",
                 "--device-augmentation", "--json"]
    assert main(arguments + ["--epochs", "1"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["device_augmentation"] is True and summary["train_positions_seen_this_run"] == 64
    model = load_policy(out / "policy.keras")
    assert isinstance(model, PolicyNetwork) and model.input_shape[-1] == 22
    assert main(arguments + ["--epochs", "2"]) == 0  # resumes from the checkpoint: one more epoch
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["train_positions_seen_this_run"] == 64
    assert len((out / "training_log.csv").read_text().strip().splitlines()) == 1 + 2  # header, epochs 1 and 2


def test_fit_draws_new_symmetries_at_every_step():
    # the seed generator is part of the trainer's state, so a compiled (or jitted) train step
    # does not reuse the first step's draws
    trainer = SymmetryTrainer(build_policy_network("small", depth=2, filters=8, board_size=9), seed=0)
    before = keras.ops.convert_to_numpy(trainer.seed_generator.state).copy()
    trainer.fit(pack(np.zeros((64, 9, 9, 22))), np.zeros(64, "int32"), batch_size=16, epochs=1, verbose=0)
    assert (keras.ops.convert_to_numpy(trainer.seed_generator.state) - before).sum() == 4  # one draw per step
