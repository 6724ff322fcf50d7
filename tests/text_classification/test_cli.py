import io
import json
import subprocess
import sys

import pytest

from apps.text_classification.cli import main
from tests.testing import cli_json, run_cli


def test_every_command_has_help(capsys):
    for command in ([], ["train"], ["evaluate"], ["cv"], ["predict"], ["explain"]):
        with pytest.raises(SystemExit) as exit_info:
            main(command + ["--help"])
        assert exit_info.value.code == 0
        text = capsys.readouterr().out
        if command:
            assert "--seed" in text and "--out" in text and "--json" in text


def test_train_writes_a_model_and_metrics(mr_model):
    metrics = json.loads((mr_model / "metrics.json").read_text())
    assert (mr_model / "model.keras").is_file()
    assert 0.0 <= metrics["accuracy"] <= 1.0 and metrics["model"] == "kim-rand"
    assert "hold-out" in metrics["protocol"] and metrics["test_count"] == 30


def test_evaluate_json_has_accuracy_and_skips_unknown_labels(mr_model, capsys, tmp_path):
    model = str(mr_model / "model.keras")
    result = cli_json(main, ["evaluate", "--model", model, "--data", "mr", "--limit", "300"], capsys)
    assert 0.0 <= result["accuracy"] <= 1.0 and result["count"] == 30
    code, out, _ = run_cli(main, ["evaluate", "--model", model, "--data", "mr", "--limit", "300"], capsys)
    assert code == 0 and "accuracy" in out and "macro_f1" in out  # the summary table
    code, _, err = run_cli(main, ["evaluate", "--model", model, "--data", "mr", "--split", "dev"], capsys)
    assert code == 2 and "has no dev split" in err
    csv = tmp_path / "mixed.csv"
    csv.write_text("text,label\na fine film,positive\nterrible,negative\nwhat ?,neutral\nmeh,neutral\n")
    assert main(["evaluate", "--model", model, "--data", str(csv), "--json"]) == 0
    captured = capsys.readouterr()
    assert "skipped 2 text(s) whose label is unknown to the model ('neutral')" in captured.err
    assert json.loads(captured.out.strip().splitlines()[-1])["skipped_unknown_labels"] == 2
    only_unknown = tmp_path / "unknown.csv"
    only_unknown.write_text("text,label\nok,a\nno,b\n")
    assert main(["evaluate", "--model", model, "--data", str(only_unknown)]) == 2
    assert "none of the labels" in capsys.readouterr().err


def test_predict_from_arguments_file_and_stdin(mr_model, capsys, tmp_path, monkeypatch):
    model = str(mr_model / "model.keras")
    rows = cli_json(main, ["predict", "--model", model, "a gorgeous , moving film", "dull"], capsys)["predictions"]
    assert [r["text"] for r in rows] == ["a gorgeous , moving film", "dull"]
    assert set(rows[0]["probabilities"]) == {"negative", "positive"}
    assert abs(sum(rows[0]["probabilities"].values()) - 1) < 1e-4
    lines = tmp_path / "lines.txt"
    lines.write_bytes(b"first line\n\nsecond caf\xe9 line\n" + b"word " * 5000 + b"\n")
    assert main(["predict", "--model", model, "--file", str(lines), "--json"]) == 0
    captured = capsys.readouterr()
    assert "skipped 1 empty line(s)" in captured.err and "not valid UTF-8" in captured.err
    assert "were longer than" in captured.err
    result = json.loads(captured.out.strip().splitlines()[-1])
    assert len(result["predictions"]) == 3 and result["truncated"] == 1
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"from stdin\n\n")))
    assert main(["predict", "--model", model]) == 0
    out = capsys.readouterr().out
    assert "from stdin" in out and out.split("\t")[0] in ("negative", "positive")
    assert len(out.strip().splitlines()) == 1  # only the product: no summary table after it


def test_predict_streams_a_file_in_batches_with_the_same_predictions(mr_model, capsys, tmp_path):
    from apps.text_classification.models import load_classifier

    model = mr_model / "model.keras"
    texts = ["a gorgeous , moving film", "dull", "the plot is a mess", "funny and warm", "boring",
             "an instant classic", "not worth it"]
    lines = tmp_path / "lines.txt"
    lines.write_text("\n".join(texts[:3]) + "\n\n" + "\n".join(texts[3:]))  # a blank line, no final line end
    code, out, err = run_cli(main, ["predict", "--model", model, "--file", lines, "--batch-size", "2"], capsys)
    assert code == 0 and "skipped 1 empty line(s)" in err
    printed = [line.split("\t") for line in out.splitlines()]
    assert [row[2] for row in printed] == texts
    classifier = load_classifier(model)
    probabilities = classifier.predict_texts(texts)  # all texts in one call
    assert [row[0] for row in printed] == [classifier.label_names[i] for i in probabilities.argmax(axis=1)]
    rows = cli_json(main, ["predict", "--model", model, "--file", lines, "--batch-size", "3"], capsys)["predictions"]
    for row, expected in zip(rows, probabilities):
        assert row["probabilities"] == pytest.approx(dict(zip(classifier.label_names, expected.tolist())), abs=1e-5)


