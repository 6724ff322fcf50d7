"""Average the weights of networks fine-tuned from one parent (a "model soup").

Wortsman et al. (2022) showed that networks fine-tuned from the same pre-trained weights
with different data, seeds or settings usually sit in one basin of the loss, so the mean of
their weights is a single network at least as good as the best of them, often better, at
the cost of one: unlike an ensemble, it adds no inference work. Networks trained from
different initialisations do not average (their units are not aligned); nothing here can
detect that, so it is the caller's promise.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def average_weights(models: Sequence, coefficients: Sequence[float] | None = None) -> list[np.ndarray]:
    """The weighted mean of the weights of ``models`` (``keras.Model``s of one architecture).

    Args:
        models: two or more models whose ``get_weights()`` lists match in length and shapes.
        coefficients: one non-negative weight per model (default: uniform); normalised to sum 1.

    Returns:
        A list of arrays in ``get_weights()`` order, each in the dtype of the first model's.
    """
    if len(models) < 2:
        raise ValueError(f"average_weights needs two or more models, got {len(models)}")
    if coefficients is None:
        coefficients = [1.0] * len(models)
    coefficients = np.asarray(coefficients, dtype="float64")
    if coefficients.shape != (len(models),) or np.any(coefficients < 0) or coefficients.sum() <= 0:
        raise ValueError(
            f"coefficients must be {len(models)} non-negative numbers with a positive sum, got {coefficients.tolist()}"
        )
    coefficients = coefficients / coefficients.sum()
    weight_lists = [model.get_weights() for model in models]
    first = models[0]
    variables = [variable.path for variable in first.weights]
    for index, (model, weights) in enumerate(zip(models[1:], weight_lists[1:]), start=1):
        if len(weights) != len(weight_lists[0]):
            raise ValueError(
                f"model {index} ({model.name!r}) has {len(weights)} weight arrays, model 0 ({first.name!r}) "
                f"has {len(weight_lists[0])}: only networks of one architecture can be averaged"
            )
        for name, mine, theirs in zip(variables, weight_lists[0], weights):
            if mine.shape != theirs.shape:
                raise ValueError(
                    f"weight {name!r} has shape {theirs.shape} in model {index} ({model.name!r}) but "
                    f"{mine.shape} in model 0 ({first.name!r}): only networks of one architecture can be averaged"
                )
    return [
        np.tensordot(coefficients, np.stack([weights[i] for weights in weight_lists]).astype("float64"), axes=1)
        .astype(weight_lists[0][i].dtype)
        for i in range(len(weight_lists[0]))
    ]
