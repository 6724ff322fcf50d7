# %% [markdown]
# # Drug–target affinity and interaction with DeepDTA and RDKit
#
# This notebook walks through `apps.drug_target`: the Davis kinase data (DeepDTA setting 1),
# RDKit validation and canonicalisation, the DeepDTA CNN built from `shared.Backbone`,
# entity-batched training, the concordance index and a small virtual screen with RDKit drawings.
#
# With `CNNKIT_FAST=1` (the test suite) every step uses tiny slices and models;
# unset it for a longer run.
#
# First, a trained DeepDTA that ships with cnnkit (the preset `deepdta_davis`; `cnnkit presets`
# lists every preset with its test metrics) predicts the affinity of a real Davis test pair, one
# it never saw in training.

# %%
from apps.drug_target.data import load_dataset
from apps.drug_target.predict import predict_pairs
from shared.presets import load_preset

davis, davis_split = load_dataset('davis', 'setting1')
pair = davis_split['test'][0]
drug, protein = davis.drug_index[pair], davis.protein_index[pair]
deepdta = load_preset('deepdta_davis')
predicted = predict_pairs(deepdta, [davis.drugs[drug]], [davis.proteins[protein]])[0]
print(f'{davis.drug_ids[drug]} on {davis.protein_ids[protein]}: predicted pKd {predicted:.2f}, '
      f'measured {davis.y[pair]:.2f}')

# %%
import json
from pathlib import Path

import keras
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Image, display

from apps.drug_target.chemistry import canonicalize_many, draw_grid
from apps.drug_target.data import load_dataset
from apps.drug_target.metrics import concordance_index, concordance_index_bruteforce, spread_calibration, spread_scale
from apps.drug_target.model import build_deepdta
from apps.drug_target.predict import Ensemble, evaluate, predict_frame
from apps.drug_target.presets import max_lengths_for
from apps.drug_target.train import train
from shared.cli import fast_mode, seed_everything
from shared.data import cache_dir

FAST = fast_mode()
seed_everything(0)
print('fast mode:', FAST)

# %% [markdown]
# ## The data
#
# Davis: 68 kinase inhibitors × 442 kinases, all 30,056 pairs measured.
# Kd (nM) becomes pKd = −log10(Kd / 1e9); 10,000 nM (pKd 5) is the inactive cut-off,
# which is why the distribution has a tall spike at 5.

# %%
pair_data, split = load_dataset('davis', 'setting1')
smiles_length, protein_length = max_lengths_for('davis')
print({k: len(v) for k, v in split.items()})
fig, axes = plt.subplots(1, 3, figsize=(14, 3.5))
axes[0].hist(pair_data.y, bins=50)
axes[0].set_xlabel('pKd')
axes[0].set_title('Davis affinities')
axes[1].hist([len(s) for s in pair_data.drugs], bins=20)
axes[1].axvline(smiles_length, color='r')
axes[1].set_xlabel(f'SMILES length (max {smiles_length})')
axes[2].hist([len(s) for s in pair_data.proteins], bins=40)
axes[2].axvline(protein_length, color='r')
axes[2].set_xlabel(f'protein length (max {protein_length})')
plt.tight_layout()
plt.show()

# %% [markdown]
# RDKit parses and canonicalises every SMILES; a bad one is reported by row, not a crash:

# %%
canonical, errors = canonicalize_many(['OCC', 'C1CC(', 'c1ccccc1O'])
print(canonical)
print(errors)
png = draw_grid(pair_data.drugs[:6], pair_data.drug_ids[:6], cache_dir('drug_target') / 'davis_drugs.png',
                mols_per_row=6)
display(Image(filename=str(png)))

# %% [markdown]
# ## The concordance index
#
# The O(n log n) implementation agrees with the O(n²) definition, ties included:

# %%
rng = np.random.default_rng(0)
y = rng.integers(0, 5, 300).astype(float)
p = rng.integers(0, 4, 300).astype(float)
print(concordance_index(y, p), concordance_index_bruteforce(y, p))

# %% [markdown]
# ## Training DeepDTA
#
# Two 1-D CNN branches (SMILES and protein), concatenated, dense 1024-1024-512. Training uses
# the entity-batched view: each batch encodes its unique drugs and proteins once and gathers them
# per pair, which gives the same model far faster on Davis. A new model is compiled with Adam at
# 1e-3 and the task's loss (mean squared error); `model.compile(optimizer=...)` changes the optimizer.

# %%
if FAST:
    model = build_deepdta('affinity', smiles_length, protein_length, embed_dim=8, filters=(4, 8, 12),
                          hidden_units=(32,))
    train_idx, valid_idx, test_idx, epochs = split['train'][:1500], split['valid'][:500], split['test'][:1000], 2
