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


def test_app_help_answers_without_starting_keras():
    # `cnnkit <app> --help` must not pay Keras' and TensorFlow's ~10 s start-up.
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from apps.cli import main\n"
        "for app in ('image', 'video', 'text', 'dta', 'go'):\n"
        "    try:\n"
        "        main([app, '--help'])\n"
        "    except SystemExit:\n"
        "        pass\n"
        "heavy = sorted(name for name in ('keras', 'tensorflow', 'jax') if name in sys.modules)\n"
        "print('HEAVY', heavy)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "cnnkit go" in result.stdout and "cnnkit image" in result.stdout
    assert "HEAVY []" in result.stdout


def test_shared_loads_the_whole_core_on_first_keras_name():
    # `import shared` is light; the first Keras name registers every saved-model class
    # (the losses included) so that keras.saving.load_model needs no custom_objects.
    import subprocess
    import sys

    script = (
        "import sys\n"
        "import shared\n"
        "print('BEFORE', 'keras' in sys.modules, 'shared.losses' in sys.modules)\n"
        "backbone = shared.Backbone\n"
        "import keras\n"
        "name = 'cnnkit>SparseCategoricalCrossentropyWithLabelSmoothing'\n"
        "print('AFTER', keras.saving.get_registered_object(name) is shared.losses.SparseCategoricalCrossentropyWithLabelSmoothing)\n"
        "print('ALL', set(shared.__all__) <= set(dir(shared)))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "BEFORE False False" in result.stdout
    assert "AFTER True" in result.stdout
    assert "ALL True" in result.stdout
