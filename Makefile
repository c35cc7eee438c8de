# `make demo`, `make test` and `make test-all` set up a virtual environment on first use, then run. Every install
# is held to the versions in constraints.txt (the ones CI tested); `make lock` regenerates it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PIP := $(BIN)/python -m pip install --quiet -c constraints.txt
LOCK_VENV := .venv-lock

.PHONY: demo test test-all lint lock clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip
	$(PIP) -e '.[dev,eval]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/factdesk demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The fast tier: every test not marked slow.
test: lint
	$(BIN)/pytest -m 'not slow'

# Every tier, as CI runs it.
test-all: lint
	$(BIN)/pytest

# Pins the newest releases that pyproject.toml allows, every extra included, resolved in a fresh environment
# (torch stays at the train extra's CPU build). Run `make clean test-all` after it, and commit both if it passes.
lock:
	rm -rf $(LOCK_VENV)
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(LOCK_VENV)/bin/python -m pip install --quiet -e '.[dev,eval,train]'
	{ echo '# Exact versions of every dependency, transitive ones included: `make lock` writes this file.'; \
	  $(LOCK_VENV)/bin/python -m pip freeze --all --exclude-editable | sed 's/+cpu$$//'; } > constraints.txt
	rm -rf $(LOCK_VENV)

clean:
	rm -rf $(VENV) $(LOCK_VENV) .factdesk-demo .pytest_cache .ruff_cache
