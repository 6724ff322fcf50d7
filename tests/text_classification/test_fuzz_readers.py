"""Property-based tests of the text readers: CSV/TSV tables and one-sentence-per-line files.

Invariants, for generated and for malformed input: the reader raises nothing but a ValueError that
names the file; every row is used or skipped with a counted reason (used + skipped == rows in the
input, the expected counts computed here from the rows the file was written from); every skip is
named in a note with the file and its lines.
"""

import csv
import io
import re

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from apps.text_classification.data import load_texts, read_lines, read_table  # noqa: E402

# Characters a user's text may hold: the delimiters, quotes, line breaks inside quoted fields,
# NUL, U+0085 and U+2028 (line breaks to str.splitlines, not to CSV), and non-ASCII letters.
TEXT_CHARS = st.sampled_from(list('ab ,\t"\'\n\r\x00\x85\u2028\u00e9\u20ac\u2026xyz;|'))
# cp1252 text whose non-ASCII bytes (0x80-0xbf) can never start a UTF-8 sequence: such a line is
# decoded as cp1252, so it reads back exactly.
CP1252_CHARS = st.sampled_from(list('ab ,\t"\'\n\r\u20ac\u2026\u0153\u00a3\u00a7\u00b0xyz'))
BLANKS = st.sampled_from(["", " ", "  ", "\t", "\u3000", " \t "])
LABELS = st.sampled_from(["pos", "neg", " pos ", "neutral", "a,b", 'say "x"', "\u00e9t\u00e9"])
HUGE = 140_000  # over the csv module's default field limit of 131,072 characters

KINDS = {  # the kind of a generated row -> the skipped reason the reader must give it (None: used)
    "good": None, "huge": None, "blank": "empty lines", "empty": "empty text or label",
    "fields": "malformed rows", "quote": "bad quoting",
}


def nonblank(chars):
    return st.text(chars, min_size=1, max_size=12).filter(lambda t: t.strip())


