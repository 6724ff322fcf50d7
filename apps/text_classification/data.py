"""Read the Kim (2014) benchmarks and user files into texts + integer labels.

MR, SUBJ and TREC are cp1252 bytes: lines are split on ``b"\\n"`` *before* decoding
(U+0085 would otherwise count as a line break). User files are read as UTF-8 with a
per-line cp1252 fallback. Empty lines and unusable rows are skipped and counted, never lost
silently: every ``TextDataset`` carries ``notes`` (naming the file and the lines) that the command
line prints, and ``skipped`` counts by reason. A CSV/TSV row is used or skipped with a reason, never
dropped: a row whose quote does not close skips that one line and reading resumes on the next.
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from shared import data as shared_data
from shared.csv_records import CsvRecords

# name -> (registry name, description); "cv" datasets have no test split (10-fold CV).
NAMED = {
    "mr": "movie-review polarity (Pang & Lee 2005), 10,662 sentences, 10-fold CV",
    "subj": "subjectivity (Pang & Lee 2004), 10,000 sentences, 10-fold CV",
    "trec": "TREC question type (Li & Roth 2002), 6 coarse classes, train/test",
    "trec50": "TREC question type, 50 fine classes, train/test",
    "sst1": "Stanford Sentiment Treebank, 5 classes, sentence level, train/dev/test",
    "sst2": "Stanford Sentiment Treebank, binary, sentence level, train/dev/test",
    "sst2_phrases": "SST-2 as Kim (2014) trained it: the training sentences plus the 67,349 labelled phrases "
                    "of the training split (GLUE's SST-2 train); the sentence-level dev/test sets",
}
# Datasets that are another's training split with more data: the same held-out sentences.
SAME_TEST_SET = {"trec50": "trec", "sst2_phrases": "sst2"}
SST1_NAMES = ["very negative", "negative", "neutral", "positive", "very positive"]
SST2_NAMES = ["negative", "positive"]
# Sentences shared between datasets (see the data manifest): never train on one, test on the other.
OVERLAPS = {frozenset({"mr", "sst1"}), frozenset({"mr", "sst2"}), frozenset({"mr", "subj"}),
            frozenset({"sst1", "sst2"})}


@dataclass
class TextDataset:
    """Texts and integer labels of one dataset, with its splits and what was skipped."""

    name: str
    label_names: list
    train_texts: list
    train_labels: np.ndarray
    test_texts: list | None = None
    test_labels: np.ndarray | None = None
    dev_texts: list | None = None
    dev_labels: np.ndarray | None = None
    lowercase: bool = True
    notes: list = field(default_factory=list)
    skipped: dict = field(default_factory=dict)

    @property
    def num_classes(self) -> int:
        return len(self.label_names)

    @property
    def has_test_split(self) -> bool:
        return self.test_texts is not None

    def all_texts(self):
        """Every text and label (train + dev + test): what cross-validation folds over."""
        texts, labels = list(self.train_texts), [self.train_labels]
        for extra_texts, extra_labels in ((self.dev_texts, self.dev_labels),
                                          (self.test_texts, self.test_labels)):
            if extra_texts is not None:
                texts += list(extra_texts)
                labels.append(extra_labels)
        return texts, np.concatenate(labels)

    def subset(self, limit: int | None, seed: int = 0) -> TextDataset:
        """A stratified-ish random slice of at most ``limit`` texts per split (fast mode)."""
        if not limit:
            return self
        rng = np.random.default_rng(seed)

        def cut(texts, labels, n):
            if texts is None or len(texts) <= n:
                return texts, labels
            keep = np.sort(rng.permutation(len(texts))[:n])
            return [texts[i] for i in keep], labels[keep]

        train = cut(self.train_texts, self.train_labels, limit)
        test = cut(self.test_texts, self.test_labels, max(limit // 4, 1))
        dev = cut(self.dev_texts, self.dev_labels, max(limit // 4, 1))
        return TextDataset(self.name, self.label_names, *train, *test, *dev, lowercase=self.lowercase,
                           notes=self.notes + [f"limited to a random {limit} training texts"],
                           skipped=dict(self.skipped))


# -- reading lines -----------------------------------------------------------------------
def line_list(numbers, shown: int = 5) -> str:
    """``"line 4"``, ``"lines 4, 9"`` or the first ``shown`` numbers and ``...``."""
    numbers = [str(n) for n in numbers]
    more = " ..." if len(numbers) > shown else ""
    return ("line " if len(numbers) == 1 else "lines ") + ", ".join(numbers[:shown]) + more


def read_lines(file_path, encoding: str = "auto", skipped: dict | None = None, notes: list | None = None):
    """Lines of a text file, split on b"\\n" before decoding; blank lines skipped and counted.

    ``encoding="cp1252"`` for MR/SUBJ/TREC; ``"auto"`` tries UTF-8 per line, then cp1252,
    then latin-1 (which never fails), counting every line that was not UTF-8.
    """
    file_path = Path(file_path)
    try:
        raw = file_path.read_bytes()
    except OSError as error:
        raise ValueError(f"Cannot read text file {file_path}: {error.strerror or error}.") from error
    return decode_lines(raw, file_path.name, encoding, skipped, notes)


def decode_lines(raw: bytes, source: str, encoding: str = "auto", skipped: dict | None = None,
                 notes: list | None = None):
    """:func:`read_lines` on bytes already read (``source`` names them in notes: a file, ``stdin``)."""
    return list(iter_lines(io.BytesIO(raw), source, encoding, skipped, notes))


def iter_lines(stream, source: str, encoding: str = "auto", skipped: dict | None = None,
               notes: list | None = None):
    """:func:`decode_lines` one line at a time from a binary stream (an open file, ``stdin``), so
    that a long input is never held whole; the counts reach ``skipped`` and ``notes`` once the
    stream is exhausted."""
    blank, not_utf8, undecodable = [], 0, 0
    for number, chunk in enumerate(stream, start=1):
        chunk = chunk.rstrip(b"\n").rstrip(b"\r")
        if encoding == "auto":
            try:
                text = chunk.decode("utf-8")
            except UnicodeDecodeError:
                not_utf8 += 1
                text = _decode_cp1252(chunk)
        else:
            try:
                text = chunk.decode(encoding)
            except UnicodeDecodeError:
                undecodable += 1
                text = chunk.decode("latin-1")
        if not text.strip():
            blank.append(number)
            continue
        yield text
    if skipped is not None and blank:
        skipped[f"{source}: empty lines"] = len(blank)
    if notes is not None:
        if blank:
            notes.append(f"{source}: skipped {len(blank)} empty line(s) ({line_list(blank)})")
        if not_utf8:
            notes.append(f"{source}: {not_utf8} line(s) were not valid UTF-8 and were decoded as cp1252")
        if undecodable:
            notes.append(f"{source}: {undecodable} line(s) had bytes undefined in {encoding}; "
                         "decoded as latin-1")


def _decode_cp1252(chunk: bytes) -> str:
    try:
        return chunk.decode("cp1252")
    except UnicodeDecodeError:
        return chunk.decode("latin-1")


def _check_classes(labels, source):
    classes = sorted(set(labels))
    if len(classes) < 2:
        raise ValueError(
            f"{source}: the labels have only one class ({classes[0]!r} for all {len(labels)} texts); "
            "a classifier needs at least two classes."
            if classes else f"{source}: no labelled texts were found."
        )
    return classes


# -- named datasets ------------------------------------------------------------------------
def _per_class_files(name, files, encoding, label_names):
    notes, skipped, texts, labels = [], {}, [], []
    for index, file in enumerate(files):
        lines = read_lines(shared_data.path(name, file), encoding, skipped, notes)
        texts += lines
        labels += [index] * len(lines)
    return TextDataset(name, label_names, texts, np.asarray(labels, dtype="int32"), notes=notes, skipped=skipped)


def _label_first(path, encoding, notes, skipped):
    """``<label> <sentence>`` lines (SST) -> (labels, texts)."""
    labels, texts, bad = [], [], 0
    for line in read_lines(path, encoding, skipped, notes):
        head, _, text = line.partition(" ")
        if not head.isdigit() or not text.strip():
            bad += 1
            continue
        labels.append(int(head))
        texts.append(text)
    if bad:
        notes.append(f"{Path(path).name}: skipped {bad} line(s) without '<label> <sentence>'")
        skipped[f"{Path(path).name}: malformed"] = bad
    return texts, np.asarray(labels, dtype="int32")


def _trec(fine: bool):
    notes, skipped, splits = [], {}, {}
    for split in ("train", "test"):
        path = shared_data.path("trec", f"TREC.{split}")
        labels, texts, bad = [], [], 0
        for line in read_lines(path, "cp1252", skipped, notes):
            head, _, text = line.partition(" ")
            if ":" not in head or not text.strip():
                bad += 1
                continue
            labels.append(head if fine else head.split(":")[0])
            texts.append(text)
        if bad:
            notes.append(f"TREC.{split}: skipped {bad} line(s) without 'COARSE:fine question'")
        splits[split] = (texts, labels)
    names = sorted(set(splits["train"][1]))
    index = {n: i for i, n in enumerate(names)}
    test_texts, test_labels = splits["test"]
    unknown = [i for i, lab in enumerate(test_labels) if lab not in index]
    if unknown:
        notes.append(f"TREC.test: skipped {len(unknown)} question(s) whose label never occurs in TREC.train")
        skipped["TREC.test: label not in train"] = len(unknown)
    keep = [i for i in range(len(test_texts)) if test_labels[i] in index]
    return TextDataset(
        "trec50" if fine else "trec", names, splits["train"][0],
        np.asarray([index[lab] for lab in splits["train"][1]], dtype="int32"),
        [test_texts[i] for i in keep], np.asarray([index[test_labels[i]] for i in keep], dtype="int32"),
        lowercase=False, notes=notes, skipped=skipped,
    )


def _sst(name, stem, label_names):
    notes, skipped, parts = [], {}, {}
    for split in ("train", "dev", "test"):
        parts[split] = _label_first(shared_data.path(name, f"{stem}.{split}"), "utf-8", notes, skipped)
    return TextDataset(name, label_names, *parts["train"], *parts["test"], *parts["dev"],
                       notes=notes, skipped=skipped)


def _label_tab(path, notes, skipped):
    """GLUE's ``label<TAB>sentence`` table, header first (SST-2 phrases) -> (texts, labels)."""
    name = Path(path).name
    lines = read_lines(path, "utf-8", skipped, notes)
    if not lines or lines[0].split("\t") != ["label", "sentence"]:
        raise ValueError(f"{path}: expected the header 'label<TAB>sentence' (GLUE's SST-2 train.tsv) on line 1.")
    labels, texts, bad = [], [], 0
    for line in lines[1:]:
        head, tab, text = line.partition("\t")
        if not tab or head not in ("0", "1") or not text.strip():
            bad += 1
            continue
        labels.append(int(head))
        texts.append(text.strip())
    if bad:
        notes.append(f"{name}: skipped {bad} row(s) without '<0 or 1><TAB><phrase>'")
        skipped[f"{name}: malformed"] = bad
    return texts, labels


