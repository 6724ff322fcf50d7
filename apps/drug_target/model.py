"""DeepDTA (Öztürk et al. 2018) on the shared backbone, plus its entity-batched view.

The saved model is the plain per-pair network: inputs ``[smiles_tokens, protein_tokens]``
-> two ``shared.Backbone`` 1-D token branches (embedding 128, 3 convs of 32/64/96 filters,
global max pooling) -> concatenation -> ``shared.Regressor`` head (1024-1024-512, dropout
0.1, MSE) or ``shared.MultiLabelClassifier(..., 1)`` for binary interaction.

:func:`entity_view` builds a second functional model from the *same layers*: it takes
the unique drugs and proteins of a batch plus per-pair indices, encodes each entity once
and gathers. Training it trains the per-pair model (the variables are shared).
"""

from __future__ import annotations

from pathlib import Path

import keras

from apps.drug_target.encoders import ProteinEncoder, SmilesEncoder, encode_entities
from shared import Backbone, MultiLabelClassifier, Regressor

TASKS = ("affinity", "interaction")


@keras.saving.register_keras_serializable(package="cnnkit")
class EntityGather(keras.layers.Layer):
    """``features[index]`` along the batch axis: per-entity features -> per-pair features."""

    def call(self, inputs):
        features, index = inputs
        return keras.ops.take(features, keras.ops.cast(index, "int32"), axis=0)

    def compute_output_shape(self, input_shapes):
        features, index = input_shapes
        return (index[0],) + tuple(features[1:])


@keras.saving.register_keras_serializable(package="cnnkit")
class SplitFingerprint(keras.layers.Layer):
    """An encoded drug row -> ``(its SMILES tokens, its ECFP bits as floats)``.

    The row is what ``SmilesEncoder(smiles_length, fingerprint_bits)`` writes: ``smiles_length``
    tokens, then ``fingerprint_bits`` 0/1 ints. One int input keeps every batching, gathering and
    export path of the two-input DeepDTA unchanged.
    """

    def __init__(self, smiles_length, fingerprint_bits, **kwargs):
        super().__init__(**kwargs)
        self.smiles_length, self.fingerprint_bits = int(smiles_length), int(fingerprint_bits)

    def call(self, inputs):
        tokens = inputs[:, : self.smiles_length]
        bits = keras.ops.cast(inputs[:, self.smiles_length:], self.compute_dtype)
        return tokens, bits

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.smiles_length), (input_shape[0], self.fingerprint_bits)

    def get_config(self):
        return {**super().get_config(), "smiles_length": self.smiles_length,
                "fingerprint_bits": self.fingerprint_bits}


def _drug_branch(smiles_length, fingerprint_bits, fingerprint_units, **backbone):
    """The drug encoder: DeepDTA's SMILES CNN, or that CNN's pooled vector concatenated with a
    dense projection of the drug's ECFP bits (one model either way, named ``drug_branch``)."""
    if not fingerprint_bits:
        return Backbone((smiles_length,), name="drug_branch", **backbone)
    cnn = Backbone((smiles_length,), name="drug_cnn", **backbone)
    row = keras.Input((smiles_length + fingerprint_bits,), dtype="int32", name="drug_row")
    tokens, bits = SplitFingerprint(smiles_length, fingerprint_bits, name="split_fingerprint")(row)
    fingerprint = keras.layers.Dense(fingerprint_units, activation="relu", name="fingerprint_dense")(bits)
    features = keras.layers.Concatenate(name="drug_features")([cnn(tokens), fingerprint])
    return keras.Model(row, features, name="drug_branch")


