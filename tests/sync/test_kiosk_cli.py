"""The kiosk's technician commands for sync: `kiosk queue`, `kiosk sync status|now|rotate-key`,
through click's CliRunner against a live central server on loopback."""
from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import update

from hardware.sim.runner import SimulatorSet
from kiosk.cli.main import cli
from kiosk.config import load_config
from kiosk.services.runtime import open_database
from sync import protocol as p
from sync.outbox import OutboxEvent, enqueue
from sync.server.db.kiosks import Device

# CLI behaviour does not depend on the server database; SQLite is enough here.
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def provisioned(tmp_path: Path, central):
    config_path = tmp_path / "kiosk.toml"
    with SimulatorSet(devices=("locker",)) as locker:  # provisioning checks the locker port
        result = CliRunner().invoke(cli, [
            "--config", str(config_path), "provision", "--server", central.url, "--code", central.add_kiosk(),
            "--data-dir", str(tmp_path / "data"), "--locker-port", locker.ports["locker"]])
    assert result.exit_code == 0, result.output
    engine, sessions = open_database(load_config(config_path))
    yield config_path, sessions
    engine.dispose()


def kiosk(config_path: Path, *args: str):
    return CliRunner().invoke(cli, ["--config", str(config_path), *args])


def stored(parcel_id: str) -> dict:
    return {"parcel_id": parcel_id, "tracking_id": f"T-{parcel_id}", "compartment": "A1"}


def test_queue_shows_rejected_and_conflict_events_with_their_reasons(provisioned):
    config_path, sessions = provisioned
    with sessions.begin() as session:
        enqueue(session, type="parcel.stored", payload=stored("P1"))
        session.add(OutboxEvent(
            event_id=str(uuid.uuid4()), type="parcel.teleported", payload='{"parcel_id":"P1"}',
            payload_hash=p.payload_hash({"parcel_id": "P1"}), wall_ms=0, clock_synced=False,
            boot_id="b", mono_ms=0, state="pending", attempts=0, created_at=datetime(2026, 1, 1)))
    assert kiosk(config_path, "sync", "now").exit_code == 0
    with sessions.begin() as session:
        session.execute(update(OutboxEvent).where(OutboxEvent.seq == 1).values(
            state="pending", payload=p.canonical_json(stored("P1") | {"compartment": "B2"})))
    kiosk(config_path, "sync", "now")
    conflicts = kiosk(config_path, "queue", "--state", "conflict")
    rejected = kiosk(config_path, "queue", "--state", "rejected")
    assert conflicts.exit_code == 0 and "parcel.stored" in conflicts.output
    assert "other content" in conflicts.output and "teleported" not in conflicts.output
    assert "unknown event type" in rejected.output and "parcel.stored" not in rejected.output
    assert kiosk(config_path, "queue", "--state", "pending").output.strip() == "no events"


def test_sync_status_tells_the_technician_the_kiosk_is_revoked_and_keeps_the_queue(provisioned, central):
    config_path, sessions = provisioned
    with sessions.begin() as session:
        enqueue(session, type="parcel.stored", payload=stored("P1"))
    [device] = central.rows(Device)
    central.revoke(device.device_id)
    now = kiosk(config_path, "sync", "now")
    assert now.exit_code != 0 and "revoked" in now.output
    status = kiosk(config_path, "sync", "status")
    assert "REVOKED" in status.output and "depth: 1" in status.output
    assert "P1" not in kiosk(config_path, "queue").output  # payloads are not printed
    assert "parcel.stored" in kiosk(config_path, "queue").output


def test_rotate_key_replaces_the_device_key(provisioned, central):
    config_path, _sessions = provisioned
    before = load_config(config_path).device_key_path.read_bytes()
    result = kiosk(config_path, "sync", "rotate-key")
    assert result.exit_code == 0, result.output
    assert load_config(config_path).device_key_path.read_bytes() != before
    assert kiosk(config_path, "sync", "now").exit_code == 0
