"""The GPU script of airbench's recipe (``benchmarks/image_gpu_recipe.sh``), shrunk to a CPU-sized run."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from shared.data import cache_dir

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.usefixtures("data_available")
def test_gpu_script_records_each_seed_with_its_arithmetic_rate_outside_the_repository(tmp_path):
    pytest.importorskip("jax")
    env = {**os.environ, "KERAS_BACKEND": "jax", "PYTHON": sys.executable, "RESULTS": str(tmp_path),
           "LIMIT": "256", "EPOCHS": "1", "WIDTH": "4", "BATCH": "128", "SEEDS": "7", "WARMUP": "0",
           "PEAK_TFLOPS": "0.5", "JAX_COMPILATION_CACHE_DIR": str(tmp_path / "jax_cache")}
    done = subprocess.run(["bash", "benchmarks/image_gpu_recipe.sh"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    record = json.loads((tmp_path / "image_cifar10_airbench94_gpu_seed7.json").read_text())
    assert not (ROOT / "benchmarks" / "results" / "image_cifar10_airbench94_gpu_seed7.json").exists()
    metrics = record["metrics"]
    assert record["backend"] == "jax" and "--peak-tflops 0.5" in record["command"]
    assert metrics["forward_flops_per_image"] > 0 and metrics["train_images_per_s"] > 0
    expected = 3 * metrics["forward_flops_per_image"] * metrics["train_images_per_s"] / 1e12
    assert metrics["train_tflops_per_s"] == pytest.approx(expected, rel=1e-2, abs=1e-4)
    assert metrics["fraction_of_peak"] == pytest.approx(metrics["train_tflops_per_s"] / 0.5, abs=1e-4)
    assert "seed 7: image_cifar10_airbench94_gpu_seed7" in (tmp_path / "steps.log").read_text()
    shutil.rmtree(cache_dir("image_recognition", "bench", "image_cifar10_airbench94_gpu_seed7"), ignore_errors=True)


def test_gpu_script_refuses_an_unknown_recipe(tmp_path):
    done = subprocess.run(["bash", "benchmarks/image_gpu_recipe.sh"], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "RECIPE": "fast", "RESULTS": str(tmp_path)}, timeout=60)
    assert done.returncode == 2 and "RECIPE must be airbench, airbench95 or airbench96; got 'fast'" in done.stderr
