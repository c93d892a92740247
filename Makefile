# The two commands: `make demo` and `make test`. Each sets up what it needs first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test check setup system venv lock dist dist-check deb deb-check bench screenshots clean

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

# Reinstall only when the lock changes: every transitive dependency at its locked version and
# hash (requirements/dev.txt), then the project itself without resolving anything more.
$(STAMP): pyproject.toml requirements/dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q --require-hashes -r requirements/dev.txt
	$(BIN)/pip install -q --no-deps -e .
	@# A dependency added to pyproject.toml but not locked yet shows here, not at import time.
	$(BIN)/pip check >/dev/null || { $(BIN)/pip check; echo "run: make lock" >&2; exit 1; }
	touch $(STAMP)

# The locks, from pyproject.toml's dependencies: the kiosk's runtime (its Debian runtime package),
# the central server's (its package) and the developers' (make venv). After changing a dependency
# in pyproject.toml: `make lock`, and commit requirements/ with it. Kept versions stay unless
# pyproject.toml asks otherwise; `make lock UPGRADE=1` moves every unpinned one to the newest.
PIP_COMPILE := CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile -q --generate-hashes --allow-unsafe \
	--strip-extras --no-emit-index-url --no-emit-find-links $(if $(UPGRADE),--upgrade)
lock:
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q pip-tools==7.6.2
	$(PIP_COMPILE) -o requirements/kiosk.txt pyproject.toml
	$(PIP_COMPILE) --extra central -o requirements/central.txt pyproject.toml
	$(PIP_COMPILE) --extra central --extra dev -o requirements/dev.txt pyproject.toml

# Every screen x language x display mode on the reference panels, checked: test-output/screenshots/
screenshots: setup
	$(BIN)/python -m pytest tests/ui/test_screenshots.py

# The kiosk as one folder for the Pi (dist/kiosk/kiosk, with assets, catalogs, migrations, Kivy).
# Takes a few minutes, so it is not part of `make test`; `make dist-check` builds and smoke-tests it.
dist: setup
	$(BIN)/pyinstaller --noconfirm --log-level WARN --distpath dist --workpath build/pyinstaller kiosk.spec

dist-check: dist
	SERVICEPUNKT_DIST=dist/kiosk $(BIN)/python -m pytest tests/test_dist.py

# The Debian packages (dist/deb/): servicepunkt-kiosk (our code, all architectures),
# servicepunkt-kiosk-runtime-<lock hash> for amd64 and arm64 (the locked dependencies, from
# wheels; the arm64 ones are downloaded for the Pi), servicepunkt-central (amd64). A few minutes.
deb: setup
	@scripts/setup-deb-tools.sh
	$(BIN)/python scripts/build_deb.py

# Slow (a Debian 12 root made with mmdebstrap, the packages installed, upgraded and rolled back in
# it through a signed repository): not part of `make test`. Needs root (chroot, mounts); installs
# the tools it needs. lintian first: no errors allowed (the overrides say why /opt and the wheels).
deb-check: deb
	lintian --fail-on error --suppress-tags no-manual-page dist/deb/*.deb
	SERVICEPUNKT_DEB=dist/deb $(BIN)/python -m pytest -n0 tests/deb

bench: setup
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) build dist *.egg-info test-output .demo
