# The two commands: `make demo` and `make test`. Each sets up what it needs first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test check setup system venv dist dist-check bench screenshots clean

demo: setup
	$(BIN)/kiosk demo

test: check
	$(BIN)/python -m pytest

# The quality gate: lint, then types (the configuration of both is in pyproject.toml).
check: setup
	$(BIN)/ruff check .
	$(BIN)/mypy

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

# The kiosk as one folder for the Pi (dist/kiosk/kiosk, with assets, catalogs, migrations, Kivy).
# Takes a few minutes, so it is not part of `make test`; `make dist-check` builds and smoke-tests it.
dist: setup
	$(BIN)/pyinstaller --noconfirm --log-level WARN --distpath dist --workpath build/pyinstaller kiosk.spec

dist-check: dist
	SERVICEPUNKT_DIST=dist/kiosk $(BIN)/python -m pytest tests/test_dist.py

bench: setup
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) build dist *.egg-info test-output .demo
