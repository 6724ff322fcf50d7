"""The presets tables: one row per shipped preset, read from its metadata (``apps/<app>/presets/NAME.json``)."""

from benchmarks.report import markdown_table, number, table
from shared.presets import list_presets

APPS = ("image", "video", "text", "dta", "go")


def _figures(metrics: dict) -> str:
    return "<br>".join(f"{key} {number(value, 4) if isinstance(value, float) else number(value)}"
                       for key, value in metrics.items()) or "-"


def _references(references: dict) -> str:
    return "<br>".join(f"{key}: {text}" for key, text in references.items()) or "-"


def presets_table(app: str | None = None) -> str:
    """Name, dataset (license), test metrics of the shipped file, the benchmark's figures, the published
    reference, size and the command that rebuilds it."""
    rows = []
    for record in list_presets(app):
        dataset = record["dataset"]
        members = record.get("members") or []
        rows.append([
            f"`{record['name']}`" + ("" if app else f" ({record['app']})")
            + (f"<br>the mean of {', '.join(f'`{m}`' for m in members)}" if members else ""),
            f"{dataset['name']} ({dataset['license']})",
            _figures(record["metrics"]),
            _figures(record.get("benchmark_metrics", {})),
            _references(record["references"]),
            f"{record['file_bytes'] / 1e6:.2f} MB" + (" f16" if record["weights_dtype"].startswith("float16") else "")
            + (" in all" if members else ""),
            "<br>".join(f"`{command}`" for command in record["command"]),
        ])
    headers = ["preset", "dataset (license)", "test metrics of the shipped file", "benchmark run",
               "reference", "size", "rebuild"]
    return "\n".join([
        markdown_table(headers, rows), "",
        "Metrics of the shipped file come from scoring it on the test split when it was packed; the benchmark "
        "run's figures come from the result file named in its metadata (`cnnkit presets NAME`). "
        "f16: weights stored in float16 and cast to float32 when loaded."
        + (" An ensemble preset has no file of its own: it loads its member presets and predicts their mean, "
           "with their spread." if any(record.get("members") for record in list_presets(app)) else "")])


@table("presets")
def all_presets() -> str:
    return presets_table()


for _app in APPS:
    table(f"presets_{_app}")(lambda app=_app: presets_table(app))
