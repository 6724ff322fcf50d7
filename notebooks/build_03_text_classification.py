"""Build notebooks/03_text_classification.ipynb (run: python notebooks/build_03_text_classification.py)."""

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

cells = [
    new_markdown_cell(
        "# Sentence classification with CNNs (Kim 2014)\n\n"
        "We train Kim's CNN-rand (filter windows 3/4/5 with 100 maps each, ReLU, max-over-time pooling, "
        "dropout 0.5, max-norm 3) on MR movie-review polarity, look at the learning curves and the confusion "
        "matrix, ask which n-grams won the max-over-time pooling, and compare the benchmark with the paper.\n\n"
        "With `CNNKIT_FAST=1` (the test suite) everything runs on a small slice for one epoch."),
    new_code_cell(
        "import os\n\nimport matplotlib.pyplot as plt\nimport numpy as np\nimport pandas as pd\n"
        "from IPython.display import HTML, display\n\n"
        "from apps.text_classification import load_dataset, train_model\n"
        "from apps.text_classification.data import split_holdout\n"
        "from apps.text_classification.explain import explain, highlight_html\n"
        "from apps.text_classification.train import evaluate\n\n"
        "FAST = os.environ.get('CNNKIT_FAST', '') not in ('', '0')\nprint('fast mode:', FAST)"),
    new_markdown_cell("## Data\nMR is cp1252 text, one sentence per line; there is no official split, so we hold out a "
                      "stratified 10% as the test set (the paper used 10-fold CV: `cnnkit text cv --data mr`)."),
    new_code_cell(
        "dataset = load_dataset('mr')\nif FAST:\n    dataset = dataset.subset(800, seed=0)\n"
        "train_texts, train_labels, test_texts, test_labels = split_holdout(\n"
        "    dataset.train_texts, dataset.train_labels, 0.1, seed=0)\n"
        "print(len(train_texts), 'training and', len(test_texts), 'test sentences;', dataset.label_names)\n"
        "print(train_texts[0])"),
    new_markdown_cell("## Train Kim CNN-rand\nThe vocabulary is built on the training split only; 10% of it is the dev "
                      "set for early stopping (best epoch kept)."),
    new_code_cell(
        "classifier, history, info = train_model(\n    train_texts, train_labels, dataset.label_names, model='kim', "
        "variant='rand',\n    epochs=1 if FAST else 6, patience=2, learning_rate=5e-4, verbose=0 if FAST else 2)\n"
        "print({k: info[k] for k in ('vocab_size', 'max_length', 'epochs_run', 'sentences_per_second')})"),
    new_code_cell(
        "curves = pd.DataFrame(history.history)\ncurves.index = np.arange(1, len(curves) + 1)\n"
        "fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))\n"
        "curves[['loss', 'val_loss']].plot(ax=axes[0], marker='o', title='loss')\n"
        "curves[['accuracy', 'val_accuracy']].plot(ax=axes[1], marker='o', title='accuracy')\n"
        "for ax in axes:\n    ax.set_xlabel('epoch')\nplt.tight_layout()"),
    new_markdown_cell("## Test accuracy and confusion matrix"),
    new_code_cell(
        "from sklearn.metrics import ConfusionMatrixDisplay\n\n"
        "result = evaluate(classifier, test_texts, test_labels)\n"
        "print(f\"test accuracy {result['accuracy']:.3f}, macro F1 {result['macro_f1']:.3f}\")\n"
        "ConfusionMatrixDisplay(np.array(result['confusion_matrix']), display_labels=result['labels']).plot(colorbar=False);"),
    new_markdown_cell("## Which n-grams decided?\nEach pooled feature is one filter's best window; its evidence for the "
                      "predicted class is its value times its weight in the output layer. Darker = more evidence."),
    new_code_cell(
        "examples = test_texts[:4] + ['a gorgeous , witty and deeply moving film', 'a dull , lifeless and predictable mess']\n"
        "for text in examples:\n    found = explain(classifier, text, top=3)\n    display(HTML(highlight_html(found)))\n"
        "    print('   top n-grams:', [g['text'] for g in found['ngrams']])"),
    new_markdown_cell("## The saved model takes raw text\nThe `.keras` file holds the vocabulary and preprocessing."),
    new_code_cell(
        "import tempfile\nfrom pathlib import Path\n\nimport keras\n\n"
        "path = Path(tempfile.mkdtemp()) / 'mr_kim.keras'\nclassifier.save(path)\n"
        "reloaded = keras.saving.load_model(path)\n"
        "print(reloaded.predict_labels(['an utterly charming film', 'a tedious waste of time']))\n"
        "np.testing.assert_allclose(reloaded.predict_texts(test_texts[:8]), classifier.predict_texts(test_texts[:8]), rtol=1e-5, atol=1e-6)"),
    new_markdown_cell("## Reproduction table\nWritten by `python benchmarks/kim2014.py` (accuracy %, measured on a 2-core "
                      "CPU next to Kim 2014, Table 2). See the notes for the exact protocol of each cell."),
    new_code_cell(
        "import json\n\nresults = Path('benchmarks/results/kim2014.json')\nif results.exists():\n"
        "    record = json.loads(results.read_text())\n    rows = {}\n"
        "    for model, cells in record['metrics'].items():\n"
        "        if model in ('kim_rand', 'char_cnn', 'dcnn'):\n"
        "            rows[f'{model} (measured)'] = cells\n"
        "            if record['references'].get(model):\n"
        "                rows[f'{model} (published)'] = record['references'][model]\n"
        "    table = pd.DataFrame(rows).T[['mr', 'sst1', 'sst2', 'subj', 'trec']]\n"
        "    table.columns = ['MR', 'SST-1', 'SST-2', 'Subj', 'TREC']\n    display(table)\n"
        "    print('throughput (training sentences/s):', record['metrics']['throughput_sentences_per_s'])\n"
        "else:\n    print('Run python benchmarks/kim2014.py to produce the table.')"),
]

notebook = new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                               "language": "python"}})
target = Path(__file__).resolve().parent / "03_text_classification.ipynb"
nbformat.write(notebook, target)
print(f"wrote {target}")
