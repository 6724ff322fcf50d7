"""Tasks: a backbone with a head and a loss."""

from shared.runtime import predict_in_batches  # Keras-free: the ONNX commands use it too
from shared.tasks.classifier import Classifier
from shared.tasks.multi_label_classifier import MultiLabelClassifier
from shared.tasks.regressor import Regressor
from shared.tasks.task import Task

__all__ = ["Classifier", "MultiLabelClassifier", "Regressor", "Task", "predict_in_batches"]
