"""Dependency rules of the hardware package, checked in fresh interpreters and on the AST."""

from __future__ import annotations

import ast
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import hardware

REPO = Path(__file__).resolve().parents[2]
PACKAGE = Path(hardware.__file__).parent


def modules(prefix: str = "hardware") -> list[str]:
    path = [str(PACKAGE / prefix.partition(".")[2].replace(".", "/"))]
    found = [prefix]
    for info in pkgutil.walk_packages(path, prefix + "."):
        if not info.name.endswith("__main__"):
            found.append(info.name)
    return found


def loaded_after_importing(names: list[str]) -> set[str]:
    code = (f"import importlib, json, sys\nfor n in {names!r}: importlib.import_module(n)\n"
            "print(json.dumps(sorted(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True,
                         capture_output=True, text=True).stdout
    return set(json.loads(out))


def imported_names(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_every_module_is_found():
    assert {"hardware.protocols.kerong", "hardware.devices.locker",
            "hardware.sim.runner", "hardware.transport"} <= set(modules())


def test_hardware_loads_no_kivy_kiosk_or_sync():
    loaded = loaded_after_importing(modules())
    assert not {m for m in loaded if m.split(".")[0] in {"kivy", "kiosk", "sync"}}


def test_protocols_load_no_pyserial():
    loaded = loaded_after_importing(modules("hardware.protocols"))
    assert "serial" not in loaded and "hardware.transport" not in loaded


def test_sources_import_only_allowed_packages():
    for path in PACKAGE.rglob("*.py"):
        roots = {name.split(".")[0] for name in imported_names(path)}
        assert not roots & {"kiosk", "sync", "kivy"}, path
        if "protocols" in path.parts:
            assert not roots & {"serial"}, path
            assert all(n == "hardware.errors" or not n.startswith("hardware.")
                       for n in imported_names(path)), path
