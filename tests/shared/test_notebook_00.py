def test_backbone_tour_notebook_runs(run_notebook):
    notebook = run_notebook("00_backbone_tour.ipynb")
    text = "".join(
        output.get("text", "") for cell in notebook.cells if cell.cell_type == "code"
        for output in cell.get("outputs", [])
    )
    assert "75% removed" in text
    assert "old logits unchanged right after extension: True" in text
    images = sum(
        1 for cell in notebook.cells if cell.cell_type == "code"
        for output in cell.get("outputs", []) if "image/png" in output.get("data", {})
    )
    assert images >= 2
