import io
import json

from apps import cli
from shared.cli_utils import emit_json


def test_cnnkit_help_lists_every_app(capsys):
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    for name in ("image", "video", "text", "dta", "go"):
        assert f"  {name}" in out


def test_unknown_app(capsys):
    assert cli.main(["audio"]) == 2
    assert "unknown application 'audio'" in capsys.readouterr().err


def test_emit_json_is_one_line_with_plain_values():
    import numpy as np

    stream = io.StringIO()
    emit_json({"accuracy": np.float32(0.5), "nan": float("nan"), "n": np.int64(3)}, stream)
    line = stream.getvalue()
    assert line.count("\n") == 1
    assert json.loads(line) == {"accuracy": 0.5, "n": 3, "nan": None}
