"""The dependency direction of DESIGN.md, enforced on every module's imports (parsed, not run)."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("kiosk", "hardware", "sync")


def modules() -> list[tuple[str, Path]]:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
            found.append((name, path))
    return found


def imported_names(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def is_within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def forbidden_for(module: str) -> tuple[str, ...]:
    """What each layer may not import."""
    if is_within(module, "sync.server"):
        return ("kiosk", "hardware", "sync.outbox", "sync.client", "sync.worker", "kivy")
    if is_within(module, "sync"):
        return ("kiosk", "hardware", "kivy")
    if is_within(module, "hardware.protocols"):
        return ("kiosk", "sync", "kivy", "serial")
    if is_within(module, "hardware"):
        return ("kiosk", "sync", "kivy")
    if module == "kiosk.ui.sim_panel":
        return ("sync",)  # the demo's stand-in for hardware talks to the simulators, by design
    if is_within(module, "kiosk.ui"):
        return ("hardware", "sync", "kiosk.store")  # the UI goes through kiosk.services
    return ("kivy", "kiosk.ui", "sync.server")  # the rest of kiosk: cli, services, store, config


ALLOWED_UI_ENTRY = {("kiosk.cli.main", "kiosk.ui.launch")}  # imported inside `kiosk run` only


@pytest.mark.parametrize("module,path", modules(), ids=lambda value: str(value) if isinstance(value, str) else "")
def test_module_respects_dependency_direction(module: str, path: Path) -> None:
    bad = sorted(
        name for name in imported_names(path)
        for prefix in forbidden_for(module)
        if is_within(name, prefix) and (module, name) not in ALLOWED_UI_ENTRY
    )
    assert not bad, f"{module} imports {bad}, which DESIGN.md's dependency direction forbids"


def test_the_checker_catches_a_forbidden_import(tmp_path: Path) -> None:
    offender = tmp_path / "offender.py"
    offender.write_text("import kiosk.services.parcels\nfrom hardware.devices import locker\n")
    assert {"kiosk.services.parcels", "hardware.devices"} <= imported_names(offender)
    assert is_within("kiosk.services.parcels", forbidden_for("sync.server.app")[0])
