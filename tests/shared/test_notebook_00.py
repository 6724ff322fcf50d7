def _code_outputs(notebook):
    return [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.get("outputs", [])]


def test_backbone_tour_notebook_runs(run_notebook, data_available):
    outputs = _code_outputs(run_notebook("00_backbone_tour"))
    text = "".join(output.get("text", "") for output in outputs)
    assert "fast mode: True" in text
    assert "75% removed" in text
    assert "fractional: test accuracy" in text
    assert "old logits unchanged right after extension: True" in text
    assert sum("image/png" in output.get("data", {}) for output in outputs) >= 2
