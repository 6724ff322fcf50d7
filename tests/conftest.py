"""Shared test configuration: data location, fast mode, notebook execution."""

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The repository root holds the test helpers (tests.testing), notebooks and benchmarks packages.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("CNNKIT_FAST", "1")
if "CNNKIT_DATA" not in os.environ and (ROOT.parent / "shared" / "data").is_dir():
    os.environ["CNNKIT_DATA"] = str(ROOT.parent / "shared" / "data")


def execute_notebook(name, timeout=600):
    """Run the notebook built from ``notebooks/<name>.py`` top to bottom in fast mode."""
    from notebooks import build

    return build.execute(build.read(name), timeout=timeout)


@pytest.fixture
def run_notebook():
    return execute_notebook


@pytest.fixture(scope="session")
def data_available():
    if not os.environ.get("CNNKIT_DATA"):
        pytest.skip("CNNKIT_DATA is not set")
    return Path(os.environ["CNNKIT_DATA"])
