def test_notebook(run_notebook, data_available):
    run_notebook("04_drug_target")


def test_demo_fast(data_available):
    from apps.drug_target.demo import run

    row = run()  # fast: the tests set CNNKIT_FAST
    assert set(row) == {"app", "task", "data", "metric", "value", "seconds"}
    assert row["metric"] == "ci" and 0.0 <= row["value"] <= 1.0