def _normalised(text: str) -> str:
    return " ".join(text.lower().split())


def _sst2_phrases():
    """SST-2 sentences plus the phrases of its training split; phrases equal to a training sentence
    are dropped as duplicates, and those equal to a dev or test sentence are left out (counted)."""
    sentences = _sst("sst2", "stsa.binary", SST2_NAMES)
    notes, skipped = list(sentences.notes), dict(sentences.skipped)
    phrases, labels = _label_tab(shared_data.path("sst2", "glue_sst2_train_phrases.tsv"), notes, skipped)
    held_out = {_normalised(t) for t in [*sentences.dev_texts, *sentences.test_texts]}
    seen = {_normalised(t) for t in sentences.train_texts}
    texts, kept_labels, duplicates, leaked = list(sentences.train_texts), list(sentences.train_labels), 0, 0
    for text, label in zip(phrases, labels):
        key = _normalised(text)
        if key in held_out:
            leaked += 1
        elif key in seen:
            duplicates += 1
        else:
            seen.add(key)
            texts.append(text)
            kept_labels.append(label)
    notes.append(f"glue_sst2_train_phrases.tsv: {len(texts) - len(sentences.train_texts)} phrases added to the "
                 f"{len(sentences.train_texts)} training sentences ({duplicates} duplicates dropped; {leaked} "
                 "equal to a dev or test sentence left out)")
    if leaked:
        skipped["glue_sst2_train_phrases.tsv: equal to a dev or test sentence"] = leaked
    return TextDataset("sst2_phrases", SST2_NAMES, texts, np.asarray(kept_labels, dtype="int32"),
                       sentences.test_texts, sentences.test_labels, sentences.dev_texts, sentences.dev_labels,
                       notes=notes, skipped=skipped)


