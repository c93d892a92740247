"""`kiosk config show|validate|set` and `kiosk logs`, through click's CliRunner on real files."""
from __future__ import annotations

import os
import stat
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from kiosk.cli.logs import log_file, parse_since
from kiosk.cli.main import cli
from kiosk.config import load_config, parse_config, write_config


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    """A short file as a person writes it: only what differs from the defaults."""
    path = tmp_path / "etc" / "kiosk.toml"
    path.parent.mkdir()
    path.write_text(f'data_dir = "{tmp_path / "data"}"\nlanguage = "fi"\n\n[locker]\n'
                    'port = "/dev/servicepunkt/locker"\ncompartments = [\n'
                    '  {id = "A1", board = 0, lock = 1, size = "S"},\n  {id = "A2", board = 0, lock = 2},\n]\n')
    return path


def kiosk(config_path: Path, *args: str):
    return CliRunner().invoke(cli, ["--config", str(config_path), *args])


def test_show_prints_the_file_and_with_defaults_everything(config_path) -> None:
    shown = kiosk(config_path, "config", "show")
    assert shown.exit_code == 0 and f"# {config_path}" in shown.output
    assert 'language = "fi"' in shown.output and "idle_timeout_s" not in shown.output
    full = kiosk(config_path, "config", "show", "--defaults")
    assert full.exit_code == 0 and "idle_timeout_s = 90.0" in full.output and "[panel]" in full.output


def test_validate_says_valid_or_names_each_bad_key(config_path) -> None:
    good = kiosk(config_path, "config", "validate")
    assert good.exit_code == 0 and "valid (locker; server none)" in good.output
    config_path.write_text(config_path.read_text().replace('language = "fi"', 'language = "de"')
                           + "\n[scanner]\nport = \"\"\n")
    bad = kiosk(config_path, "config", "validate")
    assert bad.exit_code == 1
    assert "language: Input should be" in bad.output and "scanner.port: String should have at least 1" in bad.output


def test_validate_reports_broken_toml_and_a_missing_file(tmp_path, config_path) -> None:
    config_path.write_text("[locker\n")
    assert "not valid TOML" in kiosk(config_path, "config", "validate").output
    missing = kiosk(tmp_path / "none.toml", "config", "validate")
    assert missing.exit_code == 1 and "kiosk provision" in missing.output
    (tmp_path / "file").write_text("")
    unreadable = kiosk(tmp_path / "file" / "kiosk.toml", "config", "show")
    assert unreadable.exit_code == 1 and "cannot read: Not a directory" in unreadable.output


@pytest.mark.parametrize("key,value,expected", [
    ("language", "sv", "sv"),
    ("locker.hook_closed_bit", "0", 0),
    ("locker.compartments.1.size", "L", "L"),
    ("panel.width_mm", "154.5", 154.5),
    ("printer.port", "/dev/servicepunkt/printer", "/dev/servicepunkt/printer"),
])
def test_set_changes_one_key_and_keeps_the_file_private(config_path, key, value, expected) -> None:
    result = kiosk(config_path, "config", "set", key, value)
    assert result.exit_code == 0, result.output
    data = load_config(config_path).model_dump(mode="json")
    for part in key.split("."):
        data = data[int(part)] if isinstance(data, list) else data[part]
    assert data == expected
    assert stat.S_IMODE(config_path.stat().st_mode) == 0o600


@pytest.mark.parametrize("key,value,message", [
    ("language", "de", "language: Input should be"),
    ("locker.hook_closed_bit", "2", "locker.hook_closed_bit: Input should be 0 or 1"),
    ("locker.compartments.1.id", "A1", "compartment ids must be unique"),
    ("locker.compartments.7.size", "L", "'7' is not an item number 0..1"),
    ("lockre.port", "/dev/ttyUSB0", "lockre: Extra inputs are not permitted"),
    ("language.code", "sv", "'language' is a value, not a section"),
    ("idle_timeout_s", "5", "idle_timeout_s: Input should be greater than or equal to 20"),
])
def test_set_refuses_a_bad_value_and_changes_nothing(config_path, key, value, message) -> None:
    before = config_path.read_bytes()
    result = kiosk(config_path, "config", "set", key, value)
    assert result.exit_code != 0 and message in result.output and "nothing changed" in result.output, result.output
    assert config_path.read_bytes() == before
    assert [p.name for p in config_path.parent.iterdir()] == ["kiosk.toml"]  # no temp file left


def test_logs_fall_back_to_the_kiosk_log_file(config_path) -> None:
    path = log_file(load_config(config_path).data_dir)
    path.parent.mkdir(parents=True)
    path.with_name("kiosk.log.1").write_text("2020-01-01 10:00:00,000 INFO x: ancient\n")
    path.write_text("2020-01-02 09:00:00,000 INFO x: old\n"
                    f"{datetime.now():%Y-%m-%d %H:%M:%S},000 ERROR x: new\nTraceback: the rest of it\n")
    result = kiosk(config_path, "logs", "--file", "--since", "2h")
    assert result.exit_code == 0
    assert "ERROR x: new" in result.output and "Traceback: the rest of it" in result.output
    assert "old" not in result.output and "ancient" not in result.output
    # No kiosk unit in this machine's journal: the file is what `kiosk logs` shows.
    assert kiosk(config_path, "logs", "--since", "2h").output == result.output
    everything = kiosk(config_path, "logs", "--file", "--since", "2020-01-01")
    assert everything.output.index("ancient") < everything.output.index("old") < everything.output.index("new")


def test_logs_say_when_there_is_nothing_and_refuse_a_bad_since(config_path) -> None:
    missing = kiosk(config_path, "logs", "--file")
    assert missing.exit_code != 0 and "no log file at" in missing.output
    bad = kiosk(config_path, "logs", "--since", "last tuesday")
    assert bad.exit_code == 2 and "use e.g. 2h, 30min" in bad.output


def test_since_understands_what_a_technician_types() -> None:
    now = datetime(2026, 11, 27, 14, 30)
    assert parse_since("2h", now) == datetime(2026, 11, 27, 12, 30)
    assert parse_since("30min", now) == datetime(2026, 11, 27, 14, 0)
    assert parse_since("yesterday", now) == datetime(2026, 11, 26)
    assert parse_since("2026-11-27 08:15", now) == datetime(2026, 11, 27, 8, 15)


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give files away")
def test_set_as_root_keeps_the_file_readable_by_its_owner(config_path) -> None:
    os.chown(config_path.parent, 65534, 65534)  # as /etc/servicepunkt belongs to the kiosk user
    os.chown(config_path, 65534, 65534)
    assert kiosk(config_path, "config", "set", "language", "en").exit_code == 0
    assert (config_path.stat().st_uid, config_path.stat().st_gid) == (65534, 65534)
    config_path.unlink()
    write_config(parse_config({"data_dir": "/tmp"}), config_path)
    assert config_path.stat().st_uid == 65534  # a new file belongs to the directory's owner
