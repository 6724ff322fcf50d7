"""Shared test configuration: data location, fast mode, notebook execution."""

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("CNNKIT_FAST", "1")
if "CNNKIT_DATA" not in os.environ and (ROOT.parent / "shared" / "data").is_dir():
    os.environ["CNNKIT_DATA"] = str(ROOT.parent / "shared" / "data")


def execute_notebook(name, timeout=600):
    """Run ``notebooks/<name>`` top to bottom in fast mode; raise on any cell error."""
    import nbformat
    from nbclient import NotebookClient

    path = ROOT / "notebooks" / name
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook, timeout=timeout, kernel_name="python3",
        resources={"metadata": {"path": str(ROOT)}},
    )
    client.execute()
    return notebook


@pytest.fixture
def run_notebook():
    return execute_notebook


@pytest.fixture(scope="session")
def data_available():
    if not os.environ.get("CNNKIT_DATA"):
        pytest.skip("CNNKIT_DATA is not set")
    return Path(os.environ["CNNKIT_DATA"])
