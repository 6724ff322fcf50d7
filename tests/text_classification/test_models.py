import keras
import numpy as np
import pytest

from apps.text_classification.batching import LengthBucketedBatches, text_lengths
from apps.text_classification.encoders import TextEncoder
from apps.text_classification.models import TextClassifier, build_model, make_encoder
from apps.text_classification.models.char_cnn import char_cnn
from apps.text_classification.models.dcnn import Folding, WideRowConvolution1D, dcnn, dynamic_k
from apps.text_classification.models.kim import kim_cnn
from tests.testing import run_model_saving_test


def test_kim_rand_is_the_paper_architecture():
    backbone = kim_cnn(20, 50)
    assert backbone.output.shape == (None, 300)
    assert [l.name for l in backbone.layers if l.name.endswith("_conv")] == [
        "stage1_block1_k3_conv", "stage1_block1_k4_conv", "stage1_block1_k5_conv"]
    assert backbone.get_layer("embedding").output.shape[-1] == 300
    encoder = TextEncoder(max_length=20, vocabulary=["", "[UNK]"] + [f"w{i}" for i in range(48)])
    classifier = build_model("kim", encoder, ["a", "b"])
    constraint = classifier.get_layer("logits").kernel_constraint
    assert isinstance(constraint, keras.constraints.MaxNorm) and constraint.max_value == 3.0
    assert classifier.get_layer("head_dropout").rate == 0.5


def test_static_nonstatic_and_multichannel_use_the_vectors():
    vectors = np.random.default_rng(0).normal(size=(30, 8)).astype("float32")
    static = kim_cnn(12, 30, variant="static", embeddings=vectors, filters=4)
    assert not static.get_layer("embedding").trainable
    np.testing.assert_allclose(static.get_layer("embedding").get_weights()[0], vectors)
    assert kim_cnn(12, 30, variant="nonstatic", embeddings=vectors, filters=4).get_layer("embedding").trainable
    multi = kim_cnn(12, 30, variant="multichannel", embeddings=vectors, filters=4)
    assert multi.output.shape == (None, 12)
    assert not multi.get_layer("embedding_static").trainable and multi.get_layer("embedding").trainable
    with pytest.raises(ValueError, match="needs pre-trained word vectors"):
        kim_cnn(12, 30, variant="static")
    with pytest.raises(ValueError, match="Unknown Kim CNN variant"):
        kim_cnn(12, 30, variant="dynamic")


def test_char_cnn_shapes():
    backbone = char_cnn(160, 72, filters=8, dense_units=16)
    assert backbone.output.shape == (None, 16)
    one_hot = backbone.get_layer("embedding").get_weights()[0]
    assert one_hot.shape == (72, 72) and one_hot[5, 5] == 1.0 and one_hot[0].sum() == 0
    with pytest.raises(ValueError, match="at least 128 characters"):
        char_cnn(50, 72)


def test_dcnn_dynamic_k_and_shapes():
    assert dynamic_k(1, 2, 20, 4) == 10 and dynamic_k(1, 2, 5, 4) == 4 and dynamic_k(2, 2, 20, 4) == 4
    backbone = dcnn(20, 40, embed_dim=8, maps=(3, 5))
    # layer 1: k=10 of 26 steps, 8 rows x 3 maps; layer 2: folding to 4 rows, k_top=4
    assert backbone.get_layer("stage1_kmax").output.shape == (None, 10, 24)
    assert backbone.output.shape == (None, 4 * 4 * 5)


def test_wide_row_convolution_matches_numpy_and_folding_sums_rows():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 6, 4, 3)).astype("float32")
    layer = WideRowConvolution1D(5, 3)
    out = keras.ops.convert_to_numpy(layer(x))
    kernel, bias = [np.asarray(w) for w in layer.get_weights()]
    padded = np.pad(x, [(0, 0), (2, 2), (0, 0), (0, 0)])
    expected = np.zeros((2, 8, 4, 5), dtype="float32")
    for t in range(8):
        for j in range(3):
            expected[:, t] += np.einsum("bri,rif->brf", padded[:, t + j], kernel[j])
    np.testing.assert_allclose(out, expected + bias, rtol=1e-5, atol=1e-5)
    folded = keras.ops.convert_to_numpy(Folding()(x))
    np.testing.assert_allclose(folded, x[:, :, 0::2] + x[:, :, 1::2], rtol=1e-6)


def test_bucketed_batches_pad_each_batch_to_its_own_length():
    ids = np.zeros((10, 40), dtype="int32")
    for row in range(10):
        ids[row, : 3 * (row + 1)] = 7
    assert text_lengths(ids).tolist() == [3 * (r + 1) for r in range(10)]
    batches = LengthBucketedBatches(ids, np.arange(10), batch_size=3, seed=0)
    seen, widths = [], set()
    for index in range(len(batches)):
        x, y = batches[index]
        widths.add(x.shape[1])
        assert x.shape[1] % 8 == 0 or x.shape[1] == 40
        assert np.all(text_lengths(x) == text_lengths(ids[y]))  # nothing cut
        seen += y.tolist()
    assert sorted(seen) == list(range(10)) and len(widths) > 1
    assert batches[0][0].shape[1] != batches[1][0].shape[1]
    shared = []  # two workers: each takes every other text of a batch, padded as the whole batch
    for index in range(len(batches)):
        whole = batches[index]
        for worker in range(2):
            x, y = batches.worker_batch(index, worker, 2)
            assert x.shape[1] == whole[0].shape[1] and y.tolist() == whole[1][worker::2].tolist()
            shared += y.tolist()
    assert sorted(shared) == list(range(10))  # no text twice in the epoch


