"""Drug-target affinity (DeepDTA) and interaction prediction on SMILES + protein sequences.

Chemistry goes through RDKit (parse, validate, canonicalise, ECFP, drawings); the model is
two token CNN branches from ``shared.Backbone`` joined under a ``shared`` task head.
"""

from shared.lazy_names import lazy_attributes

# Every name loads on first use, so that `import apps.drug_target` (and `cnnkit dta --help`)
# starts neither RDKit, scikit-learn nor Keras.
_EXPORTS = {
    "canonicalize_smiles": "chemistry", "morgan_fingerprints": "chemistry",
    "ProteinEncoder": "encoders", "SmilesEncoder": "encoders",
    "concordance_index": "metrics", "regression_metrics": "metrics", "classification_metrics": "metrics",
    "build_deepdta": "model", "load_model": "model",
    "evaluate": "predict", "predict_frame": "predict",
}
__all__ = sorted(_EXPORTS)


__getattr__ = lazy_attributes(__name__, _EXPORTS)
