"""The technician CLI, through click's CliRunner, against a real central server on loopback."""
from __future__ import annotations

import stat
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from hardware.sim.runner import SimulatorSet
from kiosk.cli.main import cli
from kiosk.config import load_config
from tests.sync.helpers import Central


def all_commands(group: click.Group, prefix: tuple[str, ...] = ()):
    for name, command in group.commands.items():
        yield prefix + (name,), command
        if isinstance(command, click.Group):
            yield from all_commands(command, prefix + (name,))


@pytest.mark.parametrize("path", [p for p, _ in all_commands(cli)], ids=" ".join)
def test_every_command_has_help(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    command = dict(all_commands(cli))[path]
    assert (command.help or "").strip(), f"kiosk {' '.join(path)} has no help text"


@pytest.fixture(scope="module")
def locker_port():
    with SimulatorSet(devices=("locker",)) as sims:
        yield sims.ports["locker"]


@pytest.fixture
def provision(locker_port):
    def run(tmp_path: Path, server: str, code: str, *extra: str):
        config = tmp_path / "etc" / "kiosk.toml"
        args = ["--config", str(config), "provision", "--server", server, "--code", code,
                "--data-dir", str(tmp_path / "data"), "--locker-port", locker_port, *extra]
        return config, CliRunner().invoke(cli, args)
    return run


def test_provision_enrolls_and_writes_a_private_config(tmp_path: Path, central: Central, provision) -> None:
    config_path, result = provision(tmp_path, central.url, central.add_kiosk(), "--language", "fi")
    assert result.exit_code == 0, result.output
    config = load_config(config_path)
    assert config.language == "fi" and config.server.url == central.url
    assert len(config.locker.compartments) == 8
    assert stat.S_IMODE(config_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(config.device_key_path.stat().st_mode) == 0o600


def test_provision_twice_with_the_same_code_is_harmless(tmp_path: Path, central: Central, provision) -> None:
    code = central.add_kiosk()
    first_path, first = provision(tmp_path, central.url, code)
    second_path, second = provision(tmp_path, central.url, code)
    assert first.exit_code == second.exit_code == 0, second.output
    assert load_config(first_path).server.device_id == load_config(second_path).server.device_id


@pytest.mark.parametrize("server,code,message", [
    (None, "WRONG-CODE-1234", "enrollment failed"),
    ("http://127.0.0.1:9", "AAAA-BBBB", "enrollment failed"),
])
def test_provision_failures_are_clear_and_write_no_config(tmp_path: Path, central: Central, provision, server, code,
                                                          message) -> None:
    config_path, result = provision(tmp_path, server or central.url, code)
    assert result.exit_code != 0
    assert message in result.output
    assert not config_path.exists()


def test_sync_now_and_status_after_provisioning(tmp_path: Path, central: Central, provision) -> None:
    central.add_staff("Anna", "04A1B2C3")
    config_path, result = provision(tmp_path, central.url, central.add_kiosk())
    assert result.exit_code == 0, result.output
    now = CliRunner().invoke(cli, ["--config", str(config_path), "sync", "now"])
    assert now.exit_code == 0, now.output
    assert "1 changes received" in now.output
    status = CliRunner().invoke(cli, ["--config", str(config_path), "sync", "status"])
    assert status.exit_code == 0 and "depth: 0" in status.output


def test_sync_now_reports_an_unreachable_server(tmp_path: Path, central: Central, provision) -> None:
    config_path, _ = provision(tmp_path, central.url, central.add_kiosk())
    central.live.stop()
    central.live = None
    result = CliRunner().invoke(cli, ["--config", str(config_path), "sync", "now"])
    assert result.exit_code != 0 and "sync failed" in result.output


def test_commands_without_a_config_say_what_to_do(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--config", str(tmp_path / "none.toml"), "sync", "status"])
    assert result.exit_code != 0 and "kiosk provision" in result.output
