"""The runner of airbench94's own script (``benchmarks.airbench_reference``)."""

import pytest

from benchmarks import airbench_reference


def test_a_missing_reference_script_is_named_with_what_was_expected(tmp_path):
    missing = tmp_path / "airbench94.py"
    with pytest.raises(SystemExit, match=r"--airbench .*airbench94\.py: no such file; expected airbench94\.py "
                                         r"from a clone of KellerJordan/cifar10-airbench"):
        airbench_reference.main(["--airbench", str(missing)])

