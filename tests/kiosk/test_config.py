from __future__ import annotations

import stat
from pathlib import Path

import pytest

from kiosk.config import ConfigError, load_config, parse_config, write_config

LOCKER = {"port": "/dev/ttyUSB0", "compartments": [{"id": "A1", "board": 0, "lock": 1, "size": "S"}]}


def test_a_minimal_config_gets_sane_defaults(tmp_path: Path) -> None:
    config = parse_config({"data_dir": str(tmp_path), "locker": LOCKER})
    assert config.language == "sv"
    assert config.locker.hook_closed_bit == 1
    assert config.database_path == tmp_path / "kiosk.db"


@pytest.mark.parametrize("raw,named", [
    ({"locker": LOCKER}, "data_dir"),
    ({"data_dir": "/x", "language": "de"}, "language"),
    ({"data_dir": "/x", "locker": {**LOCKER, "compartments": [{"id": "A1", "board": 0, "lock": 17}]}},
     "locker.compartments.0.lock"),
    ({"data_dir": "/x", "colour": "red"}, "colour"),
])
def test_errors_name_the_key(raw: dict, named: str) -> None:
    with pytest.raises(ConfigError, match=named.replace(".", r"\.")):
        parse_config(raw)


def test_duplicate_compartments_are_refused() -> None:
    twice = {**LOCKER, "compartments": LOCKER["compartments"] * 2}
    with pytest.raises(ConfigError, match="unique"):
        parse_config({"data_dir": "/x", "locker": twice})


def test_written_config_reads_back_and_is_private(tmp_path: Path) -> None:
    config = parse_config({"data_dir": str(tmp_path), "locker": LOCKER, "service_point_name": "Lanthandeln å ä ö"})
    path = tmp_path / "etc" / "kiosk.toml"
    write_config(config, path)
    assert load_config(path) == config
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["kiosk.toml"]  # no temp file left behind


def test_missing_and_broken_files_say_so(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="kiosk provision"):
        load_config(tmp_path / "absent.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("data_dir = ")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(broken)