else:
    model = build_deepdta('affinity', smiles_length, protein_length)
    train_idx, valid_idx, test_idx, epochs = split['train'], split['valid'], split['test'], 10
result = train(model, pair_data, train_idx, valid_idx, epochs=epochs, batch_pairs=512, verbose=0)
records = result['records']
fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
axes[0].plot([r['epoch'] for r in records], [r['loss'] for r in records], 'o-', label='train MSE')
axes[0].plot([r['epoch'] for r in records], [r['val_mse'] for r in records], 'o-', label='valid MSE')
axes[0].legend()
axes[0].set_xlabel('epoch')
axes[1].plot([r['epoch'] for r in records], [r['val_ci'] for r in records], 'o-')
axes[1].set_ylabel('valid CI')
plt.tight_layout()
plt.show()
print(f"{result['pairs_per_second']:.0f} training pairs/s (entity-batched)")

# %%
metrics, predictions = evaluate(model, pair_data, test_idx)
print({k: round(v, 4) for k, v in metrics.items()})
plt.figure(figsize=(4.5, 4.5))
plt.scatter(pair_data.y[test_idx], predictions, s=4, alpha=0.4)
plt.plot([5, 11], [5, 11], 'r--')
plt.xlabel('measured pKd')
plt.ylabel('predicted pKd')
plt.title(f"test: CI {metrics['ci']:.3f}, MSE {metrics['mse']:.3f}")
plt.show()

# %% [markdown]
# ## A small virtual screen
#
# Rank the 68 Davis inhibitors against one kinase and draw the top ones with RDKit
# (`cnnkit dta screen` does the same for a `.smi` library and a FASTA target):

# %%
target = pair_data.protein_ids.index('ABL1(E255K)') if 'ABL1(E255K)' in pair_data.protein_ids else 0
frame = pd.DataFrame({'smiles': pair_data.drugs, 'sequence': pair_data.proteins[target]})
scored, _ = predict_frame(model, frame)
scored['name'] = pair_data.drug_ids
top = scored.sort_values('prediction', ascending=False).head(8)
print('target:', pair_data.protein_ids[target])
display(top[['name', 'canonical_smiles', 'prediction']])
png = draw_grid(list(top['canonical_smiles']), [f'{n}: {p:.2f}' for n, p in zip(top['name'], top['prediction'])],
                cache_dir('drug_target') / 'screen_top.png', mols_per_row=4)
display(Image(filename=str(png)))

# %% [markdown]
# ## How sure is the model? An ensemble's spread
#
# Models trained from different seeds agree where the data pin the answer down and disagree
# elsewhere. `Ensemble` predicts their mean and reports their standard deviation as `spread`
# (`cnnkit dta predict` and `screen` do the same when `--model` names several models). The spread
# is useful if it rises with the error: below, the test pairs are grouped by rising spread, and the
# share of pairs whose measured affinity lies within one and two spreads of the mean is counted.

# %%
members = [model]
for member_seed in (1, 2):
    keras.utils.set_random_seed(member_seed)
    if FAST:
        member = build_deepdta('affinity', smiles_length, protein_length, embed_dim=8, filters=(4, 8, 12),
                               hidden_units=(32,))
    else:
        member = build_deepdta('affinity', smiles_length, protein_length)
    train(member, pair_data, train_idx, None, epochs=epochs, batch_pairs=512, seed=member_seed, verbose=0)
    members.append(member)
test_pairs = pd.DataFrame({'smiles': [pair_data.drugs[i] for i in pair_data.drug_index[test_idx]],
                           'sequence': [pair_data.proteins[i] for i in pair_data.protein_index[test_idx]]})
together, _ = predict_frame(Ensemble(members), test_pairs)
calibration = spread_calibration(pair_data.y[test_idx], together['prediction'], together['spread'])
print({k: round(v, 3) for k, v in calibration.items() if k != 'bins'})
plt.figure(figsize=(4.5, 4))
plt.plot([b['mean_spread'] for b in calibration['bins']], [b['rmse'] for b in calibration['bins']], 'o-')
plt.xlabel('mean spread of the group')
plt.ylabel('RMSE of the group')
plt.title('test pairs grouped by spread')
plt.show()

# %% [markdown]
# Seeds of one recipe disagree less than they err, so fewer than 68% of the pairs lie within one
# spread. `spread_scale` fits the factor that widens the spread to the errors' size; it is fitted
# here on one random half of the test pairs and checked on the other (`cnnkit dta evaluate` with
# several `--model` prints it, and `predict` and `screen` take it as `--spread-scale`).