def load_named(name: str) -> TextDataset:
    """One of ``mr``, ``subj``, ``trec``, ``trec50``, ``sst1``, ``sst2``, ``sst2_phrases`` from ``shared.data``."""
    if name == "mr":
        return _per_class_files("mr", ["rt-polarity.neg", "rt-polarity.pos"], "cp1252", ["negative", "positive"])
    if name == "subj":
        return _per_class_files("subj", ["subj.objective", "subj.subjective"], "cp1252",
                                ["objective", "subjective"])
    if name in ("trec", "trec50"):
        return _trec(fine=name == "trec50")
    if name == "sst1":
        return _sst("sst1", "stsa.fine", SST1_NAMES)
    if name == "sst2":
        return _sst("sst2", "stsa.binary", SST2_NAMES)
    if name == "sst2_phrases":
        return _sst2_phrases()
    raise ValueError(f"Unknown dataset {name!r}. Expected one of {', '.join(NAMED)}, a CSV/TSV file "
                     "with 'text' and 'label' columns, or one text file per class.")


# -- user files: CSV/TSV tables and one-sentence-per-line files ----------------------------
TABLE_SUFFIXES = (".csv", ".tsv", ".tab")
# Why a row was skipped -> the ``skipped`` key suffix and the note's wording.
_REASONS = {
    "blank": ("empty lines", "empty line(s)"),
    "quoting": ("bad quoting", "row(s) with an unclosed or stray quote"),
    "fields": ("malformed rows", "row(s) with the wrong number of fields"),
    "empty": ("empty text or label", "row(s) with an empty text or label"),
}


