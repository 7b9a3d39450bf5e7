# The two commands: `make serve` and `make test`. Everything they need is installed into .venv on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check -q
PORT ?= 8000
# Two test processes, each with its own PostgreSQL; a module's tests stay together (they share its instances).
# `make test PARALLEL=` runs them in one.
PARALLEL ?= -n 2 --dist loadfile

.PHONY: serve test check bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed-serve: pyproject.toml | $(BIN)/python
	$(PIP) install -e '.[embedded]'
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(PIP) install -e '.[embedded,test]'
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(PIP) install -e '.[embedded,test,dev]'
	touch $@ $(VENV)/.installed-test $(VENV)/.installed-serve

## Run an instance on http://localhost:$(PORT) with the embedded database in ./.chiffres (`make serve PORT=8001`: another port)
serve: $(VENV)/.installed-serve
	CHIFFRES_DEV=1 $(BIN)/chiffres serve --port $(PORT)

## Run the test suite (it starts its own throwaway PostgreSQL)
test: $(VENV)/.installed-test
	$(BIN)/python -m pytest $(PARALLEL) $(PYTEST_ARGS); code=$$?; if [ $$code -eq 5 ]; then echo "no tests collected"; exit 0; fi; exit $$code

## Lint and type-check
check: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## Benchmarks; results are recorded in bench/README.md
bench: $(VENV)/.installed-test
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .chiffres .pytest_cache .mypy_cache .ruff_cache
