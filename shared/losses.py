"""Losses Keras lacks in the form cnnkit's integer-label tasks need."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="cnnkit")
class SparseCategoricalCrossentropyWithLabelSmoothing(keras.losses.Loss):
    """Softmax cross-entropy on integer labels with label smoothing (Szegedy et al. 2016).

    Keras offers smoothing only on one-hot labels; this takes the integer labels every cnnkit
    classifier uses. The target is ``(1 - label_smoothing)`` on the true class plus
    ``label_smoothing / classes`` everywhere; airbench trains CIFAR-10 with 0.2.
    """

    def __init__(self, label_smoothing=0.1, name="sparse_categorical_crossentropy_with_label_smoothing",
                 **kwargs):
        if not 0.0 <= float(label_smoothing) < 1.0:
            raise ValueError(f"label_smoothing must be in [0, 1), got {label_smoothing!r}.")
        super().__init__(name=name, **kwargs)
        self.label_smoothing = float(label_smoothing)

    def call(self, y_true, y_pred):
        labels = ops.cast(ops.reshape(y_true, (-1,)), "int32")
        one_hot = ops.one_hot(labels, ops.shape(y_pred)[-1], dtype=y_pred.dtype)
        return keras.losses.categorical_crossentropy(one_hot, y_pred, label_smoothing=self.label_smoothing)

    def get_config(self):
        return {**super().get_config(), "label_smoothing": self.label_smoothing}
