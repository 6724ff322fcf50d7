"""Build, train, evaluate and cross-validate text classifiers (the Python API behind ``cnnkit text``)."""

from __future__ import annotations

import time

import keras
import numpy as np

from apps.text_classification.batching import LengthBucketedBatches
from apps.text_classification.data import split_holdout
from apps.text_classification.models import build_model, make_encoder
from apps.text_classification.presets import model_settings
from apps.text_classification.vectors import load_word_vectors
from shared.callbacks import ResumableEarlyStopping
from shared.runtime import predict_in_batches
from shared.training import fit as shared_fit


def fit(model, train, validation, epochs, batch_size, patience=None, seed=0, checkpoint_dir=None,
        verbose="auto", bucket=False, resume=True):
    """``shared.training.fit`` with early stopping on validation accuracy (best weights restored).

    ``bucket=True`` feeds length-bucketed batches (models that accept any length only). With
    ``checkpoint_dir`` a rerun resumes, early stopping's best weights included, and ends as an
    uninterrupted run would (``resume=False`` starts over).
    """
    callbacks = []
    if bucket:
        train = LengthBucketedBatches(train[0], train[1], batch_size=batch_size, seed=seed)
    if patience and validation is not None:
        callbacks.append(ResumableEarlyStopping(monitor="val_accuracy", mode="max", patience=patience,
                                                restore_best_weights=True))
    return shared_fit(model, train, validation=validation, epochs=epochs, batch_size=batch_size,
                      checkpoint_dir=checkpoint_dir, seed=seed, callbacks=callbacks, verbose=verbose, resume=resume)


def train_model(texts, labels, label_names, model="kim", variant="rand", dev=None, vectors=None, epochs=10,
                max_length=None, lowercase=True, patience=3, seed=0, trained_on=None, checkpoint_dir=None,
                verbose="auto", dev_fraction=0.1, bucket=True, resume=True, min_count=1, **overrides):
    """Fit the encoder on ``texts`` only, build ``model`` and train it.

    ``dev=(texts, labels)`` drives early stopping; without it ``dev_fraction`` of the
    training texts is held out (Kim 2014 used 10%). ``min_count`` keeps the words seen at least that
    often in ``texts`` (``TextEncoder``). ``bucket`` pads each batch only to its
    longest text (Kim CNN only; same model, less padding). With ``checkpoint_dir`` a rerun resumes
    (``resume=False`` starts over). Returns ``(classifier, history, info)``.
    """
    keras.utils.set_random_seed(seed)
    labels = np.asarray(labels, dtype="int32")
    if len(set(labels.tolist())) < 2:
        raise ValueError("The training labels have only one class; a classifier needs at least two.")
    if dev is None and dev_fraction:
        texts, labels, dev_texts, dev_labels = split_holdout(list(texts), labels, dev_fraction, seed)
        dev = (dev_texts, dev_labels)
    encoder = make_encoder(model, lowercase=lowercase, max_length=max_length, min_count=min_count).fit(texts)
    embeddings, vector_report = None, {}
    if model == "kim" and variant != "rand":
        if not vectors:
            raise ValueError(f"The {variant!r} variant needs a word vector file (--vectors FILE).")
        embeddings = load_word_vectors(vectors, encoder.vocabulary, seed=seed, report=vector_report)
    elif vectors and model != "kim":
        raise ValueError("--vectors is only used by the Kim CNN (static, nonstatic, multichannel).")
    classifier = build_model(model, encoder, label_names, variant=variant, embeddings=embeddings,
                             trained_on=trained_on, **overrides)
    x, report = encoder.encode(texts, return_report=True)
    validation = None
    if dev is not None:
        validation = (encoder.encode(dev[0]), np.asarray(dev[1], dtype="int32"))
    batch_size = overrides.get("batch_size") or model_settings(model, variant)["batch_size"]
    start = time.perf_counter()
    history = fit(classifier, (x, labels), validation, epochs=epochs, batch_size=batch_size, patience=patience,
                  seed=seed, checkpoint_dir=checkpoint_dir, verbose=verbose, bucket=bucket and model == "kim",
                  resume=resume)
    seconds = time.perf_counter() - start
    epochs_run = len(history.history.get("loss", []))
    info = dict(train_texts=len(texts), dev_texts=0 if dev is None else len(dev[0]), epochs_run=epochs_run,
                train_seconds=seconds, sentences_per_second=len(texts) * epochs_run / max(seconds, 1e-9),
                truncated_train_texts=report["truncated"], vocab_size=encoder.vocab_size,
                max_length=encoder.max_length, vectors=vector_report or None, history=history.history)
    return classifier, history, info


