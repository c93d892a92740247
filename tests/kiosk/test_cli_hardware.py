"""`kiosk simulate`, `kiosk doctor` and `kiosk devices` as a technician runs them: real
processes, real ptys, a config that points at the simulators' ports."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import tomli_w

from hardware.sim.control import SimControl

KIOSK = [sys.executable, "-m", "kiosk.cli.main"]


@pytest.fixture
def simulate(tmp_path: Path):
    process = subprocess.Popen(KIOSK + ["--config", str(tmp_path / "none.toml"), "simulate", "--boards", "2"],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
    try:
        lines = [json.loads(process.stdout.readline()) for _ in range(5)]
        yield process, {line["device"]: line for line in lines[:4]}, lines[4]["control"]
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=10)
        process.stdin.close()
        process.stdout.close()


def command(process, line: str) -> dict:
    process.stdin.write(line + "\n")
    process.stdin.flush()
    return json.loads(process.stdout.readline())


def write_config(tmp_path: Path, devices: dict) -> Path:
    config = {
        "data_dir": str(tmp_path / "data"),
        "locker": {"port": devices["locker"]["port"],
                   "compartments": [{"id": "A1", "board": 0, "lock": 1}, {"id": "B3", "board": 1, "lock": 3}]},
        "card_reader": {"port": devices["card_reader"]["port"], "protocol": "pn532"},
        "scanner": {"port": devices["scanner"]["port"]},
        "printer": {"port": devices["printer"]["port"], "model": "epson-tm-t88"},
    }
    path = tmp_path / "kiosk.toml"
    path.write_bytes(tomli_w.dumps(config).encode())
    return path


def kiosk(config: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(KIOSK + ["--config", str(config), *args], capture_output=True, text=True, timeout=60)


def test_simulate_prints_one_json_line_per_device(simulate):
    process, devices, control = simulate
    assert set(devices) == {"locker", "card_reader", "scanner", "printer"}
    assert devices["locker"]["protocol"] == "kerong" and devices["printer"]["protocol"] == "escpos"
    assert all(d["pty"].startswith("/dev/pts/") and os.path.realpath(d["port"]) == d["pty"] for d in devices.values())
    assert control.startswith("http://127.0.0.1:")
    assert command(process, "door 1 3 open") == {"ok": True}
    assert command(process, "teleport")["ok"] is False
    lockers = SimControl(control).state()["lockers"]
    assert next(d for d in lockers if (d["board"], d["lock"]) == (1, 3))["door_closed"] is False


def test_doctor_against_the_simulators(tmp_path, simulate):
    process, devices, control = simulate
    config = write_config(tmp_path, devices)
    result = kiosk(config, "doctor", "--open", "1:3")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok    open board 1 lock 3" in result.stdout and "test receipt printed" in result.stdout
    state = command(process, "state")["state"]
    assert state["printer"]["receipts"] == 1
    assert next(d for d in state["lockers"] if (d["board"], d["lock"]) == (1, 3))["door_closed"] is False

    assert command(process, "paper out") == {"ok": True}
    SimControl(control).command("unplug locker")
    result = kiosk(config, "doctor", "--no-print")
    assert result.returncode == 2 | 16, result.stdout
    assert "FAIL  locker" in result.stdout and "paper out" in result.stdout

    SimControl(control).command("replug locker")
    command(process, "paper ok")
    assert kiosk(config, "doctor", "--no-print").returncode == 0
    assert kiosk(tmp_path / "missing.toml", "doctor").returncode == 1


def test_devices_probe_list_and_spy(tmp_path, simulate):
    _process, devices, _control = simulate
    config = write_config(tmp_path, devices)
    expected = {"locker": "kerong", "card_reader": "pn532", "printer": "escpos"}
    for device, protocol in expected.items():
        result = kiosk(config, "devices", "probe", devices[device]["port"])
        assert result.returncode == 0 and f": {protocol}: " in result.stdout, result.stdout + result.stderr
    assert kiosk(config, "devices", "probe", devices["scanner"]["port"]).returncode == 1
    listed = kiosk(config, "devices", "list").stdout
    assert all(kind in listed for kind in expected)
    spied = kiosk(config, "devices", "spy", devices["locker"]["port"], "--send", "02 00 30 03 35", "--seconds", "0.5")
    received = " ".join(line.split("|")[0].split(" RX ")[1].strip()
                        for line in spied.stdout.splitlines() if " RX " in line)
    assert "TX 02 00 30 03 35" in spied.stdout and received == "02 00 35 ff ff 00 00 03 38"


def test_simulate_stops_on_sigterm_and_removes_its_links(simulate):
    process, devices, _control = simulate
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=10) == 0
    assert not any(os.path.exists(d["port"]) for d in devices.values())


@pytest.fixture
def boards():
    """A Kerong KR-CU16 (16 locks) and a 12-channel WKLY board, each on its own bus and pty
    (one protocol per bus)."""
    from hardware.sim.kerong import KerongBoardSim, KerongBus
    from hardware.sim.pty import PtyHarness
    from hardware.sim.wkly import WklyBoardSim, WklyBus

    harnesses = {"kerong": PtyHarness(KerongBus([KerongBoardSim(0)])), "wkly": PtyHarness(WklyBus([WklyBoardSim(1)]))}
    yield {protocol: harness.port for protocol, harness in harnesses.items()}
    for harness in harnesses.values():
        harness.stop()


def doctor_with_map(tmp_path, protocol: str, port: str, board: int, locks: list[int]):
    from click.testing import CliRunner

    from kiosk.cli.main import cli

    config = {"data_dir": str(tmp_path / "data"), "locker": {
        "port": port, "protocol": protocol,
        "compartments": [{"id": f"A{lock}", "board": board, "lock": lock} for lock in locks]}}
    path = tmp_path / f"{protocol}-{len(locks)}.toml"
    path.write_bytes(tomli_w.dumps(config).encode())
    return CliRunner().invoke(cli, ["--config", str(path), "doctor", "--no-print"])


@pytest.mark.parametrize("protocol, board, locks, expected", [
    ("kerong", 0, [1, 2, 3], "board 0: 3 locks in the map (the board answers for 16)"),
    ("kerong", 0, list(range(1, 17)), "board 0: 16 locks in the map"),
    ("wkly", 1, [2, 5, 7, 9], "board 1: 4 locks in the map (the board answers for 12)"),
    ("wkly", 1, list(range(1, 13)), "board 1: 12 locks in the map"),
])
def test_doctor_reports_the_locks_the_map_uses_per_board(tmp_path, boards, protocol, board, locks, expected):
    result = doctor_with_map(tmp_path, protocol, boards[protocol], board, locks)
    assert result.exit_code == 0, result.output
    [line] = [line for line in result.output.splitlines() if "locker" in line]
    assert line == f"ok    locker: {expected}"


def test_doctor_fails_a_map_that_uses_locks_the_board_does_not_have(tmp_path, boards):
    result = doctor_with_map(tmp_path, "wkly", boards["wkly"], 1, [3, 14, 15])
    assert result.exit_code == 2, result.output
    assert "FAIL  locker: board 1 does not answer for lock 14, 15 of the locker map (it answers for 12 locks)" \
        in result.output
