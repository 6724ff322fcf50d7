"""A short end-to-end run on real data: Kim CNN-rand on MR movie-review polarity."""

from __future__ import annotations

import time

from shared.cli import fast_mode


def run(fast: bool | None = None) -> dict:
    """Train on a slice of MR, test on a stratified hold-out; one summary row.

    ``fast=True``: 600 sentences, 1 epoch. ``fast=False``: 4,000 sentences, up to 3 epochs
    with early stopping. ``fast=None`` follows ``CNNKIT_FAST`` (``shared.cli.fast_mode``).
    """
    import keras

    from apps.text_classification.data import load_dataset, split_holdout
    from apps.text_classification.train import evaluate, train_model

    if fast is None:
        fast = fast_mode()
    start = time.perf_counter()
    keras.utils.set_random_seed(0)
    dataset = load_dataset("mr").subset(600 if fast else 4000, seed=0)
    train_texts, train_labels, test_texts, test_labels = split_holdout(
        dataset.train_texts, dataset.train_labels, 0.1, 0)
    classifier, _, info = train_model(train_texts, train_labels, dataset.label_names, model="kim",
                                      epochs=1 if fast else 3, patience=1, verbose=0, trained_on="mr",
                                      learning_rate=5e-4 if not fast else 1e-3)
    accuracy = evaluate(classifier, test_texts, test_labels)["accuracy"]
    return {"app": "text_classification", "task": "sentence polarity (Kim 2014 CNN-rand)",
            "data": f"mr ({len(train_texts)} train / {len(test_texts)} test sentences)",
            "metric": "accuracy", "value": float(accuracy), "seconds": time.perf_counter() - start}


if __name__ == "__main__":
    print(run(fast=fast_mode()))
