"""Regenerate every results table in ``docs/`` from ``benchmarks/results/*.json``.

    python -m benchmarks.report           # rewrite the tables in docs/*.md (and README.md)
    python -m benchmarks.report --check   # exit 1 when a committed table differs from its JSON

A page asks for a table with a pair of markers; everything between them is generated::

    <!-- table: kim2014 -->
    (generated)
    <!-- /table -->

Each ``benchmarks/tables/<app>.py`` module defines the tables of its app as functions
decorated with ``@table("name")`` that return markdown. They read results with
:func:`result` and lay them out with :func:`markdown_table`, :func:`number` and
:func:`percent`, so a figure in the docs is always the one in the JSON.
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import re
import shlex
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
PAGES = (ROOT / "docs", ROOT / "README.md")
MARKER = re.compile(r"(<!-- table: ([\w.-]+) -->\n)(.*?)(<!-- /table -->)", re.DOTALL)

TABLES: dict[str, Callable[[], str]] = {}


def table(name: str):
    """Register the decorated function as the generator of table ``name``."""

    def register(function):
        if name in TABLES:
            raise ValueError(f"table {name!r} is defined twice ({TABLES[name].__module__}, {function.__module__}).")
        TABLES[name] = function
        return function

    return register


def result(name: str) -> dict:
    """The record ``benchmarks/results/<name>.json`` (``name`` may hold a sub-folder)."""
    path = RESULTS / f"{name}.json"
    if not path.is_file():
        raise FileNotFoundError(f"{path.relative_to(ROOT)}: no such result; run the benchmark that writes it.")
    return json.loads(path.read_text())


def lookup(record: dict, dotted: str, default=None):
    """``record["a"]["b"]`` for ``"a.b"``; ``default`` where a key is missing."""
    value = record
    for key in dotted.split("."):
        if not isinstance(value, dict) or key not in value:
            return default
        value = value[key]
    return value


def number(value, digits: int = 2) -> str:
    """A figure as text: ``-`` for a missing one, integers with thousands separators."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return str(value)


def percent(value, digits: int = 2, fraction: bool = True) -> str:
    """``0.9123`` -> ``91.23%`` (``fraction=False``: the value is already in percent)."""
    if value is None:
        return "-"
    return f"{value * 100 if fraction else value:.{digits}f}%"


def markdown_table(headers, rows) -> str:
    """A GitHub markdown table; cells are converted with ``str``."""
    lines = ["| " + " | ".join(map(str, headers)) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def provenance(*records: dict) -> str:
    """One line naming where the figures of a table come from: result, command, machine, date."""
    parts = []
    for record in records:
        parts.append(f"`benchmarks/results/{record['name']}.json` ({record.get('machine', '?')}, "
                     f"{record.get('backend', '?')}, {str(record.get('date', '?'))[:10]})")
    return "Source: " + "; ".join(parts) + "."


def module_command(command: str) -> str:
    """A record's command in the form that runs today: ``benchmarks/x.py ARGS`` (how records written
    before benchmarks became a package name it) -> ``python -m benchmarks.x ARGS``."""
    words = shlex.split(command)
    if words and words[0] == "python":
        words = words[1:]
    if words and words[0] == "-m":
        words = words[1:]
    elif words and words[0].startswith("benchmarks/") and words[0].endswith(".py"):
        words[0] = words[0][:-3].replace("/", ".")
    else:
        return command
    return "python -m " + " ".join(shlex.quote(word) for word in words)


def rerun(record: dict) -> str:
    """``Re-run: `command`; then `update`.``: the commands that wrote ``record``, in order."""
    commands = [record["command"], *(update["command"] for update in record.get("updates", []))]
    return "Re-run: " + "; then ".join(f"`{module_command(command)}`" for command in commands) + "."


def load_tables() -> dict[str, Callable[[], str]]:
    """Import every ``benchmarks.tables.*`` module, which registers its tables."""
    import benchmarks.tables as package

    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"benchmarks.tables.{module.name}")
    return TABLES


def pages() -> list[Path]:
    found = []
    for page in PAGES:
        found += sorted(page.glob("*.md")) if page.is_dir() else [page] if page.is_file() else []
    return found


def render(text: str, source: str = "page") -> str:
    """``text`` with every marked table regenerated."""
    tables = load_tables()

    def replace(match):
        name = match.group(2)
        if name not in tables:
            raise ValueError(f"{source}: unknown table {name!r}; known: {', '.join(sorted(tables))}.")
        return match.group(1) + tables[name]().rstrip("\n") + "\n" + match.group(4)

    return MARKER.sub(replace, text)


def stale_pages() -> list[Path]:
    """The pages whose committed tables differ from what the results JSON gives."""
    return [page for page in pages() if render(page.read_text(), str(page)) != page.read_text()]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.report", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only check; exit 1 when a page is out of date")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_pages()
        for page in stale:
            print(f"{page.relative_to(ROOT)}: tables differ from benchmarks/results; run python -m benchmarks.report")
        return 1 if stale else 0
    for page in pages():
        text = page.read_text()
        new = render(text, str(page))
        if new != text:
            page.write_text(new)
            print(f"updated {page.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    # Table modules register with the importable benchmarks.report, not with this __main__ copy.
    from benchmarks import report

    sys.exit(report.main())
