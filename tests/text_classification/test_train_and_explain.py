import numpy as np
import pytest

from apps.text_classification.explain import explain, highlight, highlight_html
from apps.text_classification.models import build_model, make_encoder
from apps.text_classification.train import cross_validate, evaluate, train_model


def test_kim_cnn_learns_a_separable_problem(tiny_kim):
    classifier, _, texts, labels = tiny_kim
    result = evaluate(classifier, texts, labels)
    assert result["accuracy"] >= 0.95
    assert result["labels"] == ["positive", "negative"]
    assert np.sum(result["confusion_matrix"]) == len(texts)
    assert classifier.predict_labels(["the film is superb", "the plot is awful"]) == ["positive", "negative"]


def test_evaluate_metrics_on_known_predictions(tiny_kim):
    classifier, _, _, _ = tiny_kim
    texts = ["the film is great", "the story is boring", "a superb plot", "awful actors"]
    predicted = classifier.predict_texts(texts).argmax(axis=1)
    flipped = 1 - predicted
    assert evaluate(classifier, texts, predicted)["accuracy"] == 1.0
    result = evaluate(classifier, texts, flipped)
    assert result["accuracy"] == 0.0 and result["macro_f1"] == 0.0


def test_explain_finds_the_deciding_word(tiny_kim):
    classifier, _, _, _ = tiny_kim
    result = explain(classifier, "the story and the actors are awful", top=3)
    assert result["label"] == "negative"
    assert abs(sum(result["probabilities"].values()) - 1.0) < 1e-4
    assert any("awful" in gram["text"] for gram in result["ngrams"])
    assert all(gram["score"] > 0 for gram in result["ngrams"])
    for gram in result["ngrams"]:
        assert gram["text"] == " ".join(result["tokens"][gram["start"]:gram["end"]])
        assert 1 <= gram["end"] - gram["start"] <= 5
    assert "[[" in highlight(result) and "awful" in highlight(result)
    assert "<span" in highlight_html(result)
    with pytest.raises(ValueError, match="empty text"):
        explain(classifier, "  ... ")


def test_explain_rejects_models_without_max_over_time_pooling():
    encoder = make_encoder("dcnn").fit(["a good film", "a bad film"])
    classifier = build_model("dcnn", encoder, ["neg", "pos"], embed_dim=4, maps=(2, 2))
    with pytest.raises(ValueError, match="Kim CNN only.*'dcnn'"):
        explain(classifier, "a good film")


def test_train_model_rejects_one_class_and_needs_vectors(make_texts):
    with pytest.raises(ValueError, match="only one class"):
        train_model(["a", "b", "c"], [1, 1, 1], ["x", "y"], epochs=1)
    texts, labels = make_texts(40)
    with pytest.raises(ValueError, match="needs a word vector file"):
        train_model(texts, labels, ["p", "n"], variant="static", epochs=1, verbose=0)


def test_static_variant_trains_with_a_tiny_vector_file(tmp_path, make_texts):
    path = tmp_path / "tiny.txt"
    path.write_text("great 1 0 0 0\nawful -1 0 0 0\nfilm 0 1 0 0\n")
    texts, labels = make_texts(60)
    classifier, _, info = train_model(texts, labels, ["p", "n"], variant="static", vectors=path, epochs=1,
                                      verbose=0, filters=4)
    assert info["vectors"]["found"] == 3 and info["vectors"]["dim"] == 4
    weights = classifier.backbone.get_layer("embedding").get_weights()[0]
    np.testing.assert_allclose(weights[classifier.encoder.vocabulary.index("great")], [1, 0, 0, 0])


def test_cross_validate_is_stratified_and_resumable(make_texts):
    texts, labels = make_texts(60)
    seen = {}
    result = cross_validate(texts, labels, ["p", "n"], folds=3, epochs=1, verbose=0, embed_dim=8, filters=4,
                            progress=False, completed={0: dict(accuracy=0.5, seconds=1.0, epochs=1)},
                            on_fold=lambda fold, record: seen.setdefault(fold, record))
    assert sorted(seen) == [1, 2]  # fold 0 was resumed, not re-run
    assert result["fold_accuracies"][0] == 0.5 and len(result["fold_accuracies"]) == 3
    assert result["accuracy"] == pytest.approx(np.mean(result["fold_accuracies"]))
    assert result["accuracy_std"] == pytest.approx(np.std(result["fold_accuracies"]))
