"""Tables of ``docs/text_classification.md``: the Kim (2014) Table 2 reproduction (``benchmarks.kim2014``)."""

from __future__ import annotations

from benchmarks.report import lookup, markdown_table, number, provenance, rerun, result, table

DATASETS = (("mr", "MR"), ("sst1", "SST-1"), ("sst2", "SST-2"), ("subj", "Subj"), ("trec", "TREC"))
MODELS = (("kim_rand", "Kim CNN-rand"), ("char_cnn", "char-CNN"), ("dcnn", "DCNN"))
THROUGHPUT = (("plain_keras_script", "the same model as a plain Keras script"),
              ("cnnkit_same_padding", "cnnkit, every batch padded to the longest sentence"),
              ("cnnkit_bucketed", "cnnkit, length-bucketed batches (the default)"))


def rerun_command(record: dict) -> str:
    """The record's command; cells resumed from earlier invocations ran with the settings listed per cell."""
    return rerun(record) + " Cells resumed from earlier invocations ran with the settings listed per cell."


@table("kim2014")
def kim2014_accuracy() -> str:
    """Accuracy % of each model on each dataset, measured next to the published figure."""
    record = result("kim2014")
    rows = []
    for key, label in MODELS:
        measured = lookup(record, f"metrics.{key}", {})
        published = lookup(record, f"references.{key}", {})
        rows.append([f"{label} (cnnkit, measured)", *(number(measured.get(name), 1) for name, _ in DATASETS)])
        if published:
            rows.append([f"{label} (published)", *(number(published.get(name), 1) for name, _ in DATASETS)])
    headers = ["model (accuracy %)", *(column for _, column in DATASETS)]
    return "\n".join([markdown_table(headers, rows), "", provenance(record), "", rerun_command(record)])


@table("kim2014_cells")
def kim2014_cells() -> str:
    """How each cell of the accuracy table was measured: protocol, settings, epochs and wall time."""
    record = result("kim2014")
    rows = []
    for key, label in MODELS:
        for name, column in DATASETS:
            cell = lookup(record, "cells", {}).get(f"{key}/{name}")
            if cell is None:
                continue
            std = lookup(record, "metrics.accuracy_std", {}).get(f"{key}/{name}")
            accuracy = number(100 * cell["accuracy"], 1) + ("" if std is None else f" ± {number(std, 2)}")
            rows.append([label, column, accuracy, cell["protocol"], cell.get("settings", "-"),
                         ", ".join(map(str, cell.get("epochs", []))), number(cell.get("wall_time_s"), 0)])
    headers = ["model", "data", "accuracy %", "protocol", "settings", "epochs run", "wall time (s)"]
    return "\n".join([markdown_table(headers, rows), "", provenance(record)])


@table("kim2014_throughput")
def kim2014_throughput() -> str:
    """Training speed of the Kim CNN on MR, measured in the same run as the accuracy table."""
    record = result("kim2014")
    speed = lookup(record, "metrics.throughput_sentences_per_s", {})
    rows = [[label, number(speed.get(key), 0)] for key, label in THROUGHPUT]
    return "\n".join([markdown_table(["Kim CNN-rand on MR, batch 50", "training sentences/s"], rows), "",
                      provenance(record)])