@dataclass
class Table:
    """What :func:`read_table` made of a CSV/TSV: the usable rows and an account of every line.

    ``spans`` holds ``(first_line, last_line, reason)`` for the header (reason ``"header"``) and
    every row after it, in file order (reason ``None``: used), so together they cover each line of
    the file exactly once. ``rows`` counts the rows after the header, blank lines included:
    ``len(texts) + sum(skipped.values()) == rows``.
    """

    path: Path
    texts: list
    labels: list
    rows: int
    spans: list
    notes: list
    skipped: dict


def _decode_table(path: Path, raw: bytes, notes: list) -> str:
    """The file's text: UTF-16/32 when it starts with their byte-order mark, else UTF-8 per line with
    the cp1252 fallback of :func:`decode_lines` (counted in ``notes``)."""
    for bom, codec in ((b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
                       (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if raw.startswith(bom):
            try:
                return raw.decode(codec)
            except UnicodeDecodeError as error:
                raise ValueError(f"{path}: starts with a {codec.upper()} byte-order mark but byte {error.start} "
                                 f"is not valid {codec.upper()}; save the file as UTF-8.") from error
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    parts, not_utf8 = [], 0
    for chunk in raw.split(b"\n"):
        try:
            parts.append(chunk.decode("utf-8"))
        except UnicodeDecodeError:
            not_utf8 += 1
            parts.append(_decode_cp1252(chunk))
    if not_utf8:
        notes.append(f"{path.name}: {not_utf8} line(s) were not valid UTF-8 and were decoded as cp1252")
    return "\n".join(parts)


def _span_list(spans, shown: int = 5) -> str:
    items = [f"{a}-{b}" if b != a else str(a) for a, b in spans]
    more = " ..." if len(items) > shown else ""
    return "lines " + ", ".join(items[:shown]) + more


def read_table(path) -> Table:
    """A CSV (``,``) or TSV (``.tsv``/``.tab``: tab) with ``text`` and ``label`` columns (any case,
    any order, other columns ignored) -> :class:`Table`.

    Quoted fields may hold the delimiter, doubled quotes and line breaks. Every row after the
    header is used or skipped with a counted reason naming its lines: blank lines, an unclosed or
    stray quote, the wrong number of fields, an empty text or label. A bad header is an error.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ValueError(f"Cannot read {path}: {error.strerror or error}.") from error
    notes: list = []
    lines = io.StringIO(_decode_table(path, raw, notes), newline="").readlines()
    delimiter = "\t" if path.suffix.lower() in (".tsv", ".tab") else ","
    header, columns, spans, texts, labels = None, None, [], [], []
    problems = {reason: [] for reason in _REASONS}
    for first, last, fields in CsvRecords(lines, delimiter):
        if isinstance(fields, csv.Error):
            last = first  # the record costs its first line; the lines after it are read again
        if not "".join(lines[first - 1:last]).strip():
            reason = "blank"
        elif header is None:
            if isinstance(fields, csv.Error):
                raise ValueError(f"{path}, line {first}: cannot read the header ({fields}); expected column names "
                                 "including 'text' and 'label'.")
            header = fields
            names = [name.strip().lower() for name in header]
            missing = [c for c in ("text", "label") if c not in names]
            if missing:
                raise ValueError(f"{path}: expected columns 'text' and 'label', missing {missing}; "
                                 f"found columns {header} (line {first}).")
            columns = names.index("text"), names.index("label")
            spans.append((first, last, "header"))
            continue
        elif isinstance(fields, csv.Error):
            reason = "quoting"
        elif len(fields) != len(header):
            reason = "fields"
        elif not fields[columns[0]].strip() or not fields[columns[1]].strip():
            reason = "empty"
        else:
            reason = None
            texts.append(fields[columns[0]])
            labels.append(fields[columns[1]].strip())
        spans.append((first, last, reason))
        if reason:
            problems[reason].append(first)
    if header is None:
        raise ValueError(f"{path}: the file is empty; expected a header with 'text' and 'label' columns.")
    skipped = {}
    for reason, where in problems.items():
        if where:
            key, what = _REASONS[reason]
            skipped[f"{path.name}: {key}"] = len(where)
            detail = f", expected {len(header)}" if reason == "fields" else ""
            notes.append(f"{path.name}: skipped {len(where)} {what}{detail} ({line_list(where)})")
    multiline = [(first, last) for first, last, reason in spans if reason is None and last > first]
    if multiline:
        notes.append(f"{path.name}: {len(multiline)} row(s) hold line breaks inside quotes ({_span_list(multiline)}); "
                     "a quote left open also looks like this")
    return Table(path, texts, labels, len(spans) - 1, spans, notes, skipped)


def _class_names_for(paths):
    for candidate in ([p.stem for p in paths], [p.suffix.lstrip(".") for p in paths], [p.name for p in paths]):
        if all(candidate) and len(set(candidate)) == len(candidate):
            return candidate
    return [str(p) for p in paths]


def load_texts(sources) -> TextDataset:
    """User data: one CSV/TSV (``text``, ``label``) or one-sentence-per-line files, one per class.

    Label names are sorted strings (CSV) or taken from the file names (per-class files:
    ``pos.txt neg.txt`` -> ``pos``, ``neg``; ``rt-polarity.pos`` -> ``pos``).
    """
    paths = [Path(s) for s in ([sources] if isinstance(sources, (str, os.PathLike)) else sources)]
    for p in paths:
        if not p.is_file():
            raise ValueError(f"Data file {p} does not exist. Pass a dataset name ({', '.join(NAMED)}), "
                             "a CSV/TSV with 'text' and 'label' columns, or one text file per class.")
    if len(paths) == 1:
        path = paths[0]
        if path.suffix.lower() not in TABLE_SUFFIXES:
            raise ValueError(f"{path}: a single plain text file has no labels. Pass a .csv/.tsv file with "
                             "'text' and 'label' columns, or two or more files with one sentence per line, "
                             "one file per class.")
        table = read_table(path)
        names = _check_classes(table.labels, str(path))
        index = {n: i for i, n in enumerate(names)}
        return TextDataset(path.stem, names, table.texts, np.asarray([index[x] for x in table.labels], dtype="int32"),
                           notes=table.notes, skipped=table.skipped)
    names = _class_names_for(paths)
    notes, skipped, texts, labels = [], {}, [], []
    for index, path in enumerate(paths):
        lines = read_lines(path, "auto", skipped, notes)
        if not lines:
            notes.append(f"{path}: no non-empty lines; class {names[index]!r} has no texts")
        texts += lines
        labels += [index] * len(lines)
    _check_classes([names[i] for i in labels], " + ".join(map(str, paths)))
    return TextDataset("+".join(names), names, texts, np.asarray(labels, dtype="int32"),
                       notes=notes, skipped=skipped)


def load_dataset(source) -> TextDataset:
    """A named dataset (one of ``NAMED``) or user file(s)."""
    if isinstance(source, (list, tuple)):
        if len(source) == 1:
            source = source[0]
        else:
            return load_texts(source)
    if str(source).lower() in NAMED:
        return load_named(str(source).lower())
    return load_texts(source)


def overlap_warning(train_name: str | None, eval_name: str | None) -> str | None:
    """A warning when a model is evaluated on a dataset that shares sentences with its training data."""
    if train_name and eval_name and train_name != eval_name:
        pair = frozenset({SAME_TEST_SET.get(train_name, train_name), SAME_TEST_SET.get(eval_name, eval_name)})
        if pair in OVERLAPS:
            return (f"warning: {train_name!r} and {eval_name!r} share many sentences (see the data manifest); "
                    "this evaluation overstates accuracy.")
    return None


def split_holdout(texts, labels, fraction: float, seed: int):
    """A stratified split -> (train_texts, train_labels, held_texts, held_labels)."""
    from sklearn.model_selection import train_test_split

    labels = np.asarray(labels)
    counts = np.bincount(labels)
    stratify = labels if counts[counts > 0].min() >= 2 else None
    index = np.arange(len(texts))
    train_index, held_index = train_test_split(index, test_size=fraction, random_state=seed, stratify=stratify)
    train_index, held_index = np.sort(train_index), np.sort(held_index)
    return ([texts[i] for i in train_index], labels[train_index],
            [texts[i] for i in held_index], labels[held_index])


# A split with fewer texts than this, or without a text of some class, gives an accuracy that means
# little: 1 test text scores 0 or 1, and a class absent from the split is never scored.
MIN_SPLIT_TEXTS = 10


def split_warning(what: str, labels, label_names) -> str | None:
    """Why the ``what`` split (``labels``: indices into ``label_names``) is too small to score, or None."""
    labels = np.asarray(labels, dtype="int64")
    problems = []
    if len(labels) < MIN_SPLIT_TEXTS:
        problems.append(f"the {what} split has only {len(labels)} text(s) (fewer than {MIN_SPLIT_TEXTS})")
    absent = [name for i, name in enumerate(label_names) if not np.any(labels == i)]
    if absent:
        problems.append(f"class(es) {', '.join(map(repr, absent))} have no text in the {what} split")
    if not problems:
        return None
    return " and ".join(problems) + ": its accuracy and macro F1 mean little"


def train_dev_test(dataset: TextDataset, seed: int = 0, warnings: list | None = None):
    """``(train, dev, test, protocol)``: (texts, labels) pairs and how the test set was chosen.

    A dataset without a test split (MR, SUBJ, user files) holds out a stratified 10% as the
    test set, the same for the same ``seed``; ``dev`` is None unless the dataset has one.
    ``warnings`` (a list) receives :func:`split_warning` for the test split.
    """
    if dataset.has_test_split:
        test = (dataset.test_texts, dataset.test_labels)
        train = (dataset.train_texts, dataset.train_labels)
        protocol = "given train/test split"
    else:
        tr, trl, te, tel = split_holdout(dataset.train_texts, dataset.train_labels, 0.1, seed)
        train, test = (tr, trl), (te, tel)
        protocol = f"stratified 10% hold-out test set (seed {seed}); use `cv` for the 10-fold protocol"
    dev = (dataset.dev_texts, dataset.dev_labels) if dataset.dev_texts is not None else None
    _warn(warnings, "test", test[1], dataset.label_names)
    return train, dev, test, protocol


def _warn(warnings, what, labels, label_names):
    if warnings is not None:
        message = split_warning(what, labels, label_names)
        if message:
            warnings.append(message)


def evaluation_split(dataset: TextDataset, split: str = "test", seed: int = 0, warnings: list | None = None):
    """The (texts, labels) that ``evaluate --split`` scores: ``test``, ``dev``, ``train`` or ``all``.

    ``test`` of a named dataset without a test split is the hold-out ``train_dev_test`` gives
    for ``seed``; a user file without one is evaluated whole. ``warnings`` (a list) receives
    :func:`split_warning` for the split returned.
    """
    if split == "all":
        texts, labels = dataset.all_texts()
    elif split == "train":
        texts, labels = dataset.train_texts, dataset.train_labels
    elif split == "dev":
        if dataset.dev_texts is None:
            raise ValueError(f"dataset {dataset.name!r} has no dev split; use --split test or all.")
        texts, labels = dataset.dev_texts, dataset.dev_labels
    elif split != "test":
        raise ValueError(f"split must be test, dev, train or all, got {split!r}.")
    elif dataset.has_test_split or dataset.name in NAMED:
        texts, labels = train_dev_test(dataset, seed)[2]
    else:
        texts, labels = dataset.all_texts()
    _warn(warnings, split, labels, dataset.label_names)
    return texts, labels


def match_labels(labels, label_names, known_names):
    """Map ``labels`` (indices into ``label_names``) onto ``known_names`` by class name.

    Returns ``(keep, mapped, unknown)``: the positions whose class name is known, their
    indices in ``known_names``, and the sorted names that are not known.
    """
    names = [label_names[i] for i in labels]
    index = {name: i for i, name in enumerate(known_names)}
    keep = [i for i, name in enumerate(names) if name in index]
    unknown = sorted({name for name in names if name not in index})
    return keep, [index[names[i]] for i in keep], unknown
