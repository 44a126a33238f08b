# silkgate — the two commands of the README, and the quality gates.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000

.PHONY: demo test check lint typecheck install install-test browser-deps clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install -q -e '.[test]'
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

## make demo: install, migrate the embedded SQLite database, load the demo zone, serve on :$(PORT)
demo: install
	PORT=$(PORT) $(BIN)/silkgate demo --port $(PORT)

## Debian's chromium and a CJK font for the browser tests (never a downloaded browser)
browser-deps:
	@bash scripts/ensure-browser.sh

## make test: the whole suite on SQLite and PostgreSQL
test: install-test browser-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install-test
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

typecheck: install-test
	$(BIN)/mypy

## make check: ruff + mypy (strict on src/) + the tests
check: lint typecheck test

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache tests/artifacts
