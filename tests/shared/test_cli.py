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


def _fresh_python(*lines) -> str:
    """stdout of ``lines`` run in a new interpreter (what a fresh command imports is the point)."""
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-c", "\n".join(lines)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_app_help_answers_without_starting_keras():
    # `cnnkit <app> --help` must not pay Keras' and TensorFlow's ~10 s start-up.
    out = _fresh_python(
        "import sys",
        "from apps.cli import main",
        "for app in ('image', 'video', 'text', 'dta', 'go'):",
        "    try:",
        "        main([app, '--help'])",
        "    except SystemExit:",
        "        pass",
        "heavy = ('keras', 'tensorflow', 'jax', 'rdkit', 'sklearn', 'cv2')",
        "print('HEAVY', sorted(name for name in heavy if name in sys.modules))",
    )
    assert "cnnkit go" in out and "cnnkit image" in out and "cnnkit dta" in out
    assert "HEAVY []" in out


def test_drug_target_names_load_on_first_use():
    out = _fresh_python(
        "import sys",
        "import apps.drug_target as dta",
        "print('BEFORE', 'rdkit' in sys.modules)",
        "print('SMILES', dta.canonicalize_smiles('OCC'))",
        "print('ALL', all(callable(getattr(dta, name)) for name in dta.__all__))",
    )
    assert "BEFORE False" in out
    assert "SMILES CCO" in out
    assert "ALL True" in out


def test_shared_loads_the_whole_core_on_first_keras_name():
    # `import shared` is light; the first Keras name registers every saved-model class
    # (the losses included) so that keras.saving.load_model needs no custom_objects.
    out = _fresh_python(
        "import sys",
        "import shared",
        "print('BEFORE', 'keras' in sys.modules, 'shared.losses' in sys.modules)",
        "backbone = shared.Backbone",
        "import keras",
        "loss = keras.saving.get_registered_object('cnnkit>SparseCategoricalCrossentropyWithLabelSmoothing')",
        "print('AFTER', loss is shared.losses.SparseCategoricalCrossentropyWithLabelSmoothing)",
        "print('ALL', set(shared.__all__) <= set(dir(shared)))",
    )
    assert "BEFORE False False" in out
    assert "AFTER True" in out
    assert "ALL True" in out
