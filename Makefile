# Two commands do all set-up on a fresh machine with Python 3.11 and make:
#   make demo   creates .venv, installs forecastkit and runs the main job (airline demo)
#   make test   creates the same .venv and runs ruff and the test suite
# Both install every extra (the tests exercise the optional engines too).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,parquet,tensorboard,cluster,bench]"
	touch $(STAMP)

demo: $(STAMP)
	TF_CPP_MIN_LOG_LEVEL=2 $(BIN)/forecastkit demo

lint: $(STAMP)
	$(BIN)/ruff check .

test: $(STAMP)
	$(BIN)/ruff check .
	TF_CPP_MIN_LOG_LEVEL=2 $(BIN)/python -m pytest

BENCHES := recursive_speed backtest_speed update_speed accuracy stateful coverage many_series memory

# Every benchmark, one after the other (tens of minutes on 2 cores); figures: docs/benchmarks.md
bench: $(STAMP)
	for b in $(BENCHES); do TF_CPP_MIN_LOG_LEVEL=2 $(BIN)/python bench/$$b.py || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis build *.egg-info
