"""Batches for DeepDTA training: entity-batched blocks and the plain per-pair reference.

Davis has 68 drugs x 442 proteins and KIBA 2111 x 229, so most per-pair forward passes
re-encode the same protein over and over. :class:`EntityBatches` partitions the drugs
and the proteins into random groups each epoch, orders the pairs by (drug group,
protein group) block and cuts that order into ``len(self)`` equal batches: every pair is
seen once per epoch, and each batch holds few unique entities, each encoded once and
gathered per pair by the entity view of the model (same weights, same predictions).
"""

from __future__ import annotations

import math

import keras
import numpy as np


def plan_groups(n_pairs, n_drugs, n_proteins, smiles_cost, protein_cost, batches):
    """Choose (drug groups, protein groups) with about ``batches`` blocks at least cost.

    Each protein is encoded once per drug group and each drug once per protein group, so
    an epoch costs ``gd * n_proteins * protein_cost + gp * n_drugs * smiles_cost``.
    """
    best = None
    for gd in range(1, min(batches, max(1, n_drugs)) + 1):
        gp = min(max(1, math.ceil(batches / gd)), max(1, n_proteins))
        cost = gd * n_proteins * protein_cost + gp * n_drugs * smiles_cost
        if best is None or cost < best[0]:
            best = (cost, gd, gp)
    return best[1], best[2]


