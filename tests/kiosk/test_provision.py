"""`kiosk provision` through click's CliRunner against a real central server (uvicorn on
loopback) and the byte-exact device simulators on ptys: the happy paths, detection, the
interactive prompts, the dry run, re-running, and what a technician gets wrong."""
from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from hardware.sim.runner import SimulatorSet
from kiosk.cli.main import cli
from kiosk.config import load_config
from sync.server.db.kiosks import Device
from tests.sync.helpers import SP


@pytest.fixture(scope="module")
def sims():
    with SimulatorSet(boards=2) as running:
        yield running


class Kiosk:
    """A fresh kiosk: where its config and data go, and how the technician calls the CLI."""

    def __init__(self, root: Path) -> None:
        self.config = root / "etc" / "servicepunkt" / "kiosk.toml"
        self.data = root / "var" / "servicepunkt"

    def run(self, *args: str, input: str | None = None):
        return CliRunner().invoke(cli, ["--config", str(self.config), *args], input=input)

    def provision(self, server: str, code: str, *extra: str, input: str | None = None):
        return self.run("provision", *(() if "--interactive" in extra else ("--non-interactive",)),
                        "--server", server, "--code", code, "--data-dir", str(self.data), *extra, input=input)

    def nothing_written(self) -> bool:
        leftovers = list(self.config.parent.glob("*")) if self.config.parent.exists() else []
        return not leftovers and not self.data.exists()


@pytest.fixture
def kiosk(tmp_path: Path) -> Kiosk:
    return Kiosk(tmp_path)


def all_ports(sims: SimulatorSet) -> list[str]:
    ports = sims.ports
    return ["--locker-port", ports["locker"], "--card-reader-port", ports["card_reader"],
            "--scanner-port", ports["scanner"], "--printer-port", ports["printer"]]


def test_non_interactive_provisioning_checks_devices_and_writes_the_whole_config(kiosk, central, sims) -> None:
    result = kiosk.provision(central.url, central.add_kiosk(), *all_ports(sims), "--panel", "7in",
                             "--language", "fi", "--sizes", "SML", "--hook-closed-bit", "1")
    assert result.exit_code == 0, result.output
    config = load_config(kiosk.config)
    assert config.language == "fi" and config.server.service_point_id == SP
    assert (config.panel.width_px, config.panel.height_px) == (800, 480)
    assert config.locker.protocol == "kerong" and config.card_reader.protocol == "pn532"
    assert config.printer.port == sims.ports["printer"] and config.scanner.port == sims.ports["scanner"]
    # Both simulated boards answered, so the map covers both: A1-A8 on board 0, B1-B8 on board 1.
    labels = [(c.id, c.board, c.lock, c.size) for c in config.locker.compartments]
    assert labels[:4] == [("A1", 0, 1, "S"), ("A2", 0, 2, "M"), ("A3", 0, 3, "L"), ("A4", 0, 4, "S")]
    assert labels[8] == ("B1", 1, 1, "S") and len(labels) == 16
    assert stat.S_IMODE(kiosk.config.stat().st_mode) == 0o600
    for line in ("locker boards   OK", "card reader     OK", "receipt printer OK", config.server.device_id,
                 "Korpilombolo Handel (SP-KORPILOMBOLO)", "16 compartments on board(s) 0, 1"):
        assert line in result.output
    [device] = central.rows(Device, Device.device_id == config.server.device_id)
    assert device.public_key is not None and '"kiosk_version"' in device.hw


def test_detect_finds_each_device_by_probing(kiosk, central, sims) -> None:
    ports = sims.ports
    probe_here = [arg for port in ("scanner", "printer", "card_reader", "locker")
                  for arg in ("--detect-in", ports[port])]
    result = kiosk.provision(central.url, central.add_kiosk(), "--detect", *probe_here)
    assert result.exit_code == 0, result.output
    config = load_config(kiosk.config)
    assert config.locker.port == ports["locker"] and config.card_reader.port == ports["card_reader"]
    assert config.printer.port == ports["printer"] and config.scanner is None  # a scanner is silent
    assert f"found locker boards on {ports['locker']}" in result.output


