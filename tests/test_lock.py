"""requirements/*.txt, the locks `make lock` writes from pyproject.toml: every dependency the
project declares is in its lock at the declared version, and every pin carries a hash (so
`pip install --require-hashes` accepts it; `make venv` and `make deb` install nothing else)."""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from kiosk import __version__
from sync import __version__ as sync_version

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
# lock file -> the extras it is compiled with
LOCKS = {"kiosk.txt": (), "central.txt": ("central",), "dev.txt": ("central", "dev")}
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)")


def pins(lock: Path) -> dict[str, str]:
    found = {}
    for line in lock.read_text().splitlines():
        match = PIN.match(line)
        if match:
            found[canonicalize_name(match[1])] = match[2]
    return found


def declared(extras: tuple[str, ...]) -> list[Requirement]:
    lines = list(PROJECT["dependencies"])
    for extra in extras:
        lines += PROJECT["optional-dependencies"][extra]
    return [Requirement(line) for line in lines]


@pytest.mark.parametrize("name", LOCKS)
def test_lock_pins_every_declared_dependency_at_its_declared_version(name: str) -> None:
    locked = pins(ROOT / "requirements" / name)
    for requirement in declared(LOCKS[name]):
        key = canonicalize_name(requirement.name)
        assert key in locked, f"{requirement.name} is missing from requirements/{name}: run `make lock`"
        assert requirement.specifier.contains(locked[key]), \
            f"requirements/{name} pins {key}=={locked[key]}, pyproject.toml asks {requirement}: run `make lock`"


@pytest.mark.parametrize("name", LOCKS)
def test_every_pin_in_the_lock_has_a_hash(name: str) -> None:
    # A requirement block is the pin line and its continuation lines up to the next pin.
    blocks = re.split(r"\n(?=[A-Za-z0-9])", (ROOT / "requirements" / name).read_text())
    pinned = [block for block in blocks if PIN.match(block)]
    assert pinned and all("--hash=sha256:" in block for block in pinned)


def test_the_code_reports_the_version_in_pyproject() -> None:
    assert __version__ == sync_version == PROJECT["version"]


def test_both_command_lines_print_the_version_in_pyproject() -> None:
    from click.testing import CliRunner

    from kiosk.cli.main import cli
    from sync.server.cli.main import main

    runner = CliRunner()
    assert runner.invoke(cli, ["--version"]).output == f"kiosk, version {PROJECT['version']}\n"
    assert runner.invoke(main, ["--version"]).output == f"kiosk-central, version {PROJECT['version']}\n"
