"""kiosk-central through click's CliRunner (and `serve` as a real process)."""
from __future__ import annotations

import re
import subprocess
import sys

import click
import pytest
import requests
from click.testing import CliRunner
from sqlalchemy import func, select

from sync import protocol as p
from sync.server.cli.main import main
from sync.server.db.engine import make_engine, make_session_factory
from sync.server.db.kiosks import ChangeLog, Device, EnrollmentCode, ServicePoint, StaffCard
from tests.sync.helpers import bound_socket, wait_until

CODE = re.compile(r"^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$")


def commands(group: click.Group, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [path]
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found += commands(command, path + (name,))
        else:
            found.append(path + (name,))
    return found


@pytest.mark.parametrize("path", commands(main), ids=lambda path: " ".join(path) or "kiosk-central")
def test_every_command_has_help(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(main, [*path, "--help"])
    assert result.exit_code == 0, result.output
    command = main
    for name in path:
        command = command.commands[name]
    assert (command.help or "").strip(), f"{' '.join(path)} has no help text"


@pytest.fixture
def cli(tmp_path):
    url = f"sqlite:///{tmp_path / 'central.db'}"
    runner = CliRunner()

    def run(*args: str, ok: bool = True):
        result = runner.invoke(main, ["--database-url", url, *args])
        assert (result.exit_code == 0) == ok, result.output
        return result

    run("db", "upgrade")
    engine = make_engine(url)
    run.sessions = make_session_factory(engine)
    yield run
    engine.dispose()


def test_a_coordinator_sets_up_a_service_point(cli) -> None:
    assert "added service point SP-KORPILOMBOLO" in cli("service-point", "add", "sp-korpilombolo",
                                                        "--name", "Korpilombolo Handel").output
    cli("staff", "add", "--service-point", "SP-KORPILOMBOLO", "--name", "Anna", "--card-uid", "04:a2:3b:11")
    added = cli("kiosk", "add", "Kassa 1", "--service-point", "SP-KORPILOMBOLO").output
    assert "enrollment code:" in added and "kiosk provision" in added
    quiet = cli("kiosk", "add", "Kassa 2", "--service-point", "SP-KORPILOMBOLO", "--quiet").output
    assert CODE.match(quiet.strip()) and quiet.count("\n") == 1
    listed = cli("kiosk", "list").output
    assert listed.count("pending") == 2 and "Kassa 1" in listed
    with cli.sessions() as session:
        card = session.scalars(select(StaffCard)).one()
        assert card.uid_sha256 == p.card_uid_sha256("04A23B11")  # only the hash is stored
        change = session.scalars(select(ChangeLog)).one()
        assert (change.scope, change.entity_id) == ("staff", str(card.id))
        device_id = session.scalars(select(Device.device_id)).first()
        codes = session.scalars(select(EnrollmentCode.code_hash)).all()
        assert quiet.strip() not in codes  # codes are stored hashed
    assert "revoked" in cli("kiosk", "revoke", device_id).output
    assert "revoked" in cli("kiosk", "list").output
    assert "no events" in cli("events", "list", "--device", device_id).output


def count(cli, model) -> int:
    with cli.sessions() as session:
        return session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("args,message", [
    (("staff", "add", "--service-point", "SP-NOWHERE", "--name", "A", "--card-uid", "04A23B11"),
     "no service point"),
    (("staff", "add", "--service-point", "SP-A", "--name", "A", "--card-uid", "04:ZZ"), "not whole bytes"),
    (("kiosk", "add", "K", "--service-point", "SP-NOWHERE"), "no service point"),
    (("kiosk", "add", "K", "--service-point", "SP-A", "--expires-hours", "73"), "73"),
    (("kiosk", "revoke", "kiosk-nope"), "no kiosk"),
    (("service-point", "add", "SP-A", "--name", "Again"), "already exists"),
    (("service-point", "add", "bad id!", "--name", "X"), "must be letters"),
])
def test_mistakes_get_a_clear_message_and_change_nothing(cli, args, message) -> None:
    cli("service-point", "add", "SP-A", "--name", "A")
    before = [count(cli, m) for m in (ServicePoint, StaffCard, Device, ChangeLog, EnrollmentCode)]
    result = cli(*args, ok=False)
    assert message in result.output
    assert [count(cli, m) for m in (ServicePoint, StaffCard, Device, ChangeLog, EnrollmentCode)] == before


def test_a_second_card_with_the_same_uid_is_refused(cli) -> None:
    cli("service-point", "add", "SP-A", "--name", "A")
    cli("staff", "add", "--service-point", "SP-A", "--name", "Anna", "--card-uid", "04A23B11")
    result = cli("staff", "add", "--service-point", "SP-A", "--name", "Eve", "--card-uid", "04:a2:3b:11", ok=False)
    assert "already registered to Anna" in result.output
    assert count(cli, ChangeLog) == 1


def test_a_missing_database_is_explained_not_created(tmp_path) -> None:
    path = tmp_path / "nothing.db"
    result = CliRunner().invoke(main, ["--database-url", f"sqlite:///{path}", "kiosk", "list"])
    assert result.exit_code != 0 and "db upgrade" in result.output
    assert not path.exists()


def test_serve_migrates_and_answers(tmp_path) -> None:
    sock = bound_socket()
    port = sock.getsockname()[1]
    sock.close()
    database = tmp_path / "served.db"
    process = subprocess.Popen(
        [sys.executable, "-m", "sync.server.cli.main", "--database-url", f"sqlite:///{database}",
         "serve", "--port", str(port), "--log-level", "warning"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, stdin=subprocess.DEVNULL)
    try:
        line = process.stdout.readline()
        assert f"http://127.0.0.1:{port}" in line
        url = f"http://127.0.0.1:{port}/healthz"

        def healthy() -> bool:
            try:
                return requests.get(url, timeout=1).json()["status"] == "ok"
            except requests.RequestException:
                assert process.poll() is None, process.stdout.read()
                return False

        wait_until(healthy, "kiosk-central serve")
    finally:
        process.terminate()
        process.wait(10)
    assert database.exists()


def test_help_does_not_load_the_web_stack() -> None:
    probe = ("import sys; from click.testing import CliRunner; from sync.server.cli.main import main; "
             "r = CliRunner().invoke(main, ['--help']); assert r.exit_code == 0; "
             "print(sorted(m for m in sys.modules "
             "if m.split('.')[0] in ('fastapi', 'uvicorn', 'alembic', 'starlette')))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_events_list_shows_what_kiosks_sent(cli) -> None:
    from datetime import UTC, datetime

    from sync.server.db.kiosks import EventRow

    cli("service-point", "add", "SP-A", "--name", "A")
    cli("kiosk", "add", "K", "--service-point", "SP-A", "--quiet")
    with cli.sessions.begin() as session:
        device_id = session.scalars(select(Device.device_id)).one()
        for seq, status in ((1, "accepted"), (2, "rejected")):
            session.add(EventRow(device_id=device_id, seq=seq, event_id=f"00000000-0000-0000-0000-00000000000{seq}",
                                 type="parcel.stored", payload="{}", payload_hash="0" * 64, wall_ms=0,
                                 clock_synced=False, boot_id="b", mono_ms=0, received_at=datetime.now(UTC),
                                 status=status, reason="bad payload" if status == "rejected" else None))
    lines = cli("events", "list", "--device", device_id).output.splitlines()
    assert len(lines) == 2 and "accepted" in lines[0] and "bad payload" in lines[1]
    assert cli("events", "list", "--device", "kiosk-other").output.strip() == "no events"
