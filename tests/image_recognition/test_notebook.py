"""The walkthrough notebook runs top to bottom in fast mode."""


def test_notebook(run_notebook, data_available):
    run_notebook("01_image_recognition")
