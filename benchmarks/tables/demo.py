"""The README's table: the rows of the last ``python -m apps.demo --record``."""

from benchmarks.report import markdown_table, number, provenance, result, table


@table("demo")
def demo_rows() -> str:
    record = result("demo")
    rows = [[row["app"], row["task"], row["data"], row["metric"],
             number(row["value"], 4), number(row["seconds"], 1)] for row in record["rows"]]
    return "\n".join([markdown_table(["app", "task", "data", "metric", "value", "seconds"], rows), "",
                      provenance(record)])