@pytest.mark.parametrize("model", ["kim", "char", "dcnn"])
def test_saved_model_predicts_raw_text_identically(tmp_path, model):
    texts = ["a good film", "a bad film", "what a boring plot"]
    encoder = make_encoder(model).fit(texts)
    small = dict(kim=dict(embed_dim=8, filters=4), char=dict(filters=8, dense_units=8),
                 dcnn=dict(embed_dim=8, maps=(2, 3)))[model]
    classifier = build_model(model, encoder, ["neg", "pos"], **small)
    classifier.fit(encoder.encode(texts), np.array([1, 0, 0]), epochs=1, verbose=0)
    loaded = run_model_saving_test(classifier, encoder.encode(["a good plot", "bad"]), tmp_path, atol=1e-6)
    assert isinstance(loaded, TextClassifier)
    assert loaded.label_names == ("neg", "pos") and loaded.encoder.vocabulary == encoder.vocabulary
    np.testing.assert_allclose(loaded.predict_texts(["a good plot", "bad"]),
                               classifier.predict_texts(["a good plot", "bad"]), rtol=1e-5, atol=1e-6)
    assert loaded.predict_labels(["a good plot"])[0] in ("neg", "pos")


def test_multichannel_round_trip(tmp_path):
    encoder = make_encoder("kim").fit(["a good film", "a bad film"])
    vectors = np.random.default_rng(0).normal(size=(encoder.vocab_size, 6)).astype("float32")
    classifier = build_model("kim", encoder, ["neg", "pos"], variant="multichannel", embeddings=vectors, filters=3)
    loaded = run_model_saving_test(classifier, encoder.encode(["good film"]), tmp_path, atol=1e-5)
    assert loaded.architecture == "kim-multichannel"


def test_char_cnn_has_batch_norm_by_default_and_paper_model_on_request():
    encoder = make_encoder("char").fit(["a good film", "a bad film"])
    default = build_model("char", encoder, ["neg", "pos"], filters=4, dense_units=4)
    paper = build_model("char", encoder, ["neg", "pos"], filters=4, dense_units=4, batch_norm=False)
    kinds = lambda m: [type(layer).__name__ for layer in m.backbone.layers]  # noqa: E731
    assert kinds(default).count("BatchNormalization") == 6
    assert "BatchNormalization" not in kinds(paper)


def test_adadelta_uses_kims_learning_rate_unless_given():
    encoder = make_encoder("kim").fit(["a good film", "a bad film"])
    kim = build_model("kim", encoder, ["neg", "pos"], embed_dim=4, filters=2, optimizer="adadelta")
    assert isinstance(kim.optimizer, keras.optimizers.Adadelta)
    assert float(kim.optimizer.learning_rate) == pytest.approx(1.0) and kim.optimizer.rho == 0.95
    slow = build_model("kim", encoder, ["neg", "pos"], embed_dim=4, filters=2, optimizer="adadelta", learning_rate=0.5)
    assert float(slow.optimizer.learning_rate) == pytest.approx(0.5)


def test_learning_rate_is_the_optimizers_not_the_config(tmp_path):
    encoder = make_encoder("kim").fit(["a good film", "a bad film"])
    kim = build_model("kim", encoder, ["neg", "pos"], embed_dim=4, filters=2, learning_rate=5e-4)
    assert isinstance(kim.optimizer, keras.optimizers.Adam)
    assert float(kim.optimizer.learning_rate) == pytest.approx(5e-4)
    assert "learning_rate" not in kim.get_config() and "optimizer" not in kim.get_config()
    kim.save(tmp_path / "kim.keras")
    assert float(keras.saving.load_model(tmp_path / "kim.keras").optimizer.learning_rate) == pytest.approx(5e-4)
    with pytest.raises(ValueError, match="optimizer must be 'adam' or 'adadelta'"):
        build_model("kim", encoder, ["neg", "pos"], embed_dim=4, filters=2, optimizer="sgd")
    with pytest.raises(ValueError, match="Unknown model 'rnn'"):
        build_model("rnn", encoder, ["neg", "pos"])


def test_presets_describe_every_architecture():
    from apps.text_classification.presets import PRESETS, model_settings, preset_name, preset_record

    assert set(PRESETS) == {"kim-rand", "kim-static", "kim-nonstatic", "kim-multichannel", "char", "dcnn"}
    assert preset_name("kim", "static") == "kim-static" and preset_name("dcnn", "rand") == "dcnn"
    kim = model_settings("kim")
    assert kim["kernel_sizes"] == (3, 4, 5) and kim["filters"] == 100 and kim["max_norm"] == 3.0
    assert kim["batch_size"] == 50 and kim["optimizer"] == "adam" and kim["learning_rate"] == 1e-3
    assert preset_record("kim-rand")["paper_training"]["optimizer"] == "adadelta"
    assert model_settings("char")["batch_size"] == 64 and model_settings("char")["batch_norm"] is True
    assert model_settings("dcnn")["k_top"] == 4
    preset_record("char")["config"]["filters"] = 1  # a copy: the table itself is not changed
    assert PRESETS["char"]["config"]["filters"] == 256
    with pytest.raises(ValueError, match="Unknown text model preset"):
        preset_record("lstm")
