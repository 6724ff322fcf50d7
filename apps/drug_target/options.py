"""Training options that ``cnnkit dta train`` and ``cnnkit dta baseline`` share: their defaults and checks.

Kept free of heavy imports: the command line reads the defaults for ``--help`` and checks the
options before it loads Keras or the data.
"""

from __future__ import annotations

from numbers import Integral

from shared.validation import Interval, invalid_parameter

# Epochs without a better validation score before `cnnkit dta train` stops. On Human (random split)
# the validation AUROC improves in steps a few epochs apart before it levels off; ten epochs wait
# out those steps (benchmarks/dta_small_data.py checks it on small training sets).
DEFAULT_PATIENCE = 10
# The share of the pairs a split drawn from the data sets aside for validation (DeepDTA's 80/10/10).
DEFAULT_VALID_FRACTION = 0.1
# Below this many training pairs `cnnkit dta train` suggests comparing with `cnnkit dta baseline`:
# on a few thousand pairs fingerprint models are often as good as the CNN.
SMALL_DATA_PAIRS = 5000


def check_training_options(owner="train", spelled=str, patience=None, weight_decay=None, valid_fraction=None):
    """Raise ``InvalidParameterError`` for a bad ``patience`` (an int >= 0), ``weight_decay`` (>= 0)
    or ``valid_fraction`` (in (0, 1)); None passes. ``spelled(name)`` is how the message names a
    parameter of ``owner`` (``--valid-fraction`` on the command line)."""
    if patience is not None and not (isinstance(patience, Integral) and not isinstance(patience, bool)
                                     and patience >= 0):
        raise invalid_parameter(owner, spelled("patience"), "an int >= 0 (0: no early stopping)", patience)
    if weight_decay is not None and not Interval(0, float("inf"), "left").is_satisfied_by(weight_decay):
        raise invalid_parameter(owner, spelled("weight_decay"), "a float >= 0 (0: Adam without weight decay)",
                                weight_decay)
    if valid_fraction is not None and not Interval(0, 1, "neither").is_satisfied_by(valid_fraction):
        raise invalid_parameter(owner, spelled("valid_fraction"), "a float in (0, 1)", valid_fraction)
