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


def _training_cli():
    """An app with one ``train`` command on ``shared.training.fit`` (checkpoints in --out)."""
    import argparse

    import keras
    import numpy as np

    from shared import training
    from shared.cli import add_common_arguments

    parser = argparse.ArgumentParser(prog="cnnkit toy")
    commands = parser.add_subparsers(dest="command")
    train = commands.add_parser("train")
    add_common_arguments(train)
    train.add_argument("--stop-in-epoch", type=int, default=None, help="raise KeyboardInterrupt in this epoch")
    train.add_argument("--no-checkpoints", action="store_true")

    class Stop(keras.callbacks.Callback):
        def __init__(self, epoch):
            super().__init__()
            self.epoch, self.current = epoch, None

        def on_epoch_begin(self, epoch, logs=None):
            self.current = epoch

        def on_train_batch_end(self, batch, logs=None):
            if self.current == self.epoch and batch == 1:
                raise KeyboardInterrupt

    def cmd_train(args):
        rng = np.random.default_rng(0)
        x, y = rng.random((64, 3)).astype("float32"), rng.random((64, 1)).astype("float32")
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4), keras.layers.Dropout(0.3),
                                  keras.layers.Dense(1)])
        model.compile(optimizer="adam", loss="mse")
        callbacks = [] if args.stop_in_epoch is None else [Stop(args.stop_in_epoch - 1)]
        history = training.fit(model, (x, y), epochs=4, batch_size=16, verbose=0, callbacks=callbacks,
                               checkpoint_dir=None if args.no_checkpoints else args.out)
        return {"loss": history.history["loss"][-1], "epochs_run": len(history.history["loss"])}

    return parser, {"train": cmd_train}


def test_ctrl_c_in_training_says_where_to_resume_and_the_rerun_says_it_resumed(capfd, tmp_path):
    from shared.cli import run

    parser, commands = _training_cli()
    assert run(parser, commands, ["train", "--out", str(tmp_path / "full"), "--json"]) == 0
    full = json.loads(capfd.readouterr().out.splitlines()[-1])
    assert full["resumed_from_epoch"] is None and full["epochs_run"] == 4

    out = str(tmp_path / "run")
    assert run(parser, commands, ["train", "--out", out, "--stop-in-epoch", "3"]) == 130
    err = capfd.readouterr().err
    assert err.endswith("interrupted; run the same command again to resume from epoch 3\n")
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert run(parser, commands, ["train", "--out", out, "--json"]) == 0
    captured = capfd.readouterr()
    assert f"resuming from epoch 3 of 4 (checkpoint: {out})\n" in captured.err
    resumed = json.loads(captured.out.splitlines()[-1])
    assert resumed["resumed_from_epoch"] == 3
    assert resumed["loss"] == full["loss"] and resumed["epochs_run"] == 4


def test_ctrl_c_in_training_without_checkpoints_says_it_starts_over(capfd, tmp_path):
    from shared.cli import run

    parser, commands = _training_cli()
    argv = ["train", "--out", str(tmp_path), "--no-checkpoints", "--stop-in-epoch", "3"]
    assert run(parser, commands, argv) == 130
    assert capfd.readouterr().err.endswith(
        "interrupted after 2 finished epoch(s) without checkpoints; the same command starts over\n")


def test_a_damaged_checkpoint_is_one_error_line_naming_the_file(capfd, tmp_path):
    from shared.cli import run

    parser, commands = _training_cli()
    assert run(parser, commands, ["train", "--out", str(tmp_path), "--stop-in-epoch", "2"]) == 130
    (tmp_path / "state.json").write_text("{not json")
    capfd.readouterr()
    assert run(parser, commands, ["train", "--out", str(tmp_path)]) == 2
    err = capfd.readouterr().err
    assert err.startswith(f"error: {tmp_path / 'state.json'}: cannot resume from this training checkpoint: "
                          "it is not valid JSON")
    assert err.count("\n") == 1 and f"delete the folder {tmp_path}" in err


def test_every_training_command_takes_fresh():
    import importlib

    import pytest

    cases = {"image_recognition": ["train", "--data", "mnist"], "text_classification": ["train", "--data", "mr"],
             "drug_target": ["train", "--data", "davis"], "go_policy": ["train", "--sgf", "games.zip"],
             "video_analysis": ["train-shots"]}
    for app, argv in cases.items():
        parser = importlib.import_module(f"apps.{app}.cli").build_parser()
        assert parser.parse_args(argv).fresh is False, app
        assert parser.parse_args([*argv, "--fresh"]).fresh is True, app
    with pytest.raises(SystemExit):
        importlib.import_module("apps.image_recognition.cli").build_parser().parse_args(["evaluate", "--fresh"])
