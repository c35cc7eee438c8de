# `make demo`, `make test` and `make test-all` set up a virtual environment on first use, then run. Every install
# is held to the versions in constraints.txt (the ones CI tested); `make lock` regenerates it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PIP := $(BIN)/python -m pip install --quiet -c constraints.txt
LOCK_VENV := .venv-lock
# axe-core, for the browser tests' accessibility checks: from npm, at this exact version, into the ignored .axe/.
AXE_VERSION := 4.14.1
AXE := .axe/.installed-$(AXE_VERSION)

.PHONY: demo test test-all lint lock clean axe screenshots

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip
	$(PIP) -e '.[dev,eval]'
	touch $(STAMP)

# Without npm (or the npm registry) the accessibility test skips, saying why; nothing else needs axe-core.
$(AXE):
	@rm -rf .axe
	@command -v npm >/dev/null \
	  && npm install --silent --no-audit --no-fund --save-exact --prefix .axe axe-core@$(AXE_VERSION) && touch $@ \
	  || echo "axe-core $(AXE_VERSION) could not be installed from npm; the accessibility test will skip"

axe: $(AXE)

# The workbench's screenshots in docs/screenshots/ (Debian Chromium walking the whole flow on the demo corpus).
screenshots: $(STAMP)
	$(BIN)/python docs/screenshots.py

demo: $(STAMP)
	$(BIN)/factdesk demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The fast tier: every test not marked slow.
test: lint $(AXE)
	$(BIN)/pytest -m 'not slow'

# Every tier, as CI runs it.
test-all: lint $(AXE)
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
	rm -rf $(VENV) $(LOCK_VENV) .axe .factdesk-demo .pytest_cache .ruff_cache
