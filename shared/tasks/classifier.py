"""Single-label classification: softmax output, softmax cross-entropy loss."""

import keras

from shared.tasks.task import Task


@keras.saving.register_keras_serializable(package="cnnkit")
class Classifier(Task):
    """Backbone + ``Dense(num_classes)`` logits + softmax; sparse categorical cross-entropy.

    The logits layer is named ``"logits"`` so fine-tuning can extend it and
    ``logits_model()`` can read the scores before the softmax.
    """

    def __init__(self, backbone, num_classes, head_kernel_constraint=None, **kwargs):
        if not isinstance(num_classes, int) or num_classes < 2:
            raise ValueError(f"num_classes must be an int >= 2, got {num_classes!r}.")
        self.num_classes = num_classes
        self.head_kernel_constraint = keras.constraints.get(head_kernel_constraint)
        super().__init__(backbone, **kwargs)

    def _build_head(self, features):
        logits = keras.layers.Dense(
            self.num_classes, kernel_constraint=self.head_kernel_constraint, name="logits"
        )(features)
        return keras.layers.Activation("softmax", dtype="float32", name="predictions")(logits)

    def default_loss(self):
        return keras.losses.SparseCategoricalCrossentropy()

    def default_metrics(self):
        metrics = [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]
        if self.num_classes > 5:
            metrics.append(keras.metrics.SparseTopKCategoricalAccuracy(k=5, name="top5_accuracy"))
        return metrics

    def logits_model(self):
        """A model from the same inputs to the pre-softmax class scores."""
        return keras.Model(self.inputs, self.get_layer("logits").output)

    def get_config(self):
        config = super().get_config()
        config.update(
            num_classes=self.num_classes,
            head_kernel_constraint=keras.constraints.serialize(self.head_kernel_constraint),
        )
        return config
