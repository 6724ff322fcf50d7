"""The README's table: the rows of the last ``python -m apps.demo --record``."""

from benchmarks.report import markdown_table, number, provenance, result, table


@table("demo")
def demo_rows() -> str:
    record = result("demo")
    references = record.get("references") or {}
    rows = [[row["app"], row["task"], row["data"], row["metric"], number(row["value"], 4),
             number(references.get(row["app"], {}).get(row["metric"]), 4), number(row["seconds"], 1)]
            for row in record["rows"]]
    headers = ["app", "task", "data", "metric", "value", "reference", "seconds"]
    return "\n".join([markdown_table(headers, rows), "", provenance(record), "",
                      record.get("notes") or ""])
