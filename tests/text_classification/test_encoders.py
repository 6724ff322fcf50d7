import numpy as np
import pytest

from apps.text_classification.encoders import CHAR_ALPHABET, TextEncoder, clean_str


def test_clean_str_matches_kim_preprocessing():
    assert clean_str("It's a GREAT film, isn't it?!") == "it 's a great film , is n't it ? !"
    assert clean_str("We've seen (worse) movies...") == "we 've seen ( worse ) movies"
    # TREC keeps its case
    assert clean_str("How did Ada Lovelace die ?", lowercase=False) == "How did Ada Lovelace die ?"


def test_vocabulary_comes_from_training_texts_only_and_pads():
    encoder = TextEncoder().fit(["a good film", "a bad film film"])
    assert encoder.vocabulary[:2] == ["", "[UNK]"]
    assert encoder.vocabulary[2] == "film"  # most frequent first
    assert encoder.max_length == 4
    ids, report = encoder.encode(["good film", "an unseen word"], return_report=True)
    assert ids.shape == (2, 4) and ids.dtype == np.int32
    assert list(ids[0]) == [encoder.vocabulary.index("good"), encoder.vocabulary.index("film"), 0, 0]
    assert list(ids[1][:3]) == [1, 1, 1]  # all out of vocabulary
    assert report["unknown_tokens"] == 3 and report["truncated"] == 0


def test_min_count_keeps_frequent_words_and_reads_rare_ones_as_unknown():
    texts = ["a good film", "a bad film film", "a dull plot"]
    encoder = TextEncoder(min_count=2).fit(texts)
    assert encoder.vocabulary == ["", "[UNK]", "a", "film"]  # 'a' x3, 'film' x3, the rest once
    ids, report = encoder.encode(["a good film"], return_report=True)
    assert list(ids[0][:3]) == [2, 1, 3] and report["unknown_tokens"] == 1
    assert TextEncoder.from_config(encoder.get_config()).min_count == 2
    assert TextEncoder(min_count=1).fit(texts).vocab_size == 2 + 6
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="min_count must be a whole number of at least 1"):
            TextEncoder(min_count=bad)


def test_long_texts_are_cut_and_counted():
    encoder = TextEncoder(max_length=3).fit(["one two three four five"])
    ids, report = encoder.encode(["one two three four five", "one"], return_report=True)
    assert ids.shape == (2, 3)
    assert report["truncated"] == 1
    huge = "word " * 500_000  # 2.5 MB of text is cut before tokenising
    ids, report = encoder.encode([huge], return_report=True)
    assert report["truncated"] == 1 and ids.shape == (1, 3)


def test_char_level_and_config_round_trip():
    encoder = TextEncoder(level="char", min_length=10).fit(["Abc!", "xyz"])
    assert encoder.vocabulary[2:] == CHAR_ALPHABET
    assert encoder.max_length == 10
    ids = encoder.encode(["ab\u00e9"])
    assert ids[0, 2] == 1  # é is not in Zhang's alphabet
    clone = TextEncoder.from_config(encoder.get_config())
    np.testing.assert_array_equal(clone.encode(["abc xyz"]), encoder.encode(["abc xyz"]))


def test_unfitted_encoder_has_a_clear_error():
    with pytest.raises(ValueError, match="call fit"):
        TextEncoder().encode(["text"])
    with pytest.raises(ValueError, match="level must be"):
        TextEncoder(level="byte")


def test_package_exports_the_public_api():
    import apps.text_classification as text
    from apps.text_classification.models.kim import kim_cnn

    assert text.TextEncoder is TextEncoder and callable(text.train_model) and callable(text.cross_validate)
    assert callable(kim_cnn) and callable(text.build_model) and "kim-rand" in text.PRESETS
    with pytest.raises(AttributeError):
        text.not_a_name