def build_deepdta(
    task: str = "affinity",
    smiles_length: int = 85,
    protein_length: int = 1200,
    embed_dim: int = 128,
    filters=(32, 64, 96),
    smiles_kernels=(4, 6, 8),
    protein_kernels=(4, 8, 12),
    hidden_units=(1024, 1024, 512),
    dropout: float = 0.1,
    global_pooling: str = "max",
    mask_padding: bool = False,
    padding: str = "valid",
    fingerprint_bits: int = 0,
    fingerprint_units: int = 128,
):
    """DeepDTA as a ``shared`` task model, compiled with the task's defaults.

    The defaults are the Davis preset (``presets.PRESETS["davis"]["config"]``); the other
    architectures of ``presets.ARCHITECTURES`` change only these arguments:

    - ``global_pooling="attention"`` pools each branch's feature map by learned attention
      (:class:`shared.layers.GlobalAttentionPooling`) instead of DeepDTA's max; with
      ``mask_padding=True`` that attention gives the padding after a short input no weight;
    - a kernel entry that is a tuple, such as ``smiles_kernels=[(4, 6, 8)] * 3``, makes that
      stage multi-scale: parallel convolutions of those widths, concatenated. Branches of
      different widths line up only with ``padding="same"``;
    - ``fingerprint_bits`` > 0 concatenates a ``fingerprint_units``-wide dense projection of the
      drug's ECFP4 bits to the learned drug vector. The drug input then holds the SMILES tokens
      followed by the bits (``SmilesEncoder(smiles_length, fingerprint_bits)``; the commands
      encode for each model as it needs, see :func:`drug_encoder`).

    Train at another rate with ``model.compile(optimizer=keras.optimizers.Adam(rate))``: the
    loss stays the task's (mean squared error, or binary cross-entropy for interaction).
    """
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}.")
    multiscale = any(isinstance(k, (tuple, list)) and len(k) > 1
                     for k in (*smiles_kernels, *protein_kernels))
    if multiscale and padding != "same":
        raise ValueError(f"The 'padding' parameter of build_deepdta must be 'same' when a stage has parallel "
                         f"kernels (multi-scale branches of different widths must line up); got {padding!r}.")
    smiles_vocab = SmilesEncoder(smiles_length).vocab_size
    protein_vocab = ProteinEncoder(protein_length).vocab_size
    branch = dict(filters=list(filters), conv_dims=1, embed_dim=embed_dim, pooling=None,
                  padding=padding, global_pooling=global_pooling, mask_padding=mask_padding)
    drug_branch = _drug_branch(smiles_length, fingerprint_bits, fingerprint_units,
                               kernel_size=_per_stage_kernels(smiles_kernels), vocab_size=smiles_vocab, **branch)
    protein_branch = Backbone((protein_length,), kernel_size=_per_stage_kernels(protein_kernels),
                              vocab_size=protein_vocab, name="protein_branch", **branch)
    smiles_tokens = keras.Input((smiles_length + fingerprint_bits,), dtype="int32", name="smiles_tokens")
    protein_tokens = keras.Input((protein_length,), dtype="int32", name="protein_tokens")
    joined = keras.layers.Concatenate(name="pair_features")(
        [drug_branch(smiles_tokens), protein_branch(protein_tokens)]
    )
    pair_backbone = keras.Model([smiles_tokens, protein_tokens], joined, name="deepdta_backbone")
    head = dict(hidden_units=tuple(hidden_units), dropout=dropout)
    if task == "affinity":
        return Regressor(pair_backbone, outputs=1, name="deepdta_affinity", **head)
    return MultiLabelClassifier(pair_backbone, 1, name="deepdta_interaction", **head)


def _per_stage_kernels(kernels):
    """One entry per stage for ``Backbone``: an int, or a tuple of parallel widths (JSON gives lists)."""
    return [tuple(k) if isinstance(k, (tuple, list)) else k for k in kernels]


def load_model(path):
    """A model written by ``cnnkit dta train`` or a preset name (``deepdta_davis``; its file is
    checksum-checked), and its task: ``(model, "affinity" | "interaction")``."""
    from shared.presets import is_preset, preset_file

    path = preset_file(str(path)) if is_preset(str(path)) else Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such model file; expected the model.keras written by `cnnkit dta train` "
                                "or a preset name (`cnnkit presets`).")
    model = keras.models.load_model(path, compile=False)
    task = "interaction" if isinstance(model, MultiLabelClassifier) else "affinity"
    return model, task


