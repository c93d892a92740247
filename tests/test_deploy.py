"""deploy/: the systemd units (checked by systemd itself), the udev rules and the install script."""
from __future__ import annotations

import configparser
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
KIOSK_UNIT = DEPLOY / "servicepunkt-kiosk.service"
CENTRAL_UNIT = DEPLOY / "servicepunkt-central.service"


def unit(path: Path) -> configparser.ConfigParser:
    parsed = configparser.ConfigParser(strict=False, interpolation=None)
    parsed.optionxform = str
    parsed.read(path)
    return parsed


def test_kiosk_unit_restarts_forever_and_keeps_the_screen_on() -> None:
    kiosk = unit(KIOSK_UNIT)
    service = kiosk["Service"]
    assert service["Restart"] == "always"
    assert kiosk["Unit"]["StartLimitIntervalSec"] == "0"
    assert "-dpms" in service["ExecStartPre"] and "s off" in service["ExecStartPre"]
    assert service["ExecStart"].endswith("kiosk run")


def test_kiosk_unit_has_a_watchdog_the_app_feeds() -> None:
    service = unit(KIOSK_UNIT)["Service"]
    assert service["Type"] == "notify" and service["NotifyAccess"] == "main"
    assert int(service["WatchdogSec"]) >= 30  # the app pings every WatchdogSec/2 from its UI clock


def test_central_unit_listens_on_loopback_behind_the_proxy() -> None:
    central = unit(CENTRAL_UNIT)
    assert central["Service"]["Restart"] == "always"
    assert "--host 127.0.0.1" in central["Service"]["ExecStart"]
    assert central["Service"]["EnvironmentFile"] == "/etc/servicepunkt/central.env"


def test_central_unit_has_a_watchdog_the_server_feeds() -> None:
    service = unit(CENTRAL_UNIT)["Service"]
    assert service["Type"] == "notify" and service["NotifyAccess"] == "main"
    assert int(service["WatchdogSec"]) >= 10  # pinged every WatchdogSec/2 while /healthz answers
    assert int(service["TimeoutStartSec"]) >= 300  # migrations before READY=1


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
def test_central_unit_is_sandboxed_to_at_most_4() -> None:
    result = subprocess.run(["systemd-analyze", "security", "--offline=yes", str(CENTRAL_UNIT)],
                            capture_output=True, text=True, timeout=60)
    match = re.search(r"Overall exposure level for \S+: (\d+\.\d)", result.stdout)
    assert match, result.stdout + result.stderr
    assert float(match.group(1)) <= 4.0


def test_every_relaxation_of_the_central_sandbox_says_why() -> None:
    """Each setting the sandbox leaves open is named in a "Relaxed:" comment with its reason."""
    text = CENTRAL_UNIT.read_text()
    relaxed = re.findall(r"^# Relaxed: (?:no )?(\w+)=", text, re.MULTILINE)
    assert set(relaxed) == {"RestrictAddressFamilies", "IPAddressDeny", "MemoryDenyWriteExecute"}
    assert re.search(r"^PrivateNetwork=", text, re.MULTILINE) is None  # explained with the families


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
@pytest.mark.parametrize("path", [KIOSK_UNIT, CENTRAL_UNIT], ids=lambda p: p.name)
def test_systemd_accepts_the_unit(path: Path) -> None:
    result = subprocess.run(["systemd-analyze", "verify", str(path)], capture_output=True, text=True, timeout=60)
    # The programs and users exist only on an installed machine; anything else is a real problem.
    problems = [line for line in result.stderr.splitlines()
                if line and "is not executable" not in line and "Failed to resolve user" not in line]
    assert problems == []


def test_udev_rules_name_devices_and_keep_modemmanager_off() -> None:
    lines = [line for line in (DEPLOY / "99-servicepunkt.rules").read_text().splitlines()
             if line and not line.startswith("#")]
    assert lines and all(line.startswith('SUBSYSTEM=="tty"') for line in lines)
    assert all('ENV{ID_MM_DEVICE_IGNORE}="1"' in line and 'GROUP="dialout"' in line for line in lines)


def test_install_script_lays_out_the_bundle_units_rules_and_wrapper(tmp_path: Path) -> None:
    bundle = tmp_path / "dist" / "kiosk"
    bundle.mkdir(parents=True)
    (bundle / "kiosk").write_text("#!/bin/sh\n")
    stage = tmp_path / "stage"
    result = subprocess.run([str(ROOT / "scripts" / "install-kiosk.sh"), "--root", str(stage), "--no-system",
                             "--bundle", str(bundle)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    for path in ("opt/servicepunkt/kiosk/kiosk", "etc/systemd/system/servicepunkt-kiosk.service",
                 "etc/udev/rules.d/99-servicepunkt.rules", "etc/lightdm/lightdm.conf.d/50-servicepunkt.conf"):
        assert (stage / path).is_file(), path
    assert (stage / "etc/servicepunkt").stat().st_mode & 0o777 == 0o700
    wrapper = (stage / "usr/local/bin/kiosk").read_text()
    assert "runuser -u kiosk -- /opt/servicepunkt/kiosk/kiosk" in wrapper
    lightdm = (stage / "etc/lightdm/lightdm.conf.d/50-servicepunkt.conf").read_text()
    assert "-dpms" in lightdm and "autologin-user=kiosk" in lightdm


def test_install_script_is_valid_bash_and_rejects_unknown_options() -> None:
    result = subprocess.run(["bash", "-n", str(ROOT / "scripts" / "install-kiosk.sh")], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    usage = subprocess.run([str(ROOT / "scripts" / "install-kiosk.sh"), "--bogus"], capture_output=True, text=True)
    assert usage.returncode == 2 and "unknown option: --bogus" in usage.stderr
