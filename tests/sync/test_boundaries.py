"""sync.server stands alone: it imports sync.protocol and itself, never kiosk or hardware;
the kiosk-side sync modules take callbacks instead of importing the kiosk."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SYNC = Path(__file__).resolve().parents[2] / "sync"
SERVER_MODULES = sorted(
    ".".join(path.relative_to(SYNC.parent).with_suffix("").parts).removesuffix(".__init__")
    for path in (SYNC / "server").rglob("*.py") if path.parent.name != "versions"
    and path.name != "env.py"
)


def imports_of(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def top(name: str) -> str:
    return name.split(".")[0]


@pytest.mark.parametrize("path", sorted((SYNC / "server").rglob("*.py")), ids=lambda p: p.name)
def test_server_source_imports_only_the_protocol_of_sync(path: Path) -> None:
    ours = {name for name in imports_of(path) if top(name) in ("sync", "kiosk", "hardware", "kivy")}
    assert all(name == "sync" or name.startswith(("sync.server", "sync.protocol")) for name in ours), ours


@pytest.mark.parametrize("name", ["outbox.py", "client.py", "worker.py", "devicekey.py", "errors.py",
                                  "protocol.py"])
def test_kiosk_side_sync_imports_no_kiosk_code(name: str) -> None:
    bad = {n for n in imports_of(SYNC / name) if top(n) in ("kiosk", "hardware", "kivy")}
    assert not bad


def test_importing_the_whole_server_loads_no_kiosk_or_hardware() -> None:
    probe = (
        "import importlib, sys\n"
        f"for name in {SERVER_MODULES!r}:\n"
        "    importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('kiosk', 'hardware', 'kivy')"
        " or m in ('sync.outbox', 'sync.client', 'sync.worker')))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
    assert "sync.server.api.app" in SERVER_MODULES and "sync.server.cli.main" in SERVER_MODULES