def test_interactive_prompts_offer_what_was_detected(kiosk, central, sims) -> None:
    ports = sims.ports
    answers = "\n".join([
        central.url, central.add_kiosk(), str(kiosk.data), "se", "15in",
        "", "", ports["scanner"], "none",  # locker and card reader: as detected; scanner typed; no printer
        "4", "LLMS", "n", "0", "y"]) + "\n"  # no calibration: polarity typed
    result = kiosk.run("provision", "--interactive", "--detect-in", ports["locker"],
                       "--detect-in", ports["card_reader"], input=answers)
    assert result.exit_code == 0, result.output
    assert f"Port of the locker boards ('none' if not fitted) [{ports['locker']}]" in result.output
    config = load_config(kiosk.config)
    assert config.language == "se" and config.panel.width_px == 1920
    assert config.card_reader.port == ports["card_reader"] and config.scanner.port == ports["scanner"]
    assert config.printer is None and config.locker.hook_closed_bit == 0
    assert [c.size for c in config.locker.compartments[:4]] == ["L", "L", "M", "S"]
    assert len(config.locker.compartments) == 8  # 4 on each of the two boards that answered


def test_dry_run_checks_everything_and_writes_nothing(kiosk, central, sims) -> None:
    code = central.add_kiosk()
    result = kiosk.provision(central.url, code, *all_ports(sims), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "Dry run: nothing enrolled, nothing written" in result.output
    assert f'port = "{sims.ports["locker"]}"' in result.output and "[printer]" in result.output
    assert not kiosk.config.parent.exists() and not kiosk.data.exists()
    assert all(d.public_key is None for d in central.rows(Device))  # the code is still unused
    assert kiosk.provision(central.url, code, *all_ports(sims)).exit_code == 0


def test_rerunning_keeps_the_enrollment_and_a_tuned_locker_map(kiosk, central, sims) -> None:
    code = central.add_kiosk()
    first = kiosk.provision(central.url, code, "--locker-port", sims.ports["locker"])
    assert first.exit_code == 0, first.output
    assert kiosk.run("config", "set", "locker.compartments.0.size", "L").exit_code == 0
    again = kiosk.provision(central.url, code, "--locker-port", sims.ports["locker"], "--language", "en")
    assert again.exit_code == 0, again.output
    after = load_config(kiosk.config)
    assert after.language == "en" and after.locker.compartments[0].size == "L"
    assert len(central.rows(Device)) == 1 and after.server.device_id in first.output


# --- what a technician gets wrong: a clear message, a non-zero exit, nothing written ----------

def test_a_wrong_code_is_refused(kiosk, central, sims) -> None:
    result = kiosk.provision(central.url, "WRONG-CODE-1234", "--locker-port", sims.ports["locker"])
    assert result.exit_code != 0
    assert "the server refused the code" in result.output and "ask the coordinator" in result.output
    assert kiosk.nothing_written()


def test_an_unreachable_server_is_named(kiosk, sims) -> None:
    result = kiosk.provision("http://127.0.0.1:9", "AAAA-BBBB", "--locker-port", sims.ports["locker"])
    assert result.exit_code != 0 and "cannot reach the central server" in result.output
    assert kiosk.nothing_written()


def test_an_unreachable_server_fails_the_dry_run_too(kiosk, sims) -> None:
    result = kiosk.provision("http://127.0.0.1:9", "AAAA-BBBB", "--locker-port", sims.ports["locker"], "--dry-run")
    assert result.exit_code != 0 and "cannot reach the central server at http://127.0.0.1:9" in result.output


def test_a_code_of_another_service_point_is_refused(kiosk, central, sims) -> None:
    result = kiosk.provision(central.url, central.add_kiosk(), "--locker-port", sims.ports["locker"],
                             "--service-point", "SP-PAJALA")
    assert result.exit_code != 0
    assert "belongs to SP-KORPILOMBOLO (Korpilombolo Handel), not SP-PAJALA" in result.output
    assert not kiosk.config.exists()


def test_a_port_held_by_another_program_is_named_with_the_program(kiosk, central, sims) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", "import serial, sys, time; port = serial.Serial(sys.argv[1]); "
                               "print('open', flush=True); time.sleep(60)", sims.ports["card_reader"]],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        result = kiosk.provision(central.url, central.add_kiosk(), "--locker-port", sims.ports["locker"],
                                 "--card-reader-port", sims.ports["card_reader"])
    finally:
        holder.kill()
        holder.wait()
    assert result.exit_code != 0
    assert f"{sims.ports['card_reader']} is already in use by pid {holder.pid}" in result.output
    assert "systemctl stop servicepunkt-kiosk" in result.output
    assert kiosk.nothing_written()