def evaluate(classifier, texts, labels, batch_size=256):
    """Accuracy, macro F1 and the confusion matrix (scikit-learn) on raw texts."""
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score

    labels = np.asarray(labels, dtype="int32")
    x, report = classifier.encode(texts, return_report=True)
    probabilities = np.asarray(predict_in_batches(classifier, x, batch_size))
    predicted = probabilities.argmax(axis=1)
    classes = list(range(classifier.num_classes))
    return dict(
        accuracy=float(accuracy_score(labels, predicted)),
        macro_f1=float(f1_score(labels, predicted, labels=classes, average="macro", zero_division=0)),
        confusion_matrix=confusion_matrix(labels, predicted, labels=classes).tolist(),
        labels=list(classifier.label_names), count=int(len(labels)), truncated_texts=report["truncated"],
        unknown_token_rate=report["unknown_tokens"] / max(report["tokens"], 1),
    )


def cross_validate(texts, labels, label_names, folds=10, seed=0, progress=True, completed=None, on_fold=None,
                   **train_kwargs):
    """Stratified k-fold CV (Kim's protocol for MR and SUBJ): mean and std of test-fold accuracy.

    Each fold fits its own vocabulary on its training part and early-stops on 10% of it.
    ``completed`` ({fold: record}) skips folds already done (resume); ``on_fold(fold, record)``
    is called after each new fold, e.g. to save progress.
    """
    completed = dict(completed or {})
    from sklearn.model_selection import StratifiedKFold

    labels = np.asarray(labels, dtype="int32")
    if folds < 2:
        raise ValueError(f"folds must be at least 2, got {folds}.")
    counts = np.bincount(labels)
    if counts.max() < folds:
        raise ValueError(f"Every class has fewer than folds={folds} texts (largest: {counts.max()}); use fewer folds.")
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    splits = list(splitter.split(np.zeros(len(labels)), labels))
    iterator = splits
    if progress:
        from tqdm.auto import tqdm

        iterator = tqdm(splits, desc=f"{folds}-fold CV", unit="fold")
    accuracies, seconds, epochs = [], [], []
    train_kwargs.setdefault("verbose", 0)
    for fold, (train_index, test_index) in enumerate(iterator):
        if fold in completed:
            record = completed[fold]
        else:
            start = time.perf_counter()
            classifier, _, info = train_model([texts[i] for i in train_index], labels[train_index], label_names,
                                              seed=seed + fold, **train_kwargs)
            result = evaluate(classifier, [texts[i] for i in test_index], labels[test_index])
            record = dict(accuracy=result["accuracy"], seconds=time.perf_counter() - start,
                          epochs=info["epochs_run"], sentences_per_second=info["sentences_per_second"])
            keras.backend.clear_session()
            if on_fold is not None:
                on_fold(fold, record)
        accuracies.append(record["accuracy"])
        seconds.append(record["seconds"])
        epochs.append(record["epochs"])
    return dict(accuracy=float(np.mean(accuracies)), accuracy_std=float(np.std(accuracies)), folds=folds,
                fold_accuracies=accuracies, fold_seconds=seconds, fold_epochs=epochs)
