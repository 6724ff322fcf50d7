"""Single-label classification: softmax output, softmax cross-entropy loss."""

import keras

from shared.tasks.task import Task


@keras.saving.register_keras_serializable(package="cnnkit")
class Classifier(Task):
    """Backbone + ``Dense(num_classes)`` logits + softmax; sparse categorical cross-entropy.

    The logits layer is named ``"logits"`` so fine-tuning can extend it and
    ``logits_model()`` can read the scores before the softmax. ``class_names`` (one per
    output, in output order) are saved in the config, so a ``.keras`` file alone names its
    classes; a model saved without them has ``class_names_known`` False and names its classes
    ``"0"``, ``"1"``, ...
    """

    def __init__(self, backbone, num_classes, head_kernel_constraint=None, class_names=None, **kwargs):
        if not isinstance(num_classes, int) or num_classes < 2:
            raise ValueError(f"num_classes must be an int >= 2, got {num_classes!r}.")
        if class_names is not None and len(class_names) != num_classes:
            raise ValueError(f"The 'class_names' parameter of {type(self).__name__} must have one name per class "
                             f"({num_classes}); got {len(class_names)}.")
        self.num_classes = num_classes
        self._class_names = None if class_names is None else tuple(str(name) for name in class_names)
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

    @property
    def class_names(self) -> tuple:
        """The class names in output order (``"0"``, ``"1"``, ... when the model was saved without them)."""
        return self._class_names or tuple(str(i) for i in range(self.num_classes))

    @class_names.setter
    def class_names(self, names):
        if names is not None and len(names) != self.num_classes:
            raise ValueError(f"{len(names)} class names for a model with {self.num_classes} classes.")
        self._class_names = None if names is None else tuple(str(name) for name in names)

    @property
    def class_names_known(self) -> bool:
        """Whether the model carries its class names (saved before they moved into the model: no)."""
        return self._class_names is not None

    def predict_class_names(self, x, batch_size=256):
        """The name of the most probable class of each input."""
        probabilities = self.predict(x, batch_size=batch_size, verbose=0)
        return [self.class_names[i] for i in probabilities.argmax(axis=-1)]

    def logits_model(self):
        """A model from the same inputs to the pre-softmax class scores."""
        return keras.Model(self.inputs, self.get_layer("logits").output)

    def get_config(self):
        config = super().get_config()
        config.update(
            num_classes=self.num_classes,
            head_kernel_constraint=keras.constraints.serialize(self.head_kernel_constraint),
            class_names=None if self._class_names is None else list(self._class_names),
        )
        return config
