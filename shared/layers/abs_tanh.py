"""The |tanh| activation of the classic CNN literature (Jarrett et al. 2009)."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="cnnkit")
def abs_tanh(x):
    """Rectified hyperbolic tangent: ``|tanh(x)|``, a saturating, sign-free non-linearity."""
    return ops.abs(ops.tanh(x))
