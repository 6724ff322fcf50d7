"""The notebook runs top to bottom in fast mode; the demo returns its summary row."""


def test_notebook(run_notebook):
    run_notebook("05_go_policy")


def test_demo_fast(data_available):
    from apps.go_policy.demo import run

    row = run()  # fast by default under the test suite's CNNKIT_FAST=1
    assert set(row) == {"app", "task", "data", "metric", "value", "seconds"}
    assert row["app"] == "go_policy" and row["metric"] == "top1_accuracy"
    assert "3 games" in row["data"]
    assert 0.0 <= row["value"] <= 1.0 and row["seconds"] > 0
