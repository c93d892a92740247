"""kiosk-central's lists as a coordinator reads them: `service-point list` exists, an empty
list says "none", and times are the service points' local time with the zone named."""
from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from sync.server.cli.main import main
from sync.server.db.engine import make_engine, make_session_factory
from sync.server.db.kiosks import Device, EventRow

RECEIVED = datetime(2026, 12, 7, 22, 10, 37, tzinfo=UTC)


@pytest.fixture
def central_cli(tmp_path):
    url = f"sqlite:///{tmp_path / 'central.db'}"

    def run(*args: str, env: dict[str, str] | None = None, ok: bool = True) -> str:
        result = CliRunner().invoke(main, ["--database-url", url, *args], env=env)
        assert (result.exit_code == 0) == ok, result.output
        return result.output

    run("db", "upgrade")
    engine = make_engine(url)
    run.sessions = make_session_factory(engine)
    yield run
    engine.dispose()


def test_service_point_list_shows_each_shop_with_its_kiosks(central_cli) -> None:
    assert central_cli("service-point", "list").startswith("none")
    central_cli("service-point", "add", "SP-PAJALA", "--name", "Pajala Livs")
    central_cli("service-point", "add", "SP-KORPILOMBOLO", "--name", "Korpilombolo Handel")
    central_cli("kiosk", "add", "Kassa 1", "--service-point", "SP-PAJALA", "--quiet")
    header, *rows = central_cli("service-point", "list").splitlines()
    assert header.split() == ["ID", "KIOSKS", "ADDED", "NAME"]
    assert [row.split()[:2] for row in rows] == [["SP-KORPILOMBOLO", "0"], ["SP-PAJALA", "1"]]
    assert all(row.split()[4] in ("CET", "CEST") and row.endswith(name)
               for row, name in zip(rows, ("Korpilombolo Handel", "Pajala Livs"), strict=True))


def test_events_are_listed_in_stockholm_time_or_the_configured_zone(central_cli) -> None:
    central_cli("service-point", "add", "SP-A", "--name", "A")
    central_cli("kiosk", "add", "K", "--service-point", "SP-A", "--quiet")
    with central_cli.sessions.begin() as session:
        device_id = session.scalars(select(Device.device_id)).one()
        session.add(EventRow(device_id=device_id, seq=1, event_id="00000000-0000-0000-0000-000000000001",
                             type="parcel.stored", payload="{}", payload_hash="0" * 64, wall_ms=0,
                             clock_synced=False, boot_id="b", mono_ms=0, received_at=RECEIVED, status="accepted"))
    assert "2026-12-07 23:10:37 CET" in central_cli("events", "list")
    helsinki = central_cli("events", "list", env={"KIOSK_CENTRAL_TIMEZONE": "Europe/Helsinki"})
    assert "2026-12-08 00:10:37 EET" in helsinki


def test_an_unknown_zone_is_named(central_cli) -> None:
    central_cli("service-point", "add", "SP-A", "--name", "A")
    output = central_cli("service-point", "list", env={"KIOSK_CENTRAL_TIMEZONE": "Europe/Nowhere"}, ok=False)
    assert "KIOSK_CENTRAL_TIMEZONE: unknown time zone 'Europe/Nowhere'" in output


def test_a_booking_is_shown_in_local_time(central_cli, tmp_path) -> None:
    from tests.sync.test_directory import FK

    central_cli("service-point", "add", "SP-A", "--name", "A")
    (tmp_path / "fk.json").write_text(json.dumps(FK))
    central_cli("directory", "put", "video", str(tmp_path / "fk.json"))
    booked = central_cli("directory", "book", "--service", "forsakringskassan", "--service-point", "SP-A",
                         "--start", "2027-01-04T09:00:00+00:00")  # a Monday, 10:00 in Sweden
    assert "2027-01-04 10:00:00 CET for 30 min" in booked, booked
    assert "forsakringskassan 2027-01-04 10:00:00 CET -> 2027-01-04 10:30:00 CET" in central_cli("directory", "list")
