"""Text presets: `--model NAME` on the command line, and the hooks that score and re-check a preset.

A tiny Kim CNN packed as a preset in a registered temporary folder stands in for the shipped ones.
"""

import pytest

from apps.text_classification import presets as text_presets
from apps.text_classification.cli import main
from tests.testing import cli_json, register_preset, run_cli


@pytest.fixture
def tiny_preset(tiny_kim, tmp_path, monkeypatch):
    """``tiny_text``: the session's tiny Kim CNN as a preset in a registered folder (and its source path)."""
    register_preset(tiny_kim[1], tmp_path, monkeypatch, "tiny_text", "text", module="apps.text_classification.models")
    return tmp_path, tiny_kim[1]


def test_predict_and_evaluate_take_a_preset_name(tiny_preset, tiny_kim, make_texts, tmp_path, capsys):
    _, source = tiny_preset
    texts = ["the film is superb and moving", "a dull and boring plot"]
    by_name = cli_json(main, ["predict", "--model", "tiny_text", *texts], capsys)["predictions"]
    by_path = cli_json(main, ["predict", "--model", source, *texts], capsys)["predictions"]
    assert [r["label"] for r in by_name] == [r["label"] for r in by_path] == tiny_kim[0].predict_labels(texts)
    for named, pathed in zip(by_name, by_path):
        assert named["probabilities"] == pytest.approx(pathed["probabilities"], abs=1e-5)
    from apps.text_classification.models import TextClassifier, load_classifier

    assert load_classifier("tiny_text").predict_labels(texts) == TextClassifier.from_preset("tiny_text").predict_labels(
        texts) == tiny_kim[0].predict_labels(texts)
    sample, labels = make_texts(40, seed=3)
    csv = tmp_path / "sample.csv"
    csv.write_text("text,label\n" + "".join(f"{t},{['positive', 'negative'][y]}\n" for t, y in zip(sample, labels)))
    scored = cli_json(main, ["evaluate", "--model", "tiny_text", "--data", csv], capsys)
    assert scored["count"] == 40 and scored["accuracy"] == cli_json(
        main, ["evaluate", "--model", source, "--data", csv], capsys)["accuracy"]
    assert cli_json(main, ["explain", "--model", "tiny_text", texts[0], "--top", "2"], capsys)["explanations"]


def test_unknown_and_damaged_presets_are_named(tiny_preset, capsys):
    folder, _ = tiny_preset
    code, _, err = run_cli(main, ["predict", "--model", "no_such_preset", "x"], capsys)
    assert code == 2 and "--model no_such_preset: no such file, and not a preset name" in err
    assert "tiny_text" in err  # the known presets are listed
    weights = folder / "tiny_text.keras"
    weights.write_bytes(weights.read_bytes()[:-10] + b"0123456789")
    code, _, err = run_cli(main, ["evaluate", "--model", "tiny_text", "--data", "mr"], capsys)
    assert code == 2 and "Preset 'tiny_text' is damaged" in err and err.count("\n") == 1
    weights.unlink()
    code, _, err = run_cli(main, ["predict", "--model", "tiny_text", "x"], capsys)
    assert code == 2 and "Preset 'tiny_text' is missing its weights file" in err


def test_a_preset_of_another_app_is_refused(tiny_kim, tmp_path, monkeypatch, capsys):
    register_preset(tiny_kim[1], tmp_path, monkeypatch, "tiny_video", "video",
                    module="apps.text_classification.models")
    code, _, err = run_cli(main, ["predict", "--model", "tiny_video", "x"], capsys)
    assert code == 2 and "--model tiny_video is a preset of the video app" in err


def test_hooks_score_and_recheck_real_test_sentences(tiny_kim, data_available):
    classifier = tiny_kim[0]  # classes "positive" and "negative", matched to SST-2's by name
    metrics = text_presets.score(classifier, "sst2")
    assert set(metrics) == {"test_accuracy"} and 0.0 <= metrics["test_accuracy"] <= 1.0
    texts, names = text_presets._test_split("sst2")
    assert len(texts) == 1821 and set(names) == {"negative", "positive"}
    examples = text_presets.pick_examples(classifier, "sst2", count=3)
    assert [e["input"]["index"] for e in examples] == [0, 910, 1820]
    assert examples == text_presets.pick_examples(classifier, "sst2", count=3)  # fixed inputs
    for example in examples:
        where = example["input"]
        assert where["dataset"] == "sst2" and where["split"] == "test" and where["text"] == texts[where["index"]]
        assert example["label"] == names[where["index"]] and example["prediction"] in classifier.label_names
        assert text_presets.predict_example(classifier, example) == example["prediction"]
    changed = {**examples[0], "input": {**examples[0]["input"], "text": "another sentence"}}
    with pytest.raises(ValueError, match="no longer the recorded one"):
        text_presets.predict_example(classifier, changed)
    with pytest.raises(ValueError, match="not classes of the model"):
        text_presets.score(classifier, "trec")
    with pytest.raises(ValueError, match="Unknown text dataset 'imdb'"):
        text_presets.score(classifier, "imdb")


def test_preset_test_splits_are_the_apps_test_sets(data_available):
    from apps.text_classification.data import load_dataset, train_dev_test

    assert text_presets._test_split("sst2_phrases") == text_presets._test_split("sst2")
    held_out = train_dev_test(load_dataset("mr"), seed=0)[2][0]
    assert list(text_presets._test_split("mr")[0]) == held_out and len(held_out) == 1067
    assert len(text_presets._test_split("trec")[0]) == 500
