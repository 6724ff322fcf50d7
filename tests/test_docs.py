"""The docs' results tables are generated from benchmarks/results and committed up to date."""

import pytest

from benchmarks import report


def test_committed_tables_match_the_results():
    stale = report.stale_pages()
    assert not stale, f"run `python -m benchmarks.report`: out of date: {[str(p) for p in stale]}"


def test_every_table_renders_from_its_result():
    for name, make in report.load_tables().items():
        text = make()
        assert text.startswith("|") or "\n|" in text, f"table {name!r} made no markdown table"


def test_render_fills_markers_and_names_unknown_tables():
    @report.table("_probe")
    def _probe():
        return report.markdown_table(["a", "b"], [[1, report.percent(0.5)]])

    try:
        page = "intro\n<!-- table: _probe -->\nold\n<!-- /table -->\nend\n"
        expected = "intro\n<!-- table: _probe -->\n| a | b |\n|---|---|\n| 1 | 50.00% |\n<!-- /table -->\nend\n"
        assert report.render(page) == expected
        with pytest.raises(ValueError, match="unknown table 'nope'"):
            report.render("<!-- table: nope -->\n<!-- /table -->", "docs/x.md")
    finally:
        report.TABLES.pop("_probe")


def test_readme_is_short():
    lines = (report.ROOT / "README.md").read_text().splitlines()
    assert len(lines) <= 200, f"README.md has {len(lines)} lines; the limit is 200"