@pytest.mark.parametrize("ports,message", [
    (lambda p: ["--locker-port", p["printer"]], "answers as ESC/POS printer, online, not as the locker boards"),
    (lambda p: ["--locker-port", p["locker"], "--printer-port", p["locker"]], "given for both the locker boards"),
    (lambda p: ["--locker-port", "/dev/ttyUSB9"], "/dev/ttyUSB9 does not exist"),
    (lambda p: ["--locker-port", p["scanner"]], "nothing on"),
    (lambda p: ["--card-reader-port", p["card_reader"]], "needs --locker-port"),
    (lambda p: ["--locker-port", p["locker"], "--scanner-port", "/etc/hostname"], "barcode scanner: "),
])
def test_wrong_ports_are_refused(kiosk, central, sims, ports, message) -> None:
    result = kiosk.provision(central.url, central.add_kiosk(), *ports(sims.ports))
    assert result.exit_code != 0 and message in result.output, result.output
    assert kiosk.nothing_written()


NONSENSE_MAPS = {
    "duplicate label": ('[[compartments]]\nid="A1"\nboard=0\nlock=1\n[[compartments]]\nid="A1"\nboard=0\nlock=2\n',
                        "label A1 is used for two compartments"),
    "same lock": ('[[compartments]]\nid="A1"\nboard=0\nlock=1\n[[compartments]]\nid="A2"\nboard=0\nlock=1\n',
                  "A1 and A2 are both on board 0 lock 1"),
    "lock 17": ('[[compartments]]\nid="A1"\nboard=0\nlock=17\n', "compartment 1: lock: Input should be less than"),
    "size XL": ('[[compartments]]\nid="A1"\nboard=0\nlock=1\nsize="XL"\n', "compartment 1: size:"),
    "missing board": ('[[compartments]]\nid="C1"\nboard=5\nlock=1\n', "uses board(s) 5, but only board(s) 0, 1"),
    "not a map": ("compartments = 3\n", "expected one or more [[compartments]]"),
    "not TOML": ("[[compartments\n", "not valid TOML"),
}


@pytest.mark.parametrize("name", NONSENSE_MAPS)
def test_a_nonsense_locker_map_is_refused(kiosk, central, sims, tmp_path, name) -> None:
    text, message = NONSENSE_MAPS[name]
    map_file = tmp_path / "map.toml"
    map_file.write_text(text)
    result = kiosk.provision(central.url, central.add_kiosk(), "--locker-port", sims.ports["locker"],
                             "--locker-map", str(map_file))
    assert result.exit_code != 0 and "locker map:" in result.output and message in result.output, result.output
    assert kiosk.nothing_written()


def test_a_locker_map_file_is_used_as_written(kiosk, central, sims, tmp_path) -> None:
    map_file = tmp_path / "map.toml"
    map_file.write_text('[[compartments]]\nid="POST"\nboard=1\nlock=16\nsize="L"\n')
    result = kiosk.provision(central.url, central.add_kiosk(), "--locker-port", sims.ports["locker"],
                             "--locker-map", str(map_file))
    assert result.exit_code == 0, result.output
    [only] = load_config(kiosk.config).locker.compartments
    assert (only.id, only.board, only.lock, only.size) == ("POST", 1, 16, "L")


@pytest.mark.parametrize("option,value,message", [
    ("--sizes", "SMX", "use only the letters S, M and L"),
    ("--panel", "huge", "use one of 7in, 10in, 15in"),
    ("--boards", "0,one", "board addresses as numbers"),
    ("--boards", "0,3", "uses board(s) 3, but only board(s) 0, 1"),
])
def test_nonsense_map_options_are_refused(kiosk, central, sims, option, value, message) -> None:
    result = kiosk.provision(central.url, central.add_kiosk(), "--locker-port", sims.ports["locker"], option, value)
    assert result.exit_code != 0 and message in result.output, result.output
    assert kiosk.nothing_written()


def test_a_config_path_under_a_file_is_refused(tmp_path, central, sims) -> None:
    (tmp_path / "etc").write_text("not a directory")
    kiosk = Kiosk(tmp_path)
    kiosk.config = tmp_path / "etc" / "kiosk.toml"
    result = kiosk.provision(central.url, central.add_kiosk(), "--locker-port", sims.ports["locker"])
    assert result.exit_code != 0 and f"config directory {tmp_path / 'etc'}: cannot write there" in result.output
    assert not (kiosk.data / "device_key").exists()


def test_a_read_only_config_dir_is_refused_before_enrolling(tmp_path, central, sims) -> None:
    """A read-only file system (an overlay root, a failing SD card) in a private mount namespace;
    a plain unwritable directory where we are not root."""
    etc, data = tmp_path / "etc", tmp_path / "data"
    etc.mkdir()
    command = [sys.executable, "-m", "kiosk.cli.main", "--config", str(etc / "kiosk.toml"), "provision",
               "--non-interactive", "--server", central.url, "--code", central.add_kiosk(), "--data-dir", str(data),
               "--locker-port", sims.ports["locker"]]
    if os.geteuid() == 0:
        if shutil.which("unshare") is None:
            pytest.skip("needs unshare(1) to make a read-only mount as root")
        command = ["unshare", "-m", "sh", "-c", 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && '
                   'shift && exec "$@"', str(etc), "--", *command]
    else:
        etc.chmod(0o555)
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
                            cwd=Path(__file__).resolve().parents[2])
    assert result.returncode != 0
    assert f"config directory {etc}: cannot write there" in result.stderr, result.stderr
    assert list(etc.iterdir()) == [] and not data.exists()
    assert all(d.public_key is None for d in central.rows(Device))  # refused before enrolling


