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
# Inference commands run Keras unless a test asks for ONNX Runtime (--runtime onnx, tests of
# shared.runtime), whatever exports the user's cache holds.
os.environ.setdefault("CNNKIT_RUNTIME", "keras")
if "CNNKIT_DATA" not in os.environ and (ROOT.parent / "shared" / "data").is_dir():
    os.environ["CNNKIT_DATA"] = str(ROOT.parent / "shared" / "data")


# Property-based tests (tests/<app>/test_fuzz_*.py): a small budget in `make test`, a large one in
# `make fuzz` (HYPOTHESIS_PROFILE=fuzz).
try:
    from hypothesis import HealthCheck, settings

    settings.register_profile("ci", max_examples=30, deadline=None, derandomize=True,
                              suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
    settings.register_profile("fuzz", max_examples=2000, deadline=None,
                              suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
except ImportError:  # hypothesis is in requirements.txt; without it only the fuzz tests are skipped
    pass


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
