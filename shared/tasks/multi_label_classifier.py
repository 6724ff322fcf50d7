"""Multi-label (and binary) classification: sigmoid outputs, sigmoid cross-entropy."""

import keras

from shared.tasks.task import Task


@keras.saving.register_keras_serializable(package="cnnkit")
class MultiLabelClassifier(Task):
    """Backbone + ``Dense(num_labels, sigmoid)``; binary cross-entropy per label.

    ``num_labels=1`` is binary classification (e.g. drug-target interaction).
    """

    def __init__(self, backbone, num_labels, **kwargs):
        if not isinstance(num_labels, int) or num_labels < 1:
            raise ValueError(f"num_labels must be a positive int, got {num_labels!r}.")
        self.num_labels = num_labels
        super().__init__(backbone, **kwargs)

    def _build_head(self, features):
        logits = keras.layers.Dense(self.num_labels, name="logits")(features)
        return keras.layers.Activation("sigmoid", dtype="float32", name="predictions")(logits)

    def default_loss(self):
        return keras.losses.BinaryCrossentropy()

    def default_metrics(self):
        return [keras.metrics.BinaryAccuracy(name="accuracy"), keras.metrics.AUC(name="auc")]

    def get_config(self):
        config = super().get_config()
        config.update(num_labels=self.num_labels)
        return config