def test_predict_errors_are_clear(mr_model, capsys, tmp_path):
    model = str(mr_model / "model.keras")
    assert main(["predict", "--model", model, "fine", "  "]) == 2
    assert "text argument(s) [2] are empty" in capsys.readouterr().err
    assert main(["predict", "--model", str(tmp_path / "none.keras"), "x"]) == 2
    assert "none.keras: no such file, and not a preset name" in capsys.readouterr().err


def test_explain_prints_winning_ngrams(mr_model, capsys):
    result = cli_json(main, ["explain", "--model", mr_model / "model.keras", "a gorgeous , moving film", "--top", "3"],
                      capsys)["explanations"][0]
    assert len(result["ngrams"]) <= 3 and result["label"] in ("negative", "positive")
    assert main(["explain", "--model", str(mr_model / "model.keras"), "a gorgeous , moving film"]) == 0
    assert "[[" in capsys.readouterr().out


def test_cv_json_has_mean_and_std(capsys):
    result = cli_json(main, ["cv", "--data", "trec", "--limit", "240", "--folds", "2", "--epochs", "1"], capsys)
    assert result["folds"] == 2 and len(result["fold_accuracies"]) == 2
    assert 0 <= result["accuracy"] <= 1 and result["accuracy_std"] >= 0


def test_min_count_shrinks_the_saved_vocabulary(capsys, tmp_path):
    from apps.text_classification.models import load_classifier

    sizes = {}
    for count in (1, 3):
        out = tmp_path / f"min{count}"
        metrics = cli_json(main, ["train", "--data", "trec", "--limit", "200", "--epochs", "1", "--min-count",
                                  str(count), "--out", str(out), "--json"], capsys)
        classifier = load_classifier(out / "model.keras")
        assert metrics["min_count"] == count and metrics["vocab_size"] == classifier.encoder.vocab_size
        assert classifier.encoder.min_count == count
        sizes[count] = metrics["vocab_size"]
    assert 2 < sizes[3] < sizes[1]
    assert main(["train", "--data", "trec", "--model", "char", "--min-count", "2", "--out", str(tmp_path)]) == 2
    assert "--min-count applies to word models" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["train", "--data", "trec", "--min-count", "0", "--out", str(tmp_path)])
    assert "expected a whole number of at least 1, got '0'" in capsys.readouterr().err


def test_bad_training_data_is_reported(capsys, tmp_path):
    one = tmp_path / "one_class.csv"
    one.write_text("text,label\ngood,pos\nfine,pos\n")
    assert main(["train", "--data", str(one), "--out", str(tmp_path / "o")]) == 2
    assert "one_class.csv: the labels have only one class" in capsys.readouterr().err
    assert main(["train", "--data", "imdb", "--out", str(tmp_path / "o")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["train", "--data", "mr", "--model", "char", "--variant", "static", "--out", str(tmp_path)]) == 2
    assert "--variant static applies to --model kim only" in capsys.readouterr().err
    assert main(["train", "--data", "mr", "--no-batch-norm", "--out", str(tmp_path)]) == 2
    assert "--no-batch-norm applies to --model char only" in capsys.readouterr().err


def test_pair_of_files_trains_through_the_console_script(tmp_path):
    pos, neg = tmp_path / "pos.txt", tmp_path / "neg.txt"
    pos.write_text("\n".join(f"a great film number {i}" for i in range(30)) + "\n\n")
    neg.write_text("\n".join(f"an awful film number {i}" for i in range(30)) + "\n")
    result = subprocess.run([sys.executable, "-m", "apps.text_classification", "train", "--data", str(pos), str(neg),
                             "--epochs", "1", "--out", str(tmp_path / "run"), "--json"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    metrics = json.loads(result.stdout.strip().splitlines()[-1])
    assert metrics["data"] == "pos+neg" and "accuracy" in metrics
    assert metrics["skipped"] == {"pos.txt: empty lines": 1}
    assert "pos.txt: skipped 1 empty line(s)" in result.stderr
