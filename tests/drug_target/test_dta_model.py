
import keras
import numpy as np
import pytest

from apps.drug_target.batching import EntityBatches
from apps.drug_target.model import build_deepdta, entity_view, fingerprint_bits, head_model, input_lengths
from tests.testing import run_model_saving_test

TINY = dict(smiles_length=20, protein_length=40, embed_dim=8, filters=(4, 6, 8),
            hidden_units=(16, 8))


def _tokens(rng, n, length, vocab):
    return rng.integers(2, vocab, (n, length)).astype("int32")


def test_deepdta_shapes_and_published_layout():
    model = build_deepdta("affinity")
    drug = model.backbone.get_layer("drug_branch")
    protein = model.backbone.get_layer("protein_branch")
    assert drug.input_shape == (None, 85) and protein.input_shape == (None, 1200)
    assert drug.output_shape == (None, 96) and protein.output_shape == (None, 96)
    dense = [layer.units for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    assert dense == [1024, 1024, 512, 1]
    assert [layer.kernel_size[0] for layer in protein.layers if isinstance(layer, keras.layers.Conv1D)] == [4, 8, 12]


def test_entity_view_gives_the_same_predictions_and_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    model = build_deepdta("affinity", **TINY)
    smiles, proteins = _tokens(rng, 7, 20, 60), _tokens(rng, 5, 40, 25)
    d, p = rng.integers(0, 7, 30), rng.integers(0, 5, 30)
    per_pair = model.predict([smiles[d], proteins[p]], verbose=0)
    entity = np.asarray(entity_view(model)([smiles, proteins, d, p], training=False))
    np.testing.assert_allclose(per_pair, entity, atol=1e-5)
    run_model_saving_test(model, [smiles[d], proteins[p]], tmp_path)
    features = np.concatenate([model.backbone.get_layer("drug_branch").predict(smiles[d], verbose=0),
                               model.backbone.get_layer("protein_branch").predict(proteins[p], verbose=0)], 1)
    np.testing.assert_allclose(head_model(model).predict(features, verbose=0), per_pair, atol=1e-5)


@pytest.mark.parametrize("arch", ["attention", "attention_masked", "multiscale", "ecfp"])
def test_variants_keep_the_entity_view_and_round_trip(tmp_path, arch):
    from apps.drug_target.presets import ARCHITECTURES

    config = {**TINY, **ARCHITECTURES[arch]}
    if arch == "multiscale":
        config["filters"] = (2, 3, 4)
    if arch == "ecfp":
        config.update(fingerprint_bits=16, fingerprint_units=5)
    rng = np.random.default_rng(3)
    model = build_deepdta("affinity", **config)
    smiles, proteins = _tokens(rng, 6, 20, 60), _tokens(rng, 4, 40, 25)
    if arch == "ecfp":
        smiles = np.concatenate([smiles, rng.integers(0, 2, (6, 16)).astype("int32")], axis=1)
    d, p = rng.integers(0, 6, 24), rng.integers(0, 4, 24)
    per_pair = model.predict([smiles[d], proteins[p]], verbose=0)
    entity = np.asarray(entity_view(model)([smiles, proteins, d, p], training=False))
    np.testing.assert_allclose(per_pair, entity, atol=1e-5)
    run_model_saving_test(model, [smiles[d], proteins[p]], tmp_path)
    protein = model.backbone.get_layer("protein_branch")
    if arch == "ecfp":  # the bits reach the prediction; the lengths read exclude them
        assert input_lengths(model) == (20, 40) and fingerprint_bits(model) == 16
        assert model.backbone.get_layer("drug_branch").output_shape == (None, 8 + 5)
        flipped = smiles.copy()
        flipped[:, 20:] = 1 - flipped[:, 20:]
        assert not np.allclose(model.predict([flipped[d], proteins[p]], verbose=0), per_pair)
    elif arch.startswith("attention"):
        assert any(layer.name == "global_attention_pool" for layer in protein.layers)
        assert any(layer.name == "padding_mask" for layer in protein.layers) == (arch == "attention_masked")
    else:  # three parallel widths per stage, concatenated: 3 x 4 channels out
        widths = sorted(layer.kernel_size[0] for layer in protein.layers if isinstance(layer, keras.layers.Conv1D))
        assert widths == [4, 4, 4, 8, 8, 8, 12, 12, 12]
        assert protein.output_shape == (None, 12)


def test_multiscale_kernels_need_same_padding():
    with pytest.raises(ValueError, match="The 'padding' parameter of build_deepdta must be 'same' when a stage "
                                         "has parallel kernels"):
        build_deepdta("affinity", **{**TINY, "smiles_kernels": [(3, 5)] * 3})


def test_training_the_entity_view_trains_the_pair_model():
    rng = np.random.default_rng(1)
    model = build_deepdta("interaction", **TINY)
    smiles, proteins = _tokens(rng, 6, 20, 60), _tokens(rng, 4, 40, 25)
    d, p = rng.integers(0, 6, 40), rng.integers(0, 4, 40)
    y = (d % 2).astype("float32")
    before = model.predict([smiles[d], proteins[p]], verbose=0)
    view = entity_view(model)
    view.compile(optimizer=keras.optimizers.Adam(1e-2), loss="binary_crossentropy")
    batches = EntityBatches(smiles, proteins, d, p, y, batch_pairs=16)
    view.fit(batches, epochs=2, verbose=0)
    after = model.predict([smiles[d], proteins[p]], verbose=0)
    assert not np.allclose(before, after)
    assert ((after >= 0) & (after <= 1)).all()


def test_entity_batches_cover_every_pair_once_per_epoch():
    rng = np.random.default_rng(2)
    d, p = rng.integers(0, 30, 500), rng.integers(0, 12, 500)
    batches = EntityBatches(np.zeros((30, 5)), np.zeros((12, 9)), d, p, np.arange(500.0), batch_pairs=64)
    for _ in range(2):
        seen = np.concatenate([batches.pair_indices(i) for i in range(len(batches))])
        assert sorted(seen.tolist()) == list(range(500))
        x, y = batches[0]
        assert x["unique_smiles_tokens"].shape[0] <= 30
        np.testing.assert_array_equal(y.ravel(), np.arange(500.0)[batches.pair_indices(0)])
        batches.on_epoch_end()


def test_bad_task_name():
    with pytest.raises(ValueError, match="task must be one of"):
        build_deepdta("regression")


def test_entity_view_is_compiled_as_the_task():
    model = build_deepdta("interaction", **TINY)
    model.compile(optimizer=keras.optimizers.Adam(3e-3))
    view = entity_view(model)
    assert view.compiled and view.optimizer is not model.optimizer
    assert float(view.optimizer.learning_rate) == pytest.approx(3e-3)
    assert view.get_compile_config()["loss"] == model.get_compile_config()["loss"]


def test_trainer_per_pair_and_entity_paths_and_best_epoch(tmp_path):
    from apps.drug_target.data import PairData
    from apps.drug_target.encoders import encode_entities
    from apps.drug_target.predict import evaluate
    from apps.drug_target.train import train

    rng = np.random.default_rng(3)
    pair_data = PairData(drugs=["CCO", "c1ccccc1", "CCN", "CCCl"], proteins=["MKVLLEAGHK", "WYRSTPQNDCFI", "AAAAC"],
                         drug_index=rng.integers(0, 4, 60), protein_index=rng.integers(0, 3, 60),
                         y=rng.normal(6, 1, 60).astype("float32"))
    for entity_batched in (True, False):
        model = build_deepdta("affinity", **TINY)
        result = train(model, pair_data, np.arange(40), np.arange(40, 60), epochs=2, batch_pairs=16,
                       entity_batched=entity_batched, verbose=0, log_path=tmp_path / "log.csv",
                       checkpoint_dir=str(tmp_path / f"ckpt{entity_batched}"))
        assert result["epochs_run"] == 2 and result["best_epoch"] in (1, 2)
        assert {"loss", "val_ci", "val_mse", "seconds"} <= set(result["records"][-1])
        metrics, predictions = evaluate(model, pair_data, np.arange(40, 60))
        smiles_tokens, protein_tokens, _ = encode_entities(pair_data, 20, 40)
        np.testing.assert_allclose(
            predictions, model.predict([smiles_tokens[pair_data.drug_index[40:]],
                                        protein_tokens[pair_data.protein_index[40:]]], verbose=0).ravel(), atol=1e-5)
    assert (tmp_path / "log.csv").read_text().startswith("epoch,")


def test_entity_batches_padding_for_jax_shapes():
    rng = np.random.default_rng(4)
    d, p = rng.integers(0, 30, 100), rng.integers(0, 12, 100)
    batches = EntityBatches(np.zeros((30, 5)), np.zeros((12, 9)), d, p, np.ones(100), batch_pairs=33,
                            pad_entities=True)
    for index in range(len(batches)):
        batch = batches[index]
        x, y, weights = batch if len(batch) == 3 else (*batch, np.ones(batches.pairs_per_batch))
        assert x["unique_smiles_tokens"].shape[0] % 8 == 0 and x["unique_protein_tokens"].shape[0] % 8 == 0
        assert len(y) == len(weights) == batches.pairs_per_batch == len(x["drug_index"])
        assert weights.sum() == len(batches.pair_indices(index))


def test_time_budget_stops_after_the_epoch_that_crosses_it():
    from apps.drug_target.data import PairData
    from apps.drug_target.train import train

    rng = np.random.default_rng(5)
    pair_data = PairData(drugs=["CCO", "CCN"], proteins=["MKVLLEAGHK", "WYRSTPQNDCFI"],
                         drug_index=rng.integers(0, 2, 24), protein_index=rng.integers(0, 2, 24),
                         y=rng.normal(6, 1, 24).astype("float32"))
    model = build_deepdta("affinity", **TINY)
    result = train(model, pair_data, np.arange(16), np.arange(16, 24), epochs=3, batch_pairs=8, verbose=0,
                   time_budget_s=0)
    assert result["epochs_run"] == 1 and result["best_epoch"] == 1
