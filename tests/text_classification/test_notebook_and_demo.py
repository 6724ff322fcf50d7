def test_notebook(run_notebook, data_available):
    run_notebook("03_text_classification")


def test_demo_fast_returns_a_summary_row(data_available):
    from apps.text_classification.demo import run

    row = run(fast=True)
    assert set(row) == {"app", "task", "data", "metric", "value", "seconds"}
    assert row["app"] == "text_classification" and row["metric"] == "accuracy"
    assert 0.0 <= row["value"] <= 1.0