# %%
y_test, mean = pair_data.y[test_idx], together['prediction'].to_numpy()
spread = together['spread'].to_numpy()
fit_half, check_half = np.array_split(np.random.default_rng(0).permutation(len(test_idx)), 2)
factor = spread_scale(y_test[fit_half], mean[fit_half], spread[fit_half])
before = spread_calibration(y_test[check_half], mean[check_half], spread[check_half])
after = spread_calibration(y_test[check_half], mean[check_half], factor * spread[check_half])
print(f"spread_scale {factor:.2f}: {after['within_1_spread']:.0%} of the other half within one widened spread "
      f"(before: {before['within_1_spread']:.0%})")

# %% [markdown]
# The same measurements for full seeds on all of the setting-1 training folds: three DeepDTA seeds
# on Davis (`python -m benchmarks.dta_ensemble --data davis --seeds 0 1 2`), and three seeds of the
# ECFP variant on KIBA, with the widened spread checked the same way:

# %%
for name in ('dta_ensemble_davis', 'dta_ensemble_kiba_ecfp'):
    path = Path('benchmarks/results') / f'{name}.json'
    if path.is_file():
        record = json.loads(path.read_text())
        print(name, {k: round(v, 4) for k, v in record['metrics'].items()})
        for group in record['calibration']['bins']:
            print(f"  spread {group['mean_spread']:.3f}: RMSE {group['rmse']:.3f} over {group['pairs']} pairs")

# %% [markdown]
# Those three KIBA seeds ship together as the ensemble preset `deepdta_ecfp_kiba_ensemble`
# (`cnnkit presets`), and the same network's three Davis seeds as `deepdta_ecfp_davis_ensemble`.
# `Ensemble.from_preset` loads its three member presets with the widening factor
# fitted on KIBA's test fold (`cnnkit dta predict --model deepdta_ecfp_kiba_ensemble` does the same).
# Here it predicts five KIBA test pairs, each with its widened spread:

# %%
kiba, kiba_split = load_dataset('kiba', 'setting1')
shipped = Ensemble.from_preset('deepdta_ecfp_kiba_ensemble')
some = kiba_split['test'][::4000]
kiba_pairs = pd.DataFrame({'drug': [kiba.drug_ids[i] for i in kiba.drug_index[some]],
                           'protein': [kiba.protein_ids[i] for i in kiba.protein_index[some]],
                           'smiles': [kiba.drugs[i] for i in kiba.drug_index[some]],
                           'sequence': [kiba.proteins[i] for i in kiba.protein_index[some]]})
shipped_frame, _ = predict_frame(shipped, kiba_pairs)
shipped_frame['measured'] = kiba.y[some]
print(f'spread_scale {shipped.spread_scale:g}, members: {", ".join(shipped.names)}')
display(shipped_frame[['drug', 'protein', 'measured', 'prediction', 'spread']].round(3))

# %% [markdown]
# ## Variants of the network
#
# `--arch` swaps parts of DeepDTA for options of the same backbone: attention pooling instead of
# the maximum (`attention`), three kernel widths side by side in every stage (`multiscale`), or the
# drug's ECFP4 bits joined to its learned vector (`ecfp`). Each builds the same way, and the
# benchmark trains three seeds of each (`python -m benchmarks.dta_ensemble --data davis --arch ARCH`).

# %%
from apps.drug_target.presets import ARCHITECTURES, preset_config

for arch in ARCHITECTURES:
    variant = build_deepdta('affinity', **preset_config('davis', arch))
    print(f'{arch:<11} {variant.count_params():>10,} parameters')
    path = Path('benchmarks/results') / ('dta_ensemble_davis' + ('' if arch == 'deepdta' else f'_{arch}') + '.json')
    if path.is_file():
        record = json.loads(path.read_text())
        over = record['over_seeds']
        print(f"    seeds: CI {over['ci']['mean']:.3f} ± {over['ci']['std']:.3f}, MSE {over['mse']['mean']:.3f}; "
              f"ensemble: CI {record['ensemble']['ci']:.3f}, MSE {record['ensemble']['mse']:.3f}")

# %% [markdown]
# ## Benchmark results (committed under `benchmarks/results/`)
#
# `docs/drug_target.md` shows them next to the published figures.

# %%
for name in ('davis', 'kiba', 'human'):
    path = Path('benchmarks/results') / f'{name}.json'
    if path.is_file():
        record = json.loads(path.read_text())
        shown = ('ci', 'mse', 'rm2', 'auroc', 'auprc', 'epochs')
        print(name, {k: v for k, v in record['metrics'].items() if k in shown})
        for line in record.get('comparison_table', []):
            print('   ', line)
