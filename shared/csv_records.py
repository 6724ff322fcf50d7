"""Read a user's CSV record by record, so that one bad record never costs the rows after it.

The csv module stops at the first malformed record, and a stray quote makes it read on to the
end of the file as one field. :class:`CsvRecords` parses with strict quoting and, when a record
cannot be parsed (or its reader refuses it with :meth:`CsvRecords.reject`), starts again on the
line after that record's first line: the bad record costs one line, and every other line is
still read. Each app decides what a record means (header, blank line, field count).
"""

from __future__ import annotations

import contextlib
import csv


@contextlib.contextmanager
def unlimited_fields():
    """Lift the csv module's 131,072-character field limit: a long field is for the reader's own
    checks (cut and counted, or refused by row), never dropped by the parser."""
    previous = csv.field_size_limit()
    csv.field_size_limit(2**31 - 1)
    try:
        yield
    finally:
        csv.field_size_limit(previous)


class CsvRecords:
    """``(first_line, last_line, fields)`` for every record of ``lines`` (line ends kept), in order.

    Line numbers are 1-based. ``fields`` is a ``csv.Error`` for a record that cannot be parsed
    (a quote that never closes, text after a closing quote); ``last_line`` is then where the
    parser gave up. After such a record, or after the reader calls :meth:`reject` on the record
    just yielded, parsing starts again on the line after the record's first line.
    """

    def __init__(self, lines: list, delimiter: str = ","):
        self.lines, self.delimiter = lines, delimiter
        self._restart = None

    def reject(self, first_line: int) -> None:
        """Refuse the record starting on ``first_line``: it costs that line alone."""
        self._restart = first_line

    def __iter__(self):
        start = 0
        with unlimited_fields():
            while start < len(self.lines):
                reader = csv.reader(iter(self.lines[start:]), delimiter=self.delimiter, quotechar='"',
                                    doublequote=True, strict=True)
                consumed, self._restart = 0, None
                try:
                    for fields in reader:
                        first = start + consumed + 1
                        consumed = reader.line_num
                        yield first, start + consumed, fields
                        if self._restart is not None:
                            break
                    else:
                        return
                except csv.Error as error:
                    first = start + consumed + 1
                    yield first, start + reader.line_num, error
                    self._restart = first
                start = self._restart
