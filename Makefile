# The two Quickstart commands: `make demo` and `make test`. Each creates .venv if
# missing and installs the project with its test extra, then runs.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.graphc-installed

.PHONY: demo test test-fast lint install clean bench gpu-test

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[test,viz,dask,nvrtc]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(PY) examples/seed_basics.py
	$(PY) examples/define_then_run.py
	$(PY) examples/linear_regression.py

lint: $(STAMP)
	$(PY) -m ruff check .

test: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m pytest

# A quick subset (under a minute): layers, packaging, errors, passes, parser, the backend
# protocol and coverage, the seed; no 100,000-node scaling tests.
FAST_TESTS := tests/test_layers.py tests/test_packaging.py tests/graphc/test_errors.py \
	tests/graphc/test_promotion.py tests/graphc/test_graph.py tests/passes/test_pipeline.py \
	tests/passes/test_parser.py tests/passes/test_cases.py tests/passes/test_instrumentation.py \
	tests/passes/test_fuse.py tests/backends/test_protocol.py tests/backends/test_coverage.py tests/seed

test-fast: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m pytest -x -k "not 100000" $(FAST_TESTS)

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .ruff_cache *.egg-info

bench: $(STAMP)
	$(PY) bench/run.py

# On a machine with an NVIDIA GPU (and the `cuda` extra installed, no pip needed): the GPU
# tests, then the GPU benchmark (bench/gpu.py). Under 5 minutes; see docs/cuda.md.
gpu-test:
	PYTHONPATH=. $(PYTHON) -m pytest -q -m gpu -p no:cacheprovider tests/backends/cuda
	PYTHONPATH=. $(PYTHON) bench/gpu.py

# Without a GPU: the GPU tests against the fake GPU of tests/backends/cuda/fakegpu (needs a C
# compiler). Kernels do not run there, so checks of their values count as expected failures;
# anything else that fails (a graph that does not build, an API misused) fails here first.
.PHONY: gpu-dry-run
gpu-dry-run: $(STAMP)
	$(PY) -m pytest -q -m gpu -p tests.backends.cuda.fakegpu.dry_run -p no:randomly tests/backends/cuda

# The differential fuzzer (docs/fuzzing.md): MINUTES of random graphs, gradients and parser
# mutants; findings are shrunk and written to fuzz-out/findings with reproducers.
MINUTES ?= 30
SEED ?= 0
.PHONY: fuzz
fuzz: $(STAMP)
	$(PY) -m graphc.testing.fuzz --minutes $(MINUTES) --seed $(SEED) --out fuzz-out
