# The two commands: `make demo` and `make test`. Each sets up what it needs first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test setup system venv dist bench screenshots clean

demo: setup
	$(BIN)/kiosk demo

test: setup
	$(BIN)/python -m pytest

setup: system venv

system:
	@scripts/setup-system.sh

venv: $(STAMP)

# Reinstall only when the dependency list changes.
$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[central,dev]'
	touch $(STAMP)

# Every screen x language x display mode on the reference panels, checked: test-output/screenshots/
screenshots: setup
	$(BIN)/python -m pytest tests/ui/test_screenshots.py

bench: setup
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) build dist *.egg-info test-output .demo