class EntityBatches(keras.utils.PyDataset):
    """Batches of ``{unique tokens, per-pair indices}`` for :func:`model.entity_view`.

    Args:
        smiles_tokens: (n_drugs, Ls) encoded unique drugs.
        protein_tokens: (n_proteins, Lp) encoded unique proteins.
        drug_index, protein_index: (n_pairs,) entity index of each pair.
        y: (n_pairs,) targets, or None for prediction.
        batch_pairs: about how many pairs per batch.
        shuffle: new random groups and batch order every epoch (False: fixed order).
        pad_entities: pad the unique-entity counts to multiples of 8 (fewer distinct
            shapes, which JAX compiles once each); the default does so on JAX only.
    """

    def __init__(self, smiles_tokens, protein_tokens, drug_index, protein_index, y=None,
                 batch_pairs=512, shuffle=True, seed=0, pad_entities=None, **kwargs):
        super().__init__(**kwargs)
        self.smiles_tokens = np.asarray(smiles_tokens, dtype=np.int32)
        self.protein_tokens = np.asarray(protein_tokens, dtype=np.int32)
        self.drug_index = np.asarray(drug_index, dtype=np.int64)
        self.protein_index = np.asarray(protein_index, dtype=np.int64)
        if self.drug_index.shape != self.protein_index.shape:
            raise ValueError("drug_index and protein_index must have the same length.")
        n = self.drug_index.size
        if n == 0:
            raise ValueError("EntityBatches needs at least one pair.")
        self.y = None if y is None else np.asarray(y, dtype=np.float32).reshape(n, -1)
        self.shuffle = shuffle
        self.rng = np.random.default_rng(seed)
        self.pad_entities = (keras.backend.backend() == "jax") if pad_entities is None else pad_entities
        self.batches = max(1, math.ceil(n / int(batch_pairs)))
        self.pairs_per_batch = math.ceil(n / self.batches)
        used_drugs = np.unique(self.drug_index)
        used_proteins = np.unique(self.protein_index)
        self.drug_groups, self.protein_groups = plan_groups(
            n, used_drugs.size, used_proteins.size, self.smiles_tokens.shape[1],
            1.5 * self.protein_tokens.shape[1], self.batches,
        )
        self._used = (used_drugs, used_proteins)
        self._order = None
        self._make_order()

    def _make_order(self):
        used_drugs, used_proteins = self._used
        drug_group = np.zeros(self.smiles_tokens.shape[0], dtype=np.int64)
        protein_group = np.zeros(self.protein_tokens.shape[0], dtype=np.int64)
        if self.shuffle:
            drug_group[self.rng.permutation(used_drugs)] = np.arange(used_drugs.size) % self.drug_groups
            protein_group[self.rng.permutation(used_proteins)] = np.arange(used_proteins.size) % self.protein_groups
            tie_break = self.rng.random(self.drug_index.size)
        else:
            drug_group[used_drugs] = np.arange(used_drugs.size) % self.drug_groups
            protein_group[used_proteins] = np.arange(used_proteins.size) % self.protein_groups
            tie_break = np.arange(self.drug_index.size)
        block = drug_group[self.drug_index] * self.protein_groups + protein_group[self.protein_index]
        order = np.lexsort((tie_break, block))
        chunks = np.array_split(order, self.batches)
        if self.shuffle:
            chunks = [chunks[i] for i in self.rng.permutation(len(chunks))]
        self._order = chunks

    def __len__(self):
        return self.batches

    def pair_indices(self, index):
        """The pair indices (into the arrays given) of batch ``index``."""
        return self._order[index]

    def _pad(self, unique):
        if not self.pad_entities:
            return unique
        extra = (-unique.size) % 8
        return np.concatenate([unique, np.repeat(unique[:1], extra)]) if extra else unique

    def __getitem__(self, index):
        return self._batch(self._order[index], self.pairs_per_batch)

    def worker_batch(self, index, worker, workers):
        """Worker ``worker``'s share of batch ``index`` (every ``workers``-th pair), with only its entities."""
        return self._batch(self._order[index][worker::workers], -(-self.pairs_per_batch // workers))

    def _batch(self, pairs, pairs_per_batch):
        drugs, drug_pos = np.unique(self.drug_index[pairs], return_inverse=True)
        proteins, protein_pos = np.unique(self.protein_index[pairs], return_inverse=True)
        drugs, proteins = self._pad(drugs), self._pad(proteins)
        x = {
            "unique_smiles_tokens": self.smiles_tokens[drugs],
            "unique_protein_tokens": self.protein_tokens[proteins],
            "drug_index": drug_pos.astype(np.int32).ravel(),
            "protein_index": protein_pos.astype(np.int32).ravel(),
        }
        if self.y is None:
            return (x,)
        if not self.pad_entities or pairs.size == pairs_per_batch:
            return x, self.y[pairs]
        # JAX: a fixed batch size; padded pairs repeat pair 0 with sample weight 0.
        extra = pairs_per_batch - pairs.size
        x["drug_index"] = np.concatenate([x["drug_index"], np.zeros(extra, np.int32)])
        x["protein_index"] = np.concatenate([x["protein_index"], np.zeros(extra, np.int32)])
        y = np.concatenate([self.y[pairs], np.repeat(self.y[pairs[:1]], extra, axis=0)])
        weights = np.concatenate([np.ones(pairs.size, np.float32), np.zeros(extra, np.float32)])
        return x, y, weights

    def on_epoch_end(self):
        if self.shuffle:
            self._make_order()


class PairBatches(keras.utils.PyDataset):
    """The plain reference: per-pair token arrays ``[smiles[d], protein[p]]`` in random order."""

    def __init__(self, smiles_tokens, protein_tokens, drug_index, protein_index, y=None,
                 batch_size=256, shuffle=True, seed=0, **kwargs):
        super().__init__(**kwargs)
        self.smiles_tokens = np.asarray(smiles_tokens, dtype=np.int32)
        self.protein_tokens = np.asarray(protein_tokens, dtype=np.int32)
        self.drug_index = np.asarray(drug_index)
        self.protein_index = np.asarray(protein_index)
        self.y = None if y is None else np.asarray(y, dtype=np.float32).reshape(len(self.drug_index), -1)
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.rng = np.random.default_rng(seed)
        self.order = self.rng.permutation(self.drug_index.size) if shuffle else np.arange(self.drug_index.size)

    def __len__(self):
        return math.ceil(self.drug_index.size / self.batch_size)

    def __getitem__(self, index):
        pairs = self.order[index * self.batch_size:(index + 1) * self.batch_size]
        x = {"smiles_tokens": self.smiles_tokens[self.drug_index[pairs]],
             "protein_tokens": self.protein_tokens[self.protein_index[pairs]]}
        return (x,) if self.y is None else (x, self.y[pairs])

    def on_epoch_end(self):
        if self.shuffle:
            self.order = self.rng.permutation(self.drug_index.size)
