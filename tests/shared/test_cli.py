import io
import json

from apps import cli
from shared.cli import emit_json


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


def _toy_cli():
    """A two-command app on the shared skeleton, as each app's cli.py builds one."""
    import argparse

    from shared.cli import add_common_arguments

    parser = argparse.ArgumentParser(prog="cnnkit toy")
    commands = parser.add_subparsers(dest="command")
    for name in ("count", "stream", "bad-input", "missing", "interrupt", "boom"):
        add_common_arguments(commands.add_parser(name))
    commands.choices["stream"].set_defaults(summary=False)

    def cmd_count(args):
        print("counting")
        return {"items": 3, "accuracy": 0.5, "per_class": {"a": 1}}

    def cmd_stream(args):
        print("a,b")
        return {"rows": 1}

    def cmd_bad_input(args):
        raise ValueError("rows.csv row 3: expected 2 columns, got 1")

    def cmd_missing(args):
        open("no/such/file.txt")

    def cmd_interrupt(args):
        from shared.callbacks import _PROGRESS

        _PROGRESS["epochs"] = 4
        raise KeyboardInterrupt

    def cmd_boom(args):
        raise RuntimeError("a bug")

    commands_by_name = {"count": cmd_count, "stream": cmd_stream, "bad-input": cmd_bad_input,
                        "missing": cmd_missing, "interrupt": cmd_interrupt, "boom": cmd_boom}
    return parser, commands_by_name


def test_skeleton_prints_a_table_of_scalars_and_times_the_run(capsys):
    from shared.cli import run

    parser, commands = _toy_cli()
    assert run(parser, commands, ["count"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "counting"
    assert out[1].split() == ["items", "3"] and out[2].split() == ["accuracy", "0.5000"]
    assert out[3].split()[0] == "seconds" and not any("per_class" in line for line in out)


def test_skeleton_json_is_the_last_line_with_seconds(capsys):
    from shared.cli import run

    parser, commands = _toy_cli()
    assert run(parser, commands, ["count", "--json"]) == 0
    last = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert last["items"] == 3 and last["per_class"] == {"a": 1} and last["seconds"] >= 0


def test_skeleton_leaves_a_data_stream_alone(capsys):
    from shared.cli import run

    parser, commands = _toy_cli()
    assert run(parser, commands, ["stream"]) == 0
    assert capsys.readouterr().out == "a,b\n"


def test_skeleton_bad_input_is_one_line_and_exit_2(capsys):
    from shared.cli import run

    parser, commands = _toy_cli()
    assert run(parser, commands, ["bad-input"]) == 2
    err = capsys.readouterr().err
    assert err == "error: rows.csv row 3: expected 2 columns, got 1\n"
    assert run(parser, commands, ["missing"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "no/such/file.txt" in err and "Traceback" not in err


def test_skeleton_debug_shows_the_traceback(capsys):
    from shared.cli import run

    parser, commands = _toy_cli()
    assert run(parser, commands, ["bad-input", "--debug"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" in err and err.rstrip().endswith("expected 2 columns, got 1")


def test_skeleton_ctrl_c_says_where_to_resume(capsys):
    from shared.cli import run

    parser, commands = _toy_cli()
    assert run(parser, commands, ["interrupt"]) == 130
    assert capsys.readouterr().err == "interrupted; run the same command again to resume from epoch 5\n"


def test_skeleton_lets_a_bug_raise():
    import pytest

    from shared.cli import run

    parser, commands = _toy_cli()
    with pytest.raises(RuntimeError, match="a bug"):
        run(parser, commands, ["boom"])


def test_fast_mode_reads_cnnkit_fast(monkeypatch):
    from shared.cli import fast_mode

    for value, expected in (("", False), ("0", False), ("1", True), ("yes", True)):
        monkeypatch.setenv("CNNKIT_FAST", value)
        assert fast_mode() is expected
    monkeypatch.delenv("CNNKIT_FAST")
    assert fast_mode() is False
