# make demo: set everything up and run the main job; make test: set up and run the tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup system demo test bench fuzz lint clean

setup: $(STAMP) system

# Graphviz's `dot`, the real Fashion-MNIST files and chromium (the stepper's browser test,
# driven by playwright) from Debian, when we may install them.
system:
	@if command -v dot >/dev/null && [ -d /usr/share/datasets/fashion-mnist ] && command -v chromium >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz dataset-fashion-mnist chromium >/dev/null; \
	else \
	  echo "note: install Graphviz (apt-get install graphviz | brew install graphviz) for rendered graphs,"; \
	  echo "      Fashion-MNIST (apt-get install dataset-fashion-mnist, or set AUTODIFF_DATA),"; \
	  echo "      and chromium (apt-get install chromium) for the stepper's browser test."; \
	fi

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# setuptools explains editable installs of several top-level packages in a warning box
	PYTHONWARNINGS='ignore:Editable installation' $(BIN)/python -m pip install -q -e '.[dev]'
	# PyTorch is the test oracle only; this exact pin is a CPU build (oracle tests skip without it)
	$(BIN)/python -m pip install -q torch==2.13.0 || echo "note: torch not installed; oracle tests will skip"
	# torchvision's oracle for the torchvision pages `autodiff run` maps: its Python parts only
	# (no deps: the pin matches torch 2.13; its CUDA operators are never loaded by the tests)
	$(BIN)/python -m pip install -q --no-deps torchvision==0.28.0 || echo "note: torchvision not installed; its oracle tests will skip"
	touch $(STAMP)

demo: setup
	$(BIN)/autodiff demo

test: setup
	# one BLAS thread per test worker: oversubscribed threads on 2 cores run many times slower;
	# bytecode cached even where the environment says not to (PYTHONDONTWRITEBYTECODE): each
	# command-line test's process would otherwise compile the package from source (~0.3 s)
	OPENBLAS_NUM_THREADS=1 PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -n 2 -q

bench: setup
	$(BIN)/python benchmarks/run.py

# ad.compile's differential fuzzer, long (the suite runs a bounded profile of it)
fuzz: setup
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-2000} OPENBLAS_NUM_THREADS=1 $(BIN)/python -m pytest tests/compile/test_fuzz.py -q -p no:cacheprovider

lint: setup
	$(BIN)/ruff check autodiff nn viz autodiff_cli tests benchmarks notebooks/execute.py notebooks/lecture_oracle.py
	$(BIN)/ruff format --check autodiff nn viz autodiff_cli tests benchmarks notebooks/execute.py notebooks/lecture_oracle.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis build *.egg-info
