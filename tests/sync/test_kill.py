"""A real kiosk process (`kiosk sync now`) SIGKILLed again and again while it pushes and
while it pulls, then restarted: nothing lost, nothing doubled, the SQLite file intact.
Plus fault 9's first case: a process killed while writing domain rows and their events."""
from __future__ import annotations

import contextlib
import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from hardware.sim.runner import SimulatorSet
from kiosk.cli.main import cli
from kiosk.config import load_config
from kiosk.services.runtime import open_database
from kiosk.store.models import StaffCard as KioskStaff
from sync.outbox import OutboxEvent, enqueue
from sync.server.db.kiosks import EventRow, StaffCard
from sync.server.db.parcels import Parcel
from sync.server.kiosks import admin
from tests.sync.faultproxy import Fault, only
from tests.sync.helpers import SP, wait_until

# What is tested is the kiosk's side of a crash; the SQLite server is enough for it.
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
ROOT = Path(__file__).resolve().parents[2]
KILLS = [("push", Fault.HOLD_REQUEST), ("push", Fault.HOLD_RESPONSE), ("pull", Fault.HOLD_RESPONSE),
         ("push", Fault.HOLD_RESPONSE), ("pull", Fault.HOLD_REQUEST), ("random", None),
         ("pull", Fault.HOLD_RESPONSE), ("random", None)]


def kiosk_process(config_path: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "kiosk.cli.main", "--config", str(config_path), "sync", "now"],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def add_staff(central, first: int, count: int) -> None:
    with central.sessions.begin() as session:
        for number in range(first, first + count):
            admin.add_staff(session, service_point_id=SP, name=f"Staff {number}",
                            card_uid=f"{number:08X}", now=central.clock())


def enqueue_round(sessions, round_no: int, count: int = 60) -> None:
    with sessions.begin() as session:
        for i in range(count):
            enqueue(session, type="parcel.stored", payload={
                "parcel_id": f"R{round_no}-{i}", "tracking_id": f"T{round_no}-{i}", "compartment": "A1"})
        for i in range(0, count, 4):
            enqueue(session, type="parcel.picked_up", payload={"parcel_id": f"R{round_no}-{i}"})


@pytest.fixture
def provisioned(tmp_path, central, proxy):
    config_path = tmp_path / "kiosk.toml"
    with SimulatorSet(devices=("locker",)) as locker:  # provisioning checks the locker port
        result = CliRunner().invoke(cli, [
            "--config", str(config_path), "provision", "--server", proxy.url, "--code", central.add_kiosk(),
            "--data-dir", str(tmp_path / "data"), "--locker-port", locker.ports["locker"]])
    assert result.exit_code == 0, result.output
    engine, sessions = open_database(load_config(config_path))
    yield config_path, sessions
    engine.dispose()


def kill_once(proxy, config_path: Path, where: str, fault: Fault | None, rng: random.Random) -> None:
    if fault is None:
        proxy.plan = lambda _request: Fault.PASS
        process = kiosk_process(config_path)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(rng.uniform(0.2, 1.2))
    else:
        method, path = ("POST", "events:batch") if where == "push" else ("GET", "/changes")
        proxy.plan = only(method, path, fault, times=1)
        process = kiosk_process(config_path)
        assert proxy.held.wait(60), f"the kiosk never reached the {where} request"
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    proxy.release()


@SQLITE_ONLY
def test_kiosk_killed_repeatedly_during_push_and_pull_loses_and_doubles_nothing(
        central, proxy, provisioned, tmp_path):
    config_path, sessions = provisioned
    rng = random.Random(9)
    for round_no, (where, fault) in enumerate(KILLS):
        enqueue_round(sessions, round_no)
        add_staff(central, round_no * 600, 600)  # two pages per round to pull
        kill_once(proxy, config_path, where, fault, rng)
    proxy.plan = lambda _request: Fault.PASS
    final = subprocess.run([sys.executable, "-m", "kiosk.cli.main", "--config", str(config_path), "sync", "now"],
                           cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert final.returncode == 0, final.stdout + final.stderr

    held = {(r.request.method, r.fault) for r in proxy.records if r.fault is not Fault.PASS}
    assert ("POST", Fault.HOLD_RESPONSE) in held and ("GET", Fault.HOLD_RESPONSE) in held
    database = load_config(config_path).database_path
    with sqlite3.connect(database) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with sessions() as session:
        outbox = {row.event_id: row.state for row in session.scalars(select(OutboxEvent))}
        kiosk_staff = {(row.name, row.uid_sha256) for row in session.scalars(select(KioskStaff))}
    assert len(outbox) == len(KILLS) * 75 and set(outbox.values()) <= {"accepted", "duplicate"}
    assert {row.event_id for row in central.rows(EventRow)} == set(outbox)  # none lost, none extra
    assert all(row.status == "accepted" for row in central.rows(EventRow))
    assert central.count(Parcel) == len(KILLS) * 60
    assert central.count(Parcel, Parcel.state == "picked_up") == len(KILLS) * 15
    server_staff = {(row.name, row.uid_sha256) for row in central.rows(StaffCard)}
    assert kiosk_staff == server_staff and len(server_staff) == len(KILLS) * 600


WRITER = textwrap.dedent("""
    import sys, itertools
    from pathlib import Path
    from sqlalchemy import text
    from kiosk.store import db
    from sync.outbox import enqueue
    engine = db.create_kiosk_engine(Path(sys.argv[1]))
    db.upgrade(engine)
    sessions = db.session_factory(engine)
    with engine.begin() as c:
        c.execute(text("CREATE TABLE IF NOT EXISTS notes (id TEXT PRIMARY KEY)"))
    print("READY", flush=True)
    for n in itertools.count():
        with sessions.begin() as session:  # the domain row and its event: one transaction
            session.execute(text("INSERT INTO notes VALUES (:id)"), {"id": f"N{n}"})
            enqueue(session, type="parcel.picked_up", payload={"parcel_id": f"N{n}"})
""")


@pytest.mark.parametrize("round_no", range(3))
def test_fault09_killed_between_domain_write_and_outbox_is_impossible(tmp_path, round_no):
    database = tmp_path / "kiosk.db"
    process = subprocess.Popen([sys.executable, "-c", WRITER, str(database)], cwd=ROOT,
                               stdout=subprocess.PIPE, text=True, env={**os.environ})
    try:
        assert process.stdout.readline().strip() == "READY"
        with sqlite3.connect(database) as raw:
            wait_until(lambda: raw.execute("SELECT count(*) FROM outbox").fetchone()[0] > 50 * (round_no + 1),
                       "the writer to commit some rows")
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    with sqlite3.connect(database) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        notes = {row[0] for row in raw.execute("SELECT id FROM notes")}
        events = {row[0] for row in raw.execute("SELECT json_extract(payload, '$.parcel_id') FROM outbox")}
    assert notes == events and len(notes) > 50
