"""Bad input to ``cnnkit text``: every CSV/TSV row is used or skipped with a counted reason naming
its file and line; stdin is decoded like ``--file``; splits too small to score are flagged."""

import io
import json
import sys

import numpy as np
import pytest

from apps.text_classification.cli import main
from apps.text_classification.data import load_texts, read_table, split_warning, train_dev_test
from tests.testing import run_cli

HUGE = "word " * 30_000  # 150,000 characters: over the csv module's default 131,072-character field limit


def quote(field):
    return '"' + field.replace('"', '""') + '"'


def defective_table(sep, extra_rows=()):
    """A table with a blank line (4), an unclosed quote (5), a huge field (8), a blank line (9).

    Returns ``(content, used_texts)``: the file text and the texts every reader must keep.
    """
    lines = [f"text{sep}label",                    # 1
             f"a great film{sep}positive",          # 2
             f"an awful film{sep}negative",         # 3
             "",                                    # 4: blank
             f'"an unclosed quote{sep}positive',    # 5: the quote never closes before line 8's
             f"a fine film{sep}positive",           # 6
             f"a dull film{sep}negative",           # 7
             f"{quote(HUGE)}{sep}negative",         # 8: one field longer than 131,072 characters
             "   ",                                 # 9: blank (spaces only)
             f"a good film{sep}positive"]           # 10
    lines += [f"{text}{sep}{label}" for text, label in extra_rows]
    used = ["a great film", "an awful film", "a fine film", "a dull film", HUGE, "a good film"]
    return "\n".join(lines) + "\n", used + [text for text, _ in extra_rows]


@pytest.mark.parametrize("suffix", [".csv", ".tsv"])
def test_unclosed_quote_huge_field_and_blank_lines_are_all_accounted_for(tmp_path, suffix):
    sep = "\t" if suffix == ".tsv" else ","
    path = tmp_path / f"reviews{suffix}"
    content, used = defective_table(sep)
    path.write_text(content)
    dataset = load_texts(path)
    assert dataset.train_texts == used
    assert [dataset.label_names[i] for i in dataset.train_labels] == [
        "positive", "negative", "positive", "negative", "negative", "positive"]
    name = path.name
    assert dataset.skipped == {f"{name}: empty lines": 2, f"{name}: bad quoting": 1}
    assert f"{name}: skipped 2 empty line(s) (lines 4, 9)" in dataset.notes
    assert any(note.startswith(f"{name}: skipped 1 row(s) with an unclosed or stray quote (line 5)")
               for note in dataset.notes)
    table = read_table(path)
    assert table.rows == 9 and len(table.texts) + sum(table.skipped.values()) == table.rows


def test_a_quote_that_never_closes_skips_one_line_not_the_rest_of_the_file(tmp_path):
    path = tmp_path / "tail.csv"
    path.write_text('text,label\ngood,pos\n"runs to the end,neg\nbad,neg\nfine,pos\n')
    dataset = load_texts(path)
    assert dataset.train_texts == ["good", "bad", "fine"]
    assert dataset.skipped == {"tail.csv: bad quoting": 1}
    assert any("(line 3)" in note and "unclosed or stray quote" in note for note in dataset.notes)


def test_quoted_line_breaks_are_kept_and_reported_with_their_lines(tmp_path):
    path = tmp_path / "multi.csv"
    path.write_text('text,label\n"two\nlines",pos\nbad,neg\n"a,b",neg,extra\nlast,pos\n')
    dataset = load_texts(path)
    assert dataset.train_texts == ["two\nlines", "bad", "last"]
    assert dataset.skipped == {"multi.csv: malformed rows": 1}
    assert any("wrong number of fields" in note and "(line 5)" in note for note in dataset.notes)
    assert any("1 row(s) hold line breaks inside quotes (lines 2-3)" in note for note in dataset.notes)


def test_header_problems_name_the_file_and_line(tmp_path):
    path = tmp_path / "head.csv"
    path.write_text('\n"text,label\n')
    with pytest.raises(ValueError, match=r"head\.csv, line 2: cannot read the header"):
        load_texts(path)
    path.write_text("\n\nsentence,class\nnice,a\n")
    with pytest.raises(ValueError, match=r"head\.csv: expected columns 'text' and 'label'.*\(line 3\)"):
        load_texts(path)
    utf16 = tmp_path / "wide.csv"
    utf16.write_bytes("text,label\ngood,pos\nbad,neg\n".encode("utf-16"))
    assert load_texts(utf16).train_texts == ["good", "bad"]


def synthetic_rows(make_texts, n):
    texts, labels = make_texts(n)
    return [(text, ["positive", "negative"][label]) for text, label in zip(texts, labels)]


