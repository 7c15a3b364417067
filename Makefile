# Two commands do all set-up on a fresh machine with Python 3.11 and make:
#   make demo   creates .venv, installs forecastkit and runs the main job (airline demo)
#   make test   creates the same .venv and runs ruff and the test suite
# Both install the extras the tests exercise (parquet, tensorboard, cluster). The benchmarks'
# classical references (statsforecast, extra `bench`) pin pandas<3, so they get their own
# .venv-bench (make bench) and never decide the pandas the tests run on.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BENCH_VENV := .venv-bench
BENCH_STAMP := $(BENCH_VENV)/.installed
# Test processes (pytest-xdist). Each test file runs whole in one process (--dist loadfile),
# so module-scoped fixtures (fitted models shared by a file's tests) are fitted once.
TEST_WORKERS ?= 2

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,parquet,tensorboard,cluster]"
	touch $(STAMP)

$(BENCH_STAMP): pyproject.toml
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(BENCH_VENV)/bin/python -m pip install --quiet -e ".[dev,parquet,cluster,bench]"
	touch $(BENCH_STAMP)

demo: $(STAMP)
	TF_CPP_MIN_LOG_LEVEL=2 $(BIN)/forecastkit demo

lint: $(STAMP)
	$(BIN)/ruff check .

test: $(STAMP)
	$(BIN)/ruff check .
	TF_CPP_MIN_LOG_LEVEL=2 $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

BENCHES := recursive_speed backtest_speed update_speed accuracy stateful coverage many_series memory load_bomb local_cluster

# Every benchmark, one after the other (tens of minutes on 2 cores); figures: docs/benchmarks.md
bench: $(BENCH_STAMP)
	for b in $(BENCHES); do TF_CPP_MIN_LOG_LEVEL=2 $(BENCH_VENV)/bin/python bench/$$b.py || exit 1; done

clean:
	rm -rf $(VENV) $(BENCH_VENV) .pytest_cache .ruff_cache .hypothesis build *.egg-info
