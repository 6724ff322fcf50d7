"""An ensemble of models predicts their mean and reports their spread (predict and screen)."""

import keras
import numpy as np
import pandas as pd
import pytest

from apps.drug_target.model import build_deepdta
from apps.drug_target.predict import Ensemble, predict_frame, screen

TINY = dict(smiles_length=40, embed_dim=8, filters=(4, 6, 8), hidden_units=(16,))
SEQUENCE = "MRPSGTAGAALLALLAALCPASRALEEKKVCQGTSNKLTQLGTFEDHFLSLQRMFNNCEVVLGNLEITYVQRNYDLSFLK"
SMILES = ["CC(=O)Oc1ccccc1C(=O)O", "not a smiles", "c1ccccc1O", "CCN(CC)CCNC(=O)c1ccc(N)cc1"]


@pytest.fixture(scope="module")
def members():
    models = []
    for seed, protein_length in ((1, 64), (2, 64), (3, 48)):
        keras.utils.set_random_seed(seed)
        models.append(build_deepdta("affinity", protein_length=protein_length, **TINY))
    return models


def test_the_ensemble_predicts_the_members_mean_and_their_spread(members):
    frame = pd.DataFrame({"smiles": SMILES, "sequence": [SEQUENCE] * len(SMILES)})
    alone = np.stack([predict_frame(m, frame)[0]["prediction"].to_numpy() for m in members])
    together, pair_data = predict_frame(Ensemble(members), frame)
    np.testing.assert_allclose(together["prediction"], alone.mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(together["spread"], alone.std(axis=0), rtol=1e-4)
    assert together["spread"].iloc[[0, 2, 3]].gt(0).all()       # three different models disagree
    assert np.isnan(together["spread"].iloc[1]) and together["error"].iloc[1]  # the bad SMILES: no score
    # the 80-residue target is longer than the 48 residues the third member reads: noted
    assert pair_data.truncated["proteins_truncated"] == 3 and "48" in together["note"].iloc[0]
    assert "spread" not in predict_frame(members[0], frame)[0]


def test_screen_ranks_by_the_mean_and_reports_the_spread(members, tmp_path):
    ligands = tmp_path / "library.smi"
    ligands.write_text("\n".join(f"{s} ligand{i}" for i, s in enumerate(SMILES)) + "\n")
    summary, _ = screen(Ensemble(members), SEQUENCE, ligands, tmp_path / "out", top=2)
    ranked = pd.read_csv(tmp_path / "out" / "ranked.csv")
    valid = ranked[ranked["error"].isna()]
    assert list(valid["prediction"]) == sorted(valid["prediction"], reverse=True)
    assert valid["spread"].gt(0).all() and len(valid) == 3
    assert [set(entry) for entry in summary["top"]] == [{"name", "smiles", "prediction", "spread"}] * 2
    assert summary["top"][0]["spread"] == pytest.approx(valid["spread"].iloc[0], rel=1e-6)


def test_an_ensemble_needs_two_models(members):
    with pytest.raises(ValueError, match="An ensemble needs at least 2 models; got 1"):
        Ensemble(members[:1])


def test_the_spread_scale_multiplies_the_spread_and_must_be_positive(members):
    frame = pd.DataFrame({"smiles": SMILES, "sequence": [SEQUENCE] * len(SMILES)})
    plain, _ = predict_frame(Ensemble(members), frame)
    scaled, _ = predict_frame(Ensemble(members, spread_scale=2.5), frame)
    np.testing.assert_allclose(scaled["spread"], 2.5 * plain["spread"], rtol=1e-6)
    np.testing.assert_allclose(scaled["prediction"], plain["prediction"], rtol=1e-6)
    for bad in (0, -1.0, float("nan"), float("inf"), "wide"):
        with pytest.raises(ValueError, match="The 'spread_scale' parameter of Ensemble must be a finite number > 0"):
            Ensemble(members, spread_scale=bad)