def test_interactive_rerun_asks_no_code_and_keeps_the_enrollment(kiosk, central, sims) -> None:
    first = kiosk.provision(central.url, central.add_kiosk(), "--locker-port", sims.ports["locker"])
    assert first.exit_code == 0, first.output
    # server, data dir, language: as before; a 7" screen; ports: as before; keep the map? no:
    # 4 per board, all large; calibrate.
    answers = "\n".join(["", "", "", "7in", "", "none", "none", "none", "n", "4", "L", "", "y"]) + "\n"
    again = kiosk.run("provision", "--interactive", input=answers)
    assert again.exit_code == 0, again.output
    assert "Enrollment code" not in again.output and "Already enrolled as" in again.output
    assert "Keep the current locker map (16 compartments on board(s) 0, 1" in again.output
    config = load_config(kiosk.config)
    assert config.panel.width_px == 800 and len(central.rows(Device)) == 1
    assert [(c.id, c.size) for c in config.locker.compartments] == [
        ("A1", "L"), ("A2", "L"), ("A3", "L"), ("A4", "L"), ("B1", "L"), ("B2", "L"), ("B3", "L"), ("B4", "L")]


def test_run_without_a_config_says_what_to_do(kiosk) -> None:
    result = kiosk.run("run")
    assert result.exit_code != 0 and "run 'kiosk provision' first" in result.output


def test_calibration_reads_the_polarity_from_the_closed_doors(kiosk, central) -> None:
    with SimulatorSet(devices=("locker",), hook_closed_bit=0) as inverted:
        result = kiosk.provision(central.url, central.add_kiosk(), "--locker-port", inverted.ports["locker"],
                                 "--calibrate")
    assert result.exit_code == 0, result.output
    assert "hook bit 0 means closed" in result.output and load_config(kiosk.config).locker.hook_closed_bit == 0


def test_calibration_with_a_door_open_is_refused(kiosk, central) -> None:
    with SimulatorSet(devices=("locker",)) as sims:
        sims.set_door(0, 3, closed=False)
        result = kiosk.provision(central.url, central.add_kiosk(), "--locker-port", sims.ports["locker"],
                                 "--calibrate")
    assert result.exit_code != 0
    assert "door(s) A3 read differently from the others: close every door" in result.output
    assert kiosk.nothing_written()


# --- the dry run asks the server about the code; detection says what it did not find ----------

def test_the_dry_run_names_the_service_point_of_a_good_code_and_leaves_it_unused(kiosk, central, sims) -> None:
    code = central.add_kiosk()
    result = kiosk.provision(central.url, code, "--locker-port", sims.ports["locker"], "--dry-run")
    assert result.exit_code == 0, result.output
    assert "Enrollment code accepted for SP-KORPILOMBOLO (Korpilombolo Handel), unused, valid until" in result.output
    assert 'service_point_name = "Korpilombolo Handel"' in result.output
    assert all(d.public_key is None for d in central.rows(Device)) and kiosk.nothing_written()


@pytest.mark.parametrize("code,extra,message", [
    ("WRONG-CODE-1234", (), "enrollment would fail: the server refused the code (no such enrollment code"),
    (None, ("--service-point", "SP-PAJALA"), "belongs to SP-KORPILOMBOLO (Korpilombolo Handel), not SP-PAJALA"),
])
def test_the_dry_run_refuses_a_code_enrolling_would_refuse(kiosk, central, sims, code, extra, message) -> None:
    result = kiosk.provision(central.url, code or central.add_kiosk(), "--locker-port", sims.ports["locker"],
                             "--dry-run", *extra)
    assert result.exit_code != 0 and message in result.output, result.output
    assert kiosk.nothing_written()


def test_detect_that_finds_nothing_says_so(kiosk, sims) -> None:
    result = kiosk.provision("http://127.0.0.1:9", "AAAA-BBBB", "--detect", "--detect-in", sims.ports["scanner"])
    assert result.exit_code != 0
    assert "not found: locker boards, card reader, receipt printer" in result.output, result.output
    assert kiosk.nothing_written()
