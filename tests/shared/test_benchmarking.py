import json

import pytest

from shared import benchmarking


def test_write_then_update_keeps_provenance_and_adds_the_update(tmp_path, monkeypatch):
    monkeypatch.setattr(benchmarking, "RESULTS", tmp_path)
    benchmarking.write_result("toy", {"ci": 0.9, "nested": {"mse": 0.2}}, {"ci": 0.878}, command="bench.py --x 1",
                              wall_time_s=3.0, notes="first run.", extra={"comparison_table": ["model CI", "ours 0.9"]})
    first = json.loads((tmp_path / "toy.json").read_text())
    benchmarking.update_result("toy", {"baselines": {"rf": {"ci": 0.8}}}, "baselines added.", wall_time_s=1.5)
    record = json.loads((tmp_path / "toy.json").read_text())
    assert record["command"] == "bench.py --x 1" and record["commit"] == first["commit"]
    assert record["baselines"] == {"rf": {"ci": 0.8}} and record["metrics"] == first["metrics"]
    assert record["updates"][0]["note"] == "baselines added." and record["updates"][0]["wall_time_s"] == 1.5
    assert record["notes"].startswith("first run. Update (")
    markdown = (tmp_path / "toy.md").read_text()
    assert "| ci | 0.9 | 0.878 |" in markdown and "| nested.mse | 0.2 | - |" in markdown
    assert "- updated by: `" in markdown and "ours 0.9" in markdown


def test_update_of_a_missing_result_says_which_benchmark_to_run(tmp_path, monkeypatch):
    monkeypatch.setattr(benchmarking, "RESULTS", tmp_path)
    with pytest.raises(FileNotFoundError, match="run the benchmark that writes 'nope' first"):
        benchmarking.update_result("nope", {}, "x")


def test_machine_names_the_cpu_model_from_proc_cpuinfo(tmp_path, monkeypatch):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 9R14\nflags\t: fpu\n")
    real_path = benchmarking.Path
    monkeypatch.setattr(benchmarking, "Path", lambda p: cpuinfo if p == "/proc/cpuinfo" else real_path(p))
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    monkeypatch.setattr(benchmarking, "gpu_model", lambda: None)
    assert benchmarking.cpu_model() == "AMD EPYC 9R14"
    assert "(AMD EPYC 9R14), no GPU" in benchmarking.machine()
    cpuinfo.unlink()  # unreadable: fall back to what platform knows
    assert benchmarking.cpu_model()


def test_machine_names_the_gpu_that_nvidia_smi_lists(tmp_path, monkeypatch):
    fake = tmp_path / "nvidia-smi"
    fake.write_text("#!/bin/sh\necho 'NVIDIA H100 80GB HBM3'\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    assert benchmarking.gpu_model() == "NVIDIA H100 80GB HBM3"
    assert benchmarking.machine().endswith("CPU cores (" + benchmarking.cpu_model() + "), GPU: NVIDIA H100 80GB HBM3")
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")  # the GPUs hidden from the frameworks
    assert benchmarking.gpu_model() is None and benchmarking.machine().endswith("no GPU")
    fake.write_text("#!/bin/sh\necho 'NVIDIA-SMI has failed' >&2\nexit 9\n")
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES")
    assert benchmarking.gpu_model() is None


def test_repo_relative_keeps_machine_paths_out_of_records(tmp_path):
    from pathlib import Path

    from shared.benchmarking import RESULTS, repo_relative

    root = RESULTS.parent.parent
    assert repo_relative(root / "runs" / "x" / "policy.keras") == str(Path("runs") / "x" / "policy.keras")
    assert repo_relative(tmp_path / "elsewhere.keras") == str((tmp_path / "elsewhere.keras").resolve())


def test_script_command_is_rerunnable_from_the_repository():
    from shared.benchmarking import RESULTS, script_command

    script = RESULTS.parent / "go_soup.py"
    assert script_command(script, ["--models", "a b.keras", "--out", "runs/x"]) == \
        "python -m benchmarks.go_soup --models 'a b.keras' --out runs/x"
    outside = RESULTS.parent.parent / "tools" / "probe.py"
    assert script_command(outside, []) == "python tools/probe.py"


def test_script_command_writes_the_cache_folder_as_a_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNKIT_CACHE", str(tmp_path / "cache"))
    command = benchmarking.script_command("benchmarks/kim2014.py",
                                          ["--save-models", str(tmp_path / "cache" / "presets" / "build"), "a b"])
    assert command == "python -m benchmarks.kim2014 --save-models $CNNKIT_CACHE/presets/build 'a b'"


def test_kim_table_reruns_start_from_the_committed_cells(tmp_path, monkeypatch):
    from benchmarks import kim2014

    monkeypatch.setattr(kim2014, "RESULTS", tmp_path)
    (tmp_path / "table.json").write_text(json.dumps({
        "cells": {"kim_rand/trec": {"accuracy": 0.9}}, "metrics": {"throughput_sentences_per_s": {"plain": 1.0}}}))
    state = kim2014.starting_state(tmp_path / "missing_progress.json", "table", quick=False)
    assert state == {"kim_rand/trec": {"accuracy": 0.9}, "throughput": {"plain": 1.0}, "throughput_seconds": 0.0}
    assert kim2014.starting_state(tmp_path / "missing_progress.json", "table", quick=True) == {}
    saved = {"kim_rand/mr": {"accuracy": 0.7}}
    (tmp_path / "progress.json").write_text(json.dumps(saved))
    assert kim2014.starting_state(tmp_path / "progress.json", "table", quick=False) == saved