@st.composite
def table_rows(draw, chars, blanks=BLANKS):
    """A list of ``(kind, text, label)``: what one table is written from."""
    rows = []
    for kind in draw(st.lists(st.sampled_from(list(KINDS)), max_size=12)):
        if kind == "huge":
            rows.append((kind, "word " * (HUGE // 5) + draw(nonblank(chars)), draw(LABELS)))
        elif kind == "blank":
            rows.append((kind, draw(blanks), ""))
        elif kind == "empty":  # exactly one of the two is blank, so the line itself is not
            blank, other = draw(blanks), draw(nonblank(chars))
            rows.append((kind, *((blank, draw(LABELS)) if draw(st.booleans()) else (other, blank))))
        elif kind == "fields":  # one field, or one too many
            rows.append((kind, draw(nonblank(chars)), draw(st.sampled_from(["", "extra"]))))
        else:
            rows.append((kind, draw(nonblank(chars)), draw(LABELS)))
    return rows


def csv_line(fields, delimiter, newline, quoting):
    """One record as csv.writer writes it, ending in ``newline``. It is written with a \\r\\n
    terminator, so that a field holding a lone \\r is quoted whatever ``newline`` is."""
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n", quoting=quoting).writerow(fields)
    return out.getvalue()[:-2] + newline


def write_table(rows, header, delimiter, newline, quoting=csv.QUOTE_MINIMAL):
    """The file text: csv.writer records for the rows meant to be read; blank lines, wrong field
    counts and an unbalanced quote written by hand.

    An unbalanced-quote row opens a quote that its line never closes. The reader's field then runs
    on to the next quote in the file; where that quote is followed by a delimiter, a line break or
    another quote, the runaway field could end there as valid CSV, so such a row is written with a
    stray quote instead (``"text"z``), which is an error on its own line.
    """
    lines = [csv_line(header, delimiter, newline, quoting)]
    for kind, text, label in rows:
        if kind == "blank":
            lines.append(text + newline)
        elif kind == "fields":
            fields = [text] if not label else [text, label] + ["x"] * (len(header) - 1)
            lines.append(csv_line(fields, delimiter, newline, quoting))
        elif kind == "quote":
            lines.append('"' + re.sub(r'["\r\n]', "", text) + "z" + delimiter + "pos" + newline)  # never closed
        else:
            row = {"text": text, "label": label, "id": "7"}
            lines.append(csv_line([row[name.strip().lower()] for name in header], delimiter, newline, quoting))
    for index in reversed(range(1, len(lines))):
        if rows[index - 1][0] == "quote":
            tail = "".join(lines[index + 1:])
            at = tail.find('"')
            if at >= 0 and tail[at + 1:at + 2] in ("", delimiter, "\r", "\n", '"'):
                text = re.sub(r'["\r\n]', "", rows[index - 1][1])
                lines[index] = '"' + text + '"z' + delimiter + "pos" + newline  # closed, then a stray z
    return "".join(lines)


def line_count(data) -> int:
    """Lines as CSV counts them: ends at \\r\\n, \\r or \\n; a last line without one counts."""
    ending = r"\r\n|\r|\n" if isinstance(data, str) else rb"\r\n|\r|\n"
    breaks = len(re.findall(ending, data))
    return breaks + (1 if data and data[-1:] not in ("\n", "\r", b"\n", b"\r") else 0)


REASONS = {  # the reader's reason in a span -> (the end of its ``skipped`` key, its note's wording)
    "blank": ("empty lines", "empty line(s)"),
    "empty": ("empty text or label", "row(s) with an empty text or label"),
    "fields": ("malformed rows", "row(s) with the wrong number of fields"),
    "quoting": ("bad quoting", "row(s) with an unclosed or stray quote"),
}


def check_accounting(table, total_lines):
    """Spans cover lines 1..total_lines once each, in order; used + skipped == rows; a note names
    the file, the count and the first lines of each reason."""
    expected_first = 1
    for first, last, _ in table.spans:
        assert first == expected_first and last >= first
        expected_first = last + 1
    assert expected_first - 1 == total_lines
    assert table.rows == len(table.spans) - 1
    assert len(table.texts) + sum(table.skipped.values()) == table.rows
    name = table.path.name
    for reason, (key, wording) in REASONS.items():
        lines = [first for first, _, why in table.spans if why == reason]
        assert table.skipped.get(f"{name}: {key}", 0) == len(lines)
        if lines:
            shown = ("line " if len(lines) == 1 else "lines ") + ", ".join(map(str, lines[:5]))
            assert any(note.startswith(f"{name}: skipped {len(lines)} {wording}") and f"({shown}" in note
                       for note in table.notes), (reason, table.notes)


def reasons(table):
    """The skipped reason of each row after the header, in file order (None: used)."""
    return [REASONS[why][0] if why else None for _, _, why in table.spans if why != "header"]


@given(rows=table_rows(TEXT_CHARS), leading_blanks=st.integers(0, 2),
       header=st.sampled_from([["text", "label"], ["Label", " Text "], ["id", "text", "label"]]),
       suffix=st.sampled_from([".csv", ".tsv"]), newline=st.sampled_from(["\n", "\r\n"]),
       quoting=st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]))
def test_fuzz_table_written_from_known_rows(tmp_path, rows, leading_blanks, header, suffix, newline, quoting,
                                            encoding):
    delimiter = "\t" if suffix == ".tsv" else ","
    content = newline * leading_blanks + write_table(rows, header, delimiter, newline, quoting)
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(content.encode(encoding))
    table = read_table(path)
    assert reasons(table) == ["empty lines"] * leading_blanks + [KINDS[kind] for kind, _, _ in rows]
    assert table.texts == [text for kind, text, _ in rows if KINDS[kind] is None]
    assert table.labels == [label.strip() for kind, _, label in rows if KINDS[kind] is None]
    check_accounting(table, line_count(content))


@given(rows=table_rows(CP1252_CHARS, blanks=st.sampled_from(["", " ", "\t", "\xa0"])),
       suffix=st.sampled_from([".csv", ".tsv"]))
def test_fuzz_table_in_cp1252_reads_back_exactly(tmp_path, rows, suffix):
    rows = [(kind, text, label) for kind, text, label in rows if kind != "huge"]
    delimiter = "\t" if suffix == ".tsv" else ","
    content = write_table(rows, ["text", "label"], delimiter, "\n")
    path = tmp_path / f"legacy{suffix}"
    path.write_bytes(content.encode("cp1252"))
    table = read_table(path)
    assert reasons(table) == [KINDS[kind] for kind, _, _ in rows]
    assert table.texts == [text for kind, text, _ in rows if KINDS[kind] is None]
    check_accounting(table, line_count(content))
    legacy = sum(1 for line in content.split("\n") if any(ord(c) > 127 for c in line))
    if legacy:
        assert f"{path.name}: {legacy} line(s) were not valid UTF-8 and were decoded as cp1252" in table.notes


SOUP = st.lists(st.sampled_from([b"text", b"label", b",", b"\t", b'"', b'""', b"\n", b"\r\n", b"\r", b" ",
                                 b"pos", b"neg", b"a b", b"\x00", b"\xe9", b"\x85", b"\x81", b"\xc3\xa9",
                                 b"\xef\xbb\xbf", b"\xff\xfe", b"x" * 1000]), max_size=40).map(b"".join)


def malformed_tables():
    """A valid header and rows with random bytes spliced in, or byte soup alone."""
    def splice(parts):
        head, body, noise, at = parts
        data = head + body
        at = at % (len(data) + 1)
        return data[:at] + noise + data[at:]

    valid = st.tuples(st.sampled_from([b"text,label\n", b"text\tlabel\n", b"label,text\r\n", b""]),
                      st.lists(st.sampled_from([b"good film,pos\n", b"bad film,neg\n", b'"a, b",pos\n',
                                                b"x\ty\n", b"\n"]), max_size=8).map(b"".join),
                      SOUP, st.integers(0, 10_000)).map(splice)
    return st.one_of(valid, SOUP, st.binary(max_size=300))


@given(raw=malformed_tables(), suffix=st.sampled_from([".csv", ".tsv"]))
def test_fuzz_malformed_tables_never_crash_and_account_for_every_line(tmp_path, raw, suffix):
    path = tmp_path / f"broken{suffix}"
    path.write_bytes(raw)
    try:
        table = read_table(path)
    except ValueError as error:
        assert path.name in str(error)
        return
    if not raw.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")):  # UTF-16/32 count their own
        check_accounting(table, line_count(raw))
    try:
        dataset = load_texts(path)
    except ValueError as error:
        assert path.name in str(error)
    else:
        assert len(dataset.train_texts) == len(table.texts) and dataset.skipped == table.skipped


@st.composite
def plain_lines(draw):
    """``(kind, text, encoding)`` for each line of a one-sentence-per-line file."""
    lines = []
    for kind in draw(st.lists(st.sampled_from(["good", "blank", "legacy"]), max_size=15)):
        if kind == "blank":
            lines.append((kind, draw(BLANKS), "utf-8"))
        elif kind == "legacy":
            lines.append((kind, draw(nonblank(CP1252_CHARS.filter(lambda c: c not in "\r\n"))), "cp1252"))
        else:
            lines.append((kind, draw(nonblank(TEXT_CHARS.filter(lambda c: c not in "\r\n"))), "utf-8"))
    return lines


@given(lines=plain_lines(), ending=st.sampled_from([b"\n", b"\r\n"]), final_newline=st.booleans())
def test_fuzz_plain_file_written_from_known_lines(tmp_path, lines, ending, final_newline):
    raw = ending.join(text.encode(encoding) for _, text, encoding in lines)
    if lines and final_newline:
        raw += ending
    path = tmp_path / "pos.txt"
    path.write_bytes(raw)
    skipped, notes = {}, []
    texts = read_lines(path, "auto", skipped, notes)
    assert texts == [text for kind, text, _ in lines if kind != "blank"]
    blank = [number for number, (kind, _, _) in enumerate(lines, start=1) if kind == "blank"]
    if lines and not final_newline and lines[-1][1] == "":
        blank.pop()  # an empty last line without a newline is no line at all
    assert skipped == ({"pos.txt: empty lines": len(blank)} if blank else {})
    if blank:
        assert f"pos.txt: skipped {len(blank)} empty line(s) (line{'s' if len(blank) > 1 else ''} {blank[0]}" \
            in " ".join(notes)
    legacy = sum(1 for kind, text, _ in lines if kind == "legacy" and any(ord(c) > 127 for c in text))
    if legacy:
        assert f"pos.txt: {legacy} line(s) were not valid UTF-8 and were decoded as cp1252" in notes


@given(first=st.one_of(SOUP, st.binary(max_size=300)), second=st.binary(max_size=300))
def test_fuzz_plain_files_of_any_bytes(tmp_path, first, second):
    pos, neg = tmp_path / "pos.txt", tmp_path / "neg.txt"
    pos.write_bytes(first)
    neg.write_bytes(second)
    skipped = {}
    lines = read_lines(pos, "auto", skipped, [])
    chunks = first.count(b"\n") + (1 if first and not first.endswith(b"\n") else 0)
    assert len(lines) + skipped.get("pos.txt: empty lines", 0) == chunks
    try:
        dataset = load_texts([pos, neg])
    except ValueError as error:
        assert "pos.txt" in str(error) or "neg.txt" in str(error)
    else:
        assert len(dataset.train_texts) + sum(dataset.skipped.values()) == chunks + (
            second.count(b"\n") + (1 if second and not second.endswith(b"\n") else 0))
