"""The CLIs and every non-UI module load without Kivy (Kivy parses sys.argv when imported)."""
from __future__ import annotations

import subprocess
import sys

from tests.test_layout import modules

NON_UI = sorted(name for name, _ in modules()
                if not name.startswith("kiosk.ui") and not name.endswith("migrations.env"))

PROBE = """
import importlib, sys
for name in {names!r}:
    importlib.import_module(name)
{extra}
loaded = sorted(m for m in sys.modules if m == "kivy" or m.startswith("kivy."))
assert not loaded, f"kivy was loaded: {{loaded[:5]}}"
print("ok")
"""


def run_fresh(names: list[str], extra: str = "") -> subprocess.CompletedProcess:
    code = PROBE.format(names=names, extra=extra)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


def test_every_non_ui_module_imports_without_kivy() -> None:
    result = run_fresh(NON_UI)
    assert result.returncode == 0, result.stderr
    assert len(NON_UI) > 20


def test_cli_help_runs_without_kivy() -> None:
    extra = """
from click.testing import CliRunner
from kiosk.cli.main import cli
from sync.server.cli.main import cli as central
for group, args in ((cli, ["--help"]), (cli, ["provision", "--help"]), (central, ["--help"])):
    result = CliRunner().invoke(group, args)
    assert result.exit_code == 0, result.output
"""
    result = run_fresh(["kiosk.cli.main", "sync.server.cli.main"], extra)
    assert result.returncode == 0, result.stderr


def test_the_probe_notices_kivy() -> None:
    result = run_fresh(["kivy.event"])
    assert result.returncode != 0 and "kivy was loaded" in result.stderr
