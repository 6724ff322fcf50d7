"""Tasks: a backbone with a head and a loss."""

from shared.tasks.classifier import Classifier
from shared.tasks.multi_label_classifier import MultiLabelClassifier
from shared.tasks.regressor import Regressor
from shared.tasks.task import Task, predict_in_batches

__all__ = ["Classifier", "MultiLabelClassifier", "Regressor", "Task", "predict_in_batches"]
