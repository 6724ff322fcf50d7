import numpy as np
import pytest

from apps.text_classification.data import load_dataset, load_texts, overlap_warning, read_lines


@pytest.mark.usefixtures("data_available")
def test_named_datasets_have_the_published_sizes():
    mr = load_dataset("mr")
    assert len(mr.train_texts) == 10662 and np.bincount(mr.train_labels).tolist() == [5331, 5331]
    assert not mr.has_test_split
    assert any("\u2026" in t for t in mr.train_texts)  # cp1252 0x85 decoded as an ellipsis
    subj = load_dataset("subj")
    assert np.bincount(subj.train_labels).tolist() == [5000, 5000]
    trec = load_dataset("trec")
    assert trec.label_names == ["ABBR", "DESC", "ENTY", "HUM", "LOC", "NUM"]
    assert len(trec.train_texts) == 5452 and len(trec.test_texts) == 500
    assert not trec.lowercase
    trec50 = load_dataset("trec50")
    assert trec50.num_classes == 50
    assert trec50.skipped.get("TREC.test: label not in train", 0) == 0
    sst2, sst1 = load_dataset("sst2"), load_dataset("sst1")
    assert (len(sst2.train_texts), len(sst2.dev_texts), len(sst2.test_texts)) == (6920, 872, 1821)
    assert (len(sst1.train_texts), len(sst1.dev_texts), len(sst1.test_texts)) == (8544, 1101, 2210)
    assert np.bincount(sst1.train_labels).tolist() == [1092, 2218, 1624, 2322, 1288]


def test_csv_rows_with_problems_are_skipped_and_counted(tmp_path):
    path = tmp_path / "reviews.csv"
    path.write_text('text,label\n"good film",pos\n"",pos\n"bad film",neg\n"x",\n"a,b",neg,extra\n"fine",pos\n')
    dataset = load_texts(path)
    assert dataset.label_names == ["neg", "pos"]
    assert dataset.train_texts == ["good film", "bad film", "fine"]
    assert dataset.skipped["reviews.csv: empty text or label"] == 2
    assert dataset.skipped["reviews.csv: malformed rows"] == 1
    assert any("(lines 3, 5)" in note for note in dataset.notes)


def test_tsv_and_missing_columns(tmp_path):
    good = tmp_path / "data.tsv"
    good.write_text("Text\tLabel\nnice\ta\nugly\tb\n")
    assert load_texts(good).train_texts == ["nice", "ugly"]
    bad = tmp_path / "bad.csv"
    bad.write_text("sentence,class\nnice,a\n")
    with pytest.raises(ValueError, match=r"bad\.csv: expected columns 'text' and 'label'.*found columns"):
        load_texts(bad)


def test_a_single_class_is_rejected_with_the_file_name(tmp_path):
    path = tmp_path / "one.csv"
    path.write_text("text,label\nnice,a\ngood,a\n")
    with pytest.raises(ValueError, match=r"one\.csv: the labels have only one class \('a' for all 2 texts\)"):
        load_texts(path)


def test_per_class_files_with_blank_lines_and_non_utf8_bytes(tmp_path):
    pos, neg = tmp_path / "pos.txt", tmp_path / "neg.txt"
    pos.write_bytes(b"a fine film\n\nsimply caf\xe9 \x85 great\n")
    neg.write_bytes("dull\n\u00e9clat faded\n".encode("utf-8"))
    dataset = load_texts([pos, neg])
    assert dataset.label_names == ["pos", "neg"]
    assert dataset.train_texts == ["a fine film", "simply caf\u00e9 \u2026 great", "dull", "\u00e9clat faded"]
    assert dataset.train_labels.tolist() == [0, 0, 1, 1]
    assert dataset.skipped == {"pos.txt: empty lines": 1}
    assert any("1 line(s) were not valid UTF-8" in note for note in dataset.notes)


def test_bad_sources_have_helpful_errors(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        load_dataset(str(tmp_path / "nope.csv"))
    single = tmp_path / "lines.txt"
    single.write_text("one\ntwo\n")
    with pytest.raises(ValueError, match="single plain text file has no labels"):
        load_dataset(str(single))


def test_read_lines_splits_on_newline_bytes_only(tmp_path):
    path = tmp_path / "x.txt"
    path.write_bytes(b"one \x85 two\r\nthree\n")
    assert read_lines(path, "cp1252") == ["one \u2026 two", "three"]


def test_overlap_warning():
    assert "share many sentences" in overlap_warning("mr", "sst2")
    assert overlap_warning("trec", "trec50") is None
    assert overlap_warning("sst2", "sst2") is None
    assert overlap_warning("sst2_phrases", "sst2") is None  # the phrases are SST-2's own training split
    assert "share many sentences" in overlap_warning("sst2_phrases", "sst1")


@pytest.mark.usefixtures("data_available")
def test_sst2_phrases_add_the_training_phrases_and_keep_the_sentence_test_set():
    sentences, phrases = load_dataset("sst2"), load_dataset("sst2_phrases")
    assert phrases.test_texts == sentences.test_texts and phrases.dev_texts == sentences.dev_texts
    assert phrases.train_texts[:6920] == sentences.train_texts
    # 67,349 labelled phrases: 6,901 repeat a training sentence or phrase, 1 equals a test sentence.
    assert len(phrases.train_texts) == 6920 + 67349 - 6901 - 1
    assert phrases.skipped == {"glue_sst2_train_phrases.tsv: equal to a dev or test sentence": 1}
    held_out = {" ".join(t.lower().split()) for t in sentences.test_texts + sentences.dev_texts}
    assert not held_out & {" ".join(t.lower().split()) for t in phrases.train_texts[6920:]}
    assert phrases.label_names == ["negative", "positive"]


def test_phrase_table_rows_are_checked(tmp_path, monkeypatch):
    from apps.text_classification import data

    notes, skipped = [], {}
    table = tmp_path / "train.tsv"
    table.write_bytes(b"label\tsentence\n1\ta fine film \n0\tdull\n2\tbad label\nno tab here\n1\t \n")
    texts, labels = data._label_tab(table, notes, skipped)
    assert (texts, labels) == (["a fine film", "dull"], [1, 0])
    assert skipped == {"train.tsv: malformed": 3} and "skipped 3 row(s)" in notes[0]
    table.write_bytes(b"sentence\tlabel\nfine\t1\n")
    with pytest.raises(ValueError, match=r"train\.tsv: expected the header 'label<TAB>sentence'"):
        data._label_tab(table, [], {})
