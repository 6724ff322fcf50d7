# %% [markdown]
# # Sentence classification with CNNs (Kim 2014)
#
# We train Kim's CNN-rand (filter windows 3/4/5 with 100 maps each, ReLU, max-over-time pooling, dropout 0.5,
# max-norm 3) on MR movie-review polarity, look at the learning curves and the confusion matrix, ask which
# n-grams won the max-over-time pooling, and compare the benchmark with the paper.
#
# With `CNNKIT_FAST=1` (the test suite) everything runs on a small slice for one epoch.
#
# ## A trained model in three lines
# cnnkit ships trained models, loadable by name (`cnnkit presets --app text` lists them with their test accuracy).
# `kim_rand_sst2` is Kim's CNN-rand trained on SST-2 (sentences and phrases); here it classifies three sentences of
# the SST-2 test set (numbers 0, 4 and 5; true labels negative, positive, positive).

# %%
from shared.presets import load_preset

classifier = load_preset('kim_rand_sst2')
classifier.predict_labels(["no movement , no yuks , not much of anything .", "this is one of polanski 's best films .",
                           "take care of my cat offers a refreshingly different slice of asian cinema ."])

# %% [markdown]
# ## Training one yourself

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import HTML, Markdown, display

from apps.text_classification import load_dataset, train_model
from apps.text_classification.data import split_holdout
from apps.text_classification.explain import explain, highlight_html
from apps.text_classification.train import evaluate
from shared.cli import fast_mode

FAST = fast_mode()
print('fast mode:', FAST)

# %% [markdown]
# ## Data
# MR is cp1252 text, one sentence per line; there is no official split, so we hold out a stratified 10% as the
# test set (the paper used 10-fold CV: `cnnkit text cv --data mr`).

# %%
dataset = load_dataset('mr')
if FAST:
    dataset = dataset.subset(800, seed=0)
train_texts, train_labels, test_texts, test_labels = split_holdout(
    dataset.train_texts, dataset.train_labels, 0.1, seed=0)
print(len(train_texts), 'training and', len(test_texts), 'test sentences;', dataset.label_names)
print(train_texts[0])

# %% [markdown]
# ## Train Kim CNN-rand
# The vocabulary is built on the training split only; 10% of it is the dev set for early stopping (best epoch
# kept).

# %%
classifier, history, info = train_model(
    train_texts, train_labels, dataset.label_names, model='kim', variant='rand',
    epochs=1 if FAST else 6, patience=2, learning_rate=5e-4, verbose=0 if FAST else 2)
print({k: info[k] for k in ('vocab_size', 'max_length', 'epochs_run', 'sentences_per_second')})

# %%
curves = pd.DataFrame(history.history)
curves.index = np.arange(1, len(curves) + 1)
fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
curves[['loss', 'val_loss']].plot(ax=axes[0], marker='o', title='loss')
curves[['accuracy', 'val_accuracy']].plot(ax=axes[1], marker='o', title='accuracy')
for ax in axes:
    ax.set_xlabel('epoch')
plt.tight_layout()

# %% [markdown]
# ## Test accuracy and confusion matrix

# %%
from sklearn.metrics import ConfusionMatrixDisplay

result = evaluate(classifier, test_texts, test_labels)
print(f"test accuracy {result['accuracy']:.3f}, macro F1 {result['macro_f1']:.3f}")
ConfusionMatrixDisplay(np.array(result['confusion_matrix']), display_labels=result['labels']).plot(colorbar=False)
plt.show()

# %% [markdown]
# ## Which n-grams decided?
# Each pooled feature is one filter's best window; its evidence for the predicted class is its value times its
# weight in the output layer. Darker = more evidence.

# %%
examples = test_texts[:4] + ['a gorgeous , witty and deeply moving film', 'a dull , lifeless and predictable mess']
for text in examples:
    found = explain(classifier, text, top=3)
    display(HTML(highlight_html(found)))
    print('   top n-grams:', [g['text'] for g in found['ngrams']])

# %% [markdown]
# ## The saved model takes raw text
# The `.keras` file holds the vocabulary and preprocessing.

# %%
import tempfile
from pathlib import Path

import keras

path = Path(tempfile.mkdtemp()) / 'mr_kim.keras'
classifier.save(path)
reloaded = keras.saving.load_model(path)
print(reloaded.predict_labels(['an utterly charming film', 'a tedious waste of time']))
np.testing.assert_allclose(reloaded.predict_texts(test_texts[:8]), classifier.predict_texts(test_texts[:8]),
                           rtol=1e-5, atol=1e-6)

# %% [markdown]
# ## Reproduction table
# Written by `python -m benchmarks.kim2014` (accuracy %, measured on a 2-core CPU next to Kim 2014, Table 2) and
# laid out by `benchmarks/tables/text_classification.py`, as in `docs/text_classification.md`. The page's
# second table gives the protocol and settings of each cell.

# %%
from benchmarks.tables.text_classification import kim2014_accuracy, kim2014_throughput

display(Markdown(kim2014_accuracy()))
display(Markdown(kim2014_throughput()))
