"""Drug-target affinity (DeepDTA) and interaction prediction on SMILES + protein sequences.

Chemistry goes through RDKit (parse, validate, canonicalise, ECFP, drawings); the model is
two token CNN branches from ``shared.Backbone`` joined under a ``shared`` task head.
"""

from apps.drug_target.chemistry import canonicalize_smiles, morgan_fingerprints
from apps.drug_target.encoders import ProteinEncoder, SmilesEncoder
from apps.drug_target.metrics import concordance_index, regression_metrics, classification_metrics


def __getattr__(name):
    # The model pulls in Keras; keep `import apps.drug_target` light for the chemistry tools.
    if name == "build_deepdta":
        from apps.drug_target.model import build_deepdta

        return build_deepdta
    raise AttributeError(f"module 'apps.drug_target' has no attribute {name!r}")

__all__ = [
    "ProteinEncoder", "SmilesEncoder", "build_deepdta", "canonicalize_smiles",
    "classification_metrics", "concordance_index", "morgan_fingerprints", "regression_metrics",
]
