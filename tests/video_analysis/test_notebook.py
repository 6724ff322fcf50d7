def test_notebook(run_notebook, data_available):
    run_notebook("02_video_analysis.ipynb")