def branches(model):
    """The (drug, protein) branch backbones of a DeepDTA task model."""
    backbone = model.backbone if hasattr(model, "backbone") else model.get_layer("deepdta_backbone")
    return backbone.get_layer("drug_branch"), backbone.get_layer("protein_branch")


def head_layers(model):
    """The layers after the joined backbone (dense head and output), in order."""
    backbone = model.backbone
    layers, seen = [], False
    for layer in model.layers:
        if seen:
            layers.append(layer)
        if layer is backbone:
            seen = True
    if not seen:
        raise ValueError("Not a DeepDTA task model: its backbone is not among its layers.")
    return layers


def fingerprint_bits(model) -> int:
    """How many ECFP bits follow the SMILES tokens in ``model``'s drug input (0: none)."""
    drug, _ = branches(model)
    split = [layer for layer in drug.layers if isinstance(layer, SplitFingerprint)]
    return split[0].fingerprint_bits if split else 0


def input_lengths(model) -> tuple[int, int]:
    """(SMILES, protein) maximum lengths read from a model's input shapes."""
    drug, protein = branches(model)
    return int(drug.input_shape[1]) - fingerprint_bits(model), int(protein.input_shape[1])


def drug_encoder(model) -> SmilesEncoder:
    """The encoder of the drug input ``model`` reads: its SMILES length, and its ECFP bits if any."""
    return SmilesEncoder(input_lengths(model)[0], fingerprint_bits(model))


def encode_entities_for(model, pair_data):
    """``encoders.encode_entities`` as ``model`` reads its inputs (lengths, ECFP bits)."""
    return encode_entities(pair_data, *input_lengths(model), fingerprint_bits=fingerprint_bits(model))


def entity_view(model):
    """A model over unique entities + indices that shares every variable with ``model``.

    Inputs: ``unique_smiles_tokens`` (U_d, Ls), ``unique_protein_tokens`` (U_p, Lp),
    ``drug_index`` (B,), ``protein_index`` (B,). Output: the same (B, 1) predictions the
    per-pair model gives for ``[smiles[drug_index], proteins[protein_index]]``.
    The view is compiled as ``model`` is (its loss, metrics and optimizer settings, with an
    optimizer of its own), so training it trains ``model`` the way ``model.fit`` would.
    """
    drug_branch, protein_branch = branches(model)
    ls, lp = input_lengths(model)
    unique_smiles = keras.Input((ls + fingerprint_bits(model),), dtype="int32", name="unique_smiles_tokens")
    unique_proteins = keras.Input((lp,), dtype="int32", name="unique_protein_tokens")
    drug_index = keras.Input((), dtype="int32", name="drug_index")
    protein_index = keras.Input((), dtype="int32", name="protein_index")
    drug_features = EntityGather(name="gather_drugs")([drug_branch(unique_smiles), drug_index])
    protein_features = EntityGather(name="gather_proteins")([protein_branch(unique_proteins), protein_index])
    x = keras.layers.Concatenate(name="entity_pair_features")([drug_features, protein_features])
    for layer in head_layers(model):
        x = layer(x)
    view = keras.Model([unique_smiles, unique_proteins, drug_index, protein_index], x,
                       name=f"{model.name}_entity_view")
    compile_config = model.get_compile_config()
    if compile_config:
        view.compile_from_config(compile_config)
    return view


def head_model(model):
    """Pair features (drug ++ protein) -> output, sharing the head layers of ``model``."""
    drug_branch, protein_branch = branches(model)
    width = drug_branch.output_shape[-1] + protein_branch.output_shape[-1]
    features = keras.Input((width,), name="pair_features_in")
    x = features
    for layer in head_layers(model):
        x = layer(x)
    return keras.Model(features, x, name=f"{model.name}_head")
