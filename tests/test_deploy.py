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


UPDATE_UNITS = [DEPLOY / "servicepunkt-update.service", DEPLOY / "servicepunkt-update.timer"]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
@pytest.mark.parametrize("path", [KIOSK_UNIT, CENTRAL_UNIT, *UPDATE_UNITS], ids=lambda p: p.name)
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
    assert "ExecStart=/usr/local/bin/kiosk run" in (stage / "etc/systemd/system/servicepunkt-kiosk.service").read_text()
    wrapper = (stage / "usr/local/bin/kiosk").read_text()
    assert "runuser -u kiosk -- /opt/servicepunkt/kiosk/kiosk" in wrapper
    lightdm = (stage / "etc/lightdm/lightdm.conf.d/50-servicepunkt.conf").read_text()
    assert "-dpms" in lightdm and "autologin-user=kiosk" in lightdm


def test_install_script_is_valid_bash_and_rejects_unknown_options() -> None:
    result = subprocess.run(["bash", "-n", str(ROOT / "scripts" / "install-kiosk.sh")], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    usage = subprocess.run([str(ROOT / "scripts" / "install-kiosk.sh"), "--bogus"], capture_output=True, text=True)
    assert usage.returncode == 2 and "unknown option: --bogus" in usage.stderr


# --- the panel's rotation: the picture (xrandr, at X start) and the touch (libinput) together --

def install(stage: Path, tmp_path: Path, *options: str) -> subprocess.CompletedProcess[str]:
    bundle = tmp_path / "dist" / "kiosk"
    bundle.mkdir(parents=True, exist_ok=True)
    (bundle / "kiosk").write_text("#!/bin/sh\n")
    return subprocess.run([str(ROOT / "scripts" / "install-kiosk.sh"), "--root", str(stage), "--no-system",
                           "--bundle", str(bundle), *options], capture_output=True, text=True, timeout=60)


def calibration_matrix(stage: Path) -> list[float]:
    snippet = (stage / "etc/X11/xorg.conf.d/90-servicepunkt-touch.conf").read_text()
    assert 'MatchIsTouchscreen "on"' in snippet and 'MatchDriver "libinput"' in snippet
    [line] = [line for line in snippet.splitlines() if '"CalibrationMatrix"' in line]
    return [float(number) for number in line.split('"')[3].split()]


def shown_at(point: tuple[float, float], degrees: int) -> tuple[float, float]:
    """Where on the unturned panel (0..1, y down) a point of the screen's picture appears once
    the picture is turned DEGREES clockwise: each quarter turn takes (x, y) to (1 - y, x)."""
    x, y = point
    for _ in range(degrees // 90):
        x, y = 1 - y, x
    return x, y


def rotated_output(stage: Path, tmp_path: Path) -> str:
    """What the display-setup script asks of xrandr, with a fake xrandr on PATH that lists an
    HDMI output and the Touch Display's DSI output."""
    fake = tmp_path / "bin"
    fake.mkdir(exist_ok=True)
    log = tmp_path / "xrandr.log"
    (fake / "xrandr").write_text(
        "#!/bin/sh\n"
        'if [ "$1" = --query ]; then printf "HDMI-1 disconnected\\nDSI-1 connected 720x1280+0+0\\n"; exit 0; fi\n'
        f'echo "$@" >> {log}\n')
    (fake / "xrandr").chmod(0o755)
    setup = stage / "usr/local/lib/servicepunkt/display-setup"
    result = subprocess.run(["sh", str(setup)], env={"PATH": f"{fake}:/usr/bin:/bin"},
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    return log.read_text().strip()


@pytest.mark.parametrize("degrees,xrandr", [(0, "normal"), (90, "right"), (180, "inverted"), (270, "left")])
def test_rotation_turns_the_picture_and_the_touch_together(tmp_path: Path, degrees: int, xrandr: str) -> None:
    stage = tmp_path / "stage"
    result = install(stage, tmp_path, "--rotation", str(degrees))
    assert result.returncode == 0, result.stderr
    assert rotated_output(stage, tmp_path) == f"--output DSI-1 --rotate {xrandr}"
    a, b, c, d, e, f, *last_row = calibration_matrix(stage)
    assert last_row == [0, 0, 1]
    for corner in ((0, 0), (1, 0), (0, 1), (1, 1)):  # a finger where the picture's corner shows
        x, y = shown_at(corner, degrees)
        assert (a * x + b * y + c, d * x + e * y + f) == corner, (degrees, corner)


def test_a_rerun_keeps_the_rotation_and_a_named_output_is_used(tmp_path: Path) -> None:
    stage = tmp_path / "stage"
    assert install(stage, tmp_path, "--rotation", "270", "--display-output", "DSI-2").returncode == 0
    assert install(stage, tmp_path).returncode == 0  # an update, no --rotation
    assert calibration_matrix(stage) == [0, -1, 1, 1, 0, 0, 0, 0, 1]
    assert rotated_output(stage, tmp_path) == "--output DSI-2 --rotate left"


@pytest.mark.parametrize("options,message", [
    (("--rotation", "45"), "--rotation: 0, 90, 180 or 270"),
    (("--display-output", "DSI-1; reboot"), "--display-output: an output name"),
])
def test_a_bad_rotation_setting_is_refused_before_anything_is_written(tmp_path: Path, options, message) -> None:
    stage = tmp_path / "stage"
    result = install(stage, tmp_path, *options)
    assert result.returncode == 2 and message in result.stderr
    assert not stage.exists()


def test_lightdm_runs_the_display_setup_and_the_app_cannot_read_raw_input() -> None:
    lightdm = configparser.ConfigParser(interpolation=None)
    lightdm.read(DEPLOY / "lightdm-servicepunkt.conf")
    assert lightdm["Seat:*"]["display-setup-script"] == "/usr/local/lib/servicepunkt/display-setup"
    assert "input" not in unit(KIOSK_UNIT)["Service"]["SupplementaryGroups"].split()
    assert ",input," not in (ROOT / "scripts" / "install-kiosk.sh").read_text()


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
def test_kiosk_unit_rates_6_or_lower_in_systemd_security() -> None:
    result = subprocess.run(["systemd-analyze", "security", "--offline=yes", str(KIOSK_UNIT)],
                            capture_output=True, text=True, timeout=60)
    match = re.search(r"Overall exposure level for \S+: ([0-9.]+)", result.stdout)
    assert match, result.stdout + result.stderr
    assert float(match[1]) <= 6.0


def test_kiosk_unit_sandbox_keeps_what_the_app_needs() -> None:
    lines = [line.strip() for line in KIOSK_UNIT.read_text().splitlines()]
    service = unit(KIOSK_UNIT)["Service"]
    assert service["CapabilityBoundingSet"] == "" and service["NoNewPrivileges"] == "yes"
    assert service["StateDirectory"] == "servicepunkt" and service["UMask"] == "0077"
    assert service["ProtectSystem"] == "strict" and service["DevicePolicy"] == "closed"
    # The lock boards, readers and printers on USB serial, and the touch screen.
    assert {"DeviceAllow=char-ttyUSB rw", "DeviceAllow=char-ttyACM rw", "DeviceAllow=char-input r"} <= set(lines)
    assert "SystemCallFilter=@system-service" in lines
    assert set(service["RestrictAddressFamilies"].split()) == {"AF_UNIX", "AF_INET", "AF_INET6", "AF_NETLINK"}


def test_every_relaxation_in_the_kiosk_unit_says_why() -> None:
    lines = KIOSK_UNIT.read_text().splitlines()
    relaxed = [i for i, line in enumerate(lines)
               if line.startswith(("RestrictNamespaces=", "MemoryDenyWriteExecute=no", "SystemCallFilter=chroot"))]
    assert len(relaxed) == 3
    assert all(lines[i - 1].startswith("# Relaxed: ") for i in relaxed)
