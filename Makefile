# cnnkit: two commands. `make demo` (tour of all five apps on real data) and `make test`.
# Both create .venv and install what is missing on a fresh machine.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# The handbook's data folder beside the project, unless CNNKIT_DATA is set.
CNNKIT_DATA ?= $(abspath $(wildcard ../shared/data))
export CNNKIT_DATA
export PYTHONUNBUFFERED := 1
export TF_CPP_MIN_LOG_LEVEL := 2

.PHONY: demo test fuzz lint docs notebooks test-shared-jax venv system-deps gnugo benchmarks clean help

help:
	@echo "make demo   - create .venv, install, run a short tour of all five applications on real data"
	@echo "make test   - create .venv, install (and GNU Go), lint, run the whole test suite, notebooks included"
	@echo "make docs   - regenerate the results tables in docs/ from benchmarks/results/*.json"

venv: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	@# The presets' ONNX exports (shared.runtime): inference commands then start in under a second.
	$(PY) -m apps.cli presets --export --json >/dev/null 2>&1 || echo "warning: could not export the presets to ONNX; inference commands will load TensorFlow"
	touch $(STAMP)

# OpenCV needs libGL; the Go matches need GNU Go. Installed with apt when running as root.
system-deps:
	@missing=""; \
	test -e /usr/games/gnugo || command -v gnugo >/dev/null 2>&1 || missing="$$missing gnugo"; \
	ldconfig -p 2>/dev/null | grep -q 'libGL.so.1' || missing="$$missing libgl1"; \
	ldconfig -p 2>/dev/null | grep -q 'libglib-2.0.so.0' || missing="$$missing libglib2.0-0"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian packages:$$missing"; \
	    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "warning: missing system packages:$$missing. Install them with: sudo apt-get install$$missing"; \
	  fi; \
	fi

gnugo: system-deps

demo: venv system-deps
	$(PY) -m apps.demo

# Two pytest-xdist workers: on 2 cores the suite spends much of its time in single-threaded
# Python (imports, graph tracing, notebook kernels), so two processes finish it about 40% sooner.
# TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= 2

test: venv system-deps lint
	$(PY) -m pytest -q -n $(TEST_WORKERS) tests
	$(MAKE) --no-print-directory test-shared-jax

# The shared core again under the JAX backend (two-device runs already covered above), and the
# Go symmetries in the graph, which the GPU preset trains with on JAX. The backbone-tour notebook
# runs once, under TensorFlow: on JAX it is the same library calls and 2.5 minutes of compiling.
test-shared-jax: venv
	KERAS_BACKEND=jax $(PY) -m pytest -q -n $(TEST_WORKERS) tests/shared tests/go_policy/test_go_device_augmentation.py -k "not two_devices and not notebook"

# The property-based parser tests (tests/*/test_fuzz_*.py) with a large budget: thousands of
# malformed inputs per parser instead of the suite's few dozen.
fuzz: venv
	HYPOTHESIS_PROFILE=fuzz $(PY) -m pytest -q -n $(TEST_WORKERS) tests -k fuzz

# ruff, configured in pyproject.toml: the same rules for apps, shared, benchmarks, notebooks and tests.
lint: venv
	$(PY) -m ruff check .

# The results tables in docs/ and README.md, regenerated from benchmarks/results/*.json.
docs: venv
	$(PY) -m benchmarks.report

# notebooks/NN_*.py (jupytext percent sources) -> executed notebooks/NN_*.ipynb.
notebooks: venv
	$(PY) -m notebooks.build --execute

benchmarks: venv
	@echo "Each benchmark is a module; see docs/. Example: $(PY) -m benchmarks.kim2014 --help"

clean:
	rm -rf $(VENV) build *.egg-info