@pytest.mark.parametrize("suffix", [".csv", ".tsv"])
def test_train_counts_every_row_of_a_defective_table(tmp_path, capsys, make_texts, suffix):
    sep = "\t" if suffix == ".tsv" else ","
    path = tmp_path / f"reviews{suffix}"
    content, used = defective_table(sep, synthetic_rows(make_texts, 40))
    path.write_text(content)
    code, out, err = run_cli(main, ["train", "--data", path, "--epochs", "1", "--max-length", "20",
                                    "--out", tmp_path / "run", "--json"], capsys)
    assert code == 0, err
    metrics = json.loads(out.strip().splitlines()[-1])
    assert metrics["skipped"] == {f"{path.name}: empty lines": 2, f"{path.name}: bad quoting": 1}
    assert metrics["train_texts"] + metrics["dev_texts"] + metrics["test_count"] == len(used)
    assert f"note: {path.name}: skipped 2 empty line(s) (lines 4, 9)" in err
    assert f"note: {path.name}: skipped 1 row(s) with an unclosed or stray quote (line 5)" in err


@pytest.mark.parametrize("suffix", [".csv", ".tsv"])
def test_evaluate_counts_every_row_of_a_defective_table(tiny_kim, tmp_path, capsys, suffix):
    _, model_path, _, _ = tiny_kim
    sep = "\t" if suffix == ".tsv" else ","
    path = tmp_path / f"heldout{suffix}"
    content, used = defective_table(sep)
    path.write_text(content)
    code, out, err = run_cli(main, ["evaluate", "--model", model_path, "--data", path, "--json"], capsys)
    assert code == 0, err
    result = json.loads(out.strip().splitlines()[-1])
    assert result["count"] == len(used) and result["truncated_texts"] == 1  # the huge text: kept, cut, counted
    assert result["skipped"] == {f"{path.name}: empty lines": 2, f"{path.name}: bad quoting": 1}
    assert f"note: {path.name}: skipped 1 row(s) with an unclosed or stray quote (line 5)" in err


def test_predict_decodes_cp1252_on_stdin_and_says_so(tiny_kim, capsys, monkeypatch):
    _, model_path, _, _ = tiny_kim
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"caf\xe9 film \x85 great\n\nplain text\n")))
    code, out, err = run_cli(main, ["predict", "--model", model_path, "--json"], capsys)
    assert code == 0, err
    texts = [row["text"] for row in json.loads(out.strip().splitlines()[-1])["predictions"]]
    assert texts == ["caf\u00e9 film \u2026 great", "plain text"]
    assert "note: stdin: 1 line(s) were not valid UTF-8 and were decoded as cp1252" in err
    assert "note: stdin: skipped 1 empty line(s) (line 2)" in err
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"na\xefve\n")))
    code, out, err = run_cli(main, ["predict", "--model", model_path, "--file", "-", "--json"], capsys)
    assert code == 0, err
    assert json.loads(out.strip().splitlines()[-1])["predictions"][0]["text"] == "na\u00efve"
    assert "note: stdin: 1 line(s) were not valid UTF-8" in err


def test_training_on_three_rows_warns_that_the_test_split_is_too_small(tmp_path, capsys):
    path = tmp_path / "three.csv"
    path.write_text("text,label\na great film,pos\nan awful film,neg\na fine film,pos\n")
    code, out, err = run_cli(main, ["train", "--data", path, "--epochs", "1", "--out", tmp_path / "run",
                                    "--json"], capsys)
    assert code == 0, err
    metrics = json.loads(out.strip().splitlines()[-1])
    assert metrics["test_count"] == 1
    assert len(metrics["warnings"]) == 1 and "test split has only 1 text(s)" in metrics["warnings"][0]
    assert f"warning: {metrics['warnings'][0]}" in err
    saved = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert saved["warnings"] == metrics["warnings"]


def test_split_warnings_rule(make_texts, tmp_path):
    texts, labels = make_texts(200)
    path = tmp_path / "big.csv"
    path.write_text("text,label\n" + "".join(f"{t},{['pos', 'neg'][y]}\n" for t, y in zip(texts, labels)))
    warnings = []
    _, _, test, _ = train_dev_test(load_texts(path), warnings=warnings)
    assert len(test[0]) == 20 and warnings == []
    path.write_text("text,label\n" + "".join(f"text {i},{['pos', 'neg'][i % 2]}\n" for i in range(40)))
    warnings = []
    _, _, test, _ = train_dev_test(load_texts(path), warnings=warnings)
    assert len(test[0]) == 4
    assert warnings == ["the test split has only 4 text(s) (fewer than 10): its accuracy and macro F1 mean little"]
    assert split_warning("test", np.zeros(30, "int32"), ["neg", "pos"]) == (
        "class(es) 'pos' have no text in the test split: its accuracy and macro F1 mean little")
    assert split_warning("test", np.arange(30) % 2, ["neg", "pos"]) is None
