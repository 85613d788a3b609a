# varshare developer commands. Every target creates or refreshes .venv itself.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP_RUN := $(VENV)/.stamp-run
STAMP_TEST := $(VENV)/.stamp-test
CONSTRAINTS := .ci/constraints.txt
HOST ?= 127.0.0.1
PORT ?= 8080

.PHONY: run test lint lock bench bench-instructions chromium clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP_RUN): pyproject.toml $(CONSTRAINTS) | $(VENV)/bin/python
	$(PY) -m pip install --quiet -c $(CONSTRAINTS) -e .
	touch $@

$(STAMP_TEST): pyproject.toml $(CONSTRAINTS) | $(VENV)/bin/python
	$(PY) -m pip install --quiet -c $(CONSTRAINTS) -e '.[test]'
	touch $@ $(STAMP_RUN)

## lock: rewrite .ci/constraints.txt with the newest versions pyproject.toml allows (then run make test)
lock:
	rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock && .venv-lock/bin/python -m pip install --quiet --upgrade pip
	.venv-lock/bin/python -m pip install --quiet -e '.[test]'
	{ sed -n '1,2p' $(CONSTRAINTS); .venv-lock/bin/python -m pip freeze --exclude-editable | grep -v '^pip=='; } > $(CONSTRAINTS).new
	mv $(CONSTRAINTS).new $(CONSTRAINTS) && rm -rf .venv-lock

## run: install, create and migrate the SQLite store, seed the sandbox and serve on http://$(HOST):$(PORT)
run: $(STAMP_RUN)
	$(VENV)/bin/varshare sandbox --host $(HOST) --port $(PORT)

## chromium: install the distribution's Chromium for the browser tests when it is missing
chromium:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
	  echo "installing Chromium from the distribution's packages"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

## lint: ruff and the import-linter architecture contracts
lint: $(STAMP_TEST)
	$(VENV)/bin/ruff check app tests
	$(VENV)/bin/lint-imports --no-cache

## test: install everything the tests need and run the whole suite (PostgreSQL too when VARSHARE_TEST_DATABASE_URL is set)
test: $(STAMP_TEST) chromium lint
	$(PY) -m pytest -q

## bench: the benchmarks under tests/bench (not part of make test)
bench: $(STAMP_TEST)
	$(PY) -m pytest -q -s -p no:randomly tests/bench -o addopts=""

## bench-instructions: the CDS hook's service-to-floor ratio in instructions (valgrind's callgrind; noise-free)
bench-instructions: $(STAMP_TEST)
	$(PY) -m tests.bench.cds_instructions

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
