def test_notebook(run_notebook, data_available):
    run_notebook("02_video_analysis")


def test_demo_fast_returns_its_row(data_available):
    from apps.video_analysis.demo import run

    row = run(fast=True)
    assert set(row) == {"app", "task", "data", "metric", "value", "seconds"}
    assert row["app"] == "video_analysis" and row["metric"] == "f1_tolerance2" and row["value"] >= 0.8
