"""The updater's decisions (kiosk/services/updates/updater.py) through its seams: when it installs, what
counts as healthy, the rollback with its report and hold, and the schema going back first.
tests/deb/test_acceptance.py runs the real apt and dpkg in a Debian root (make deb-check)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest

from kiosk.services.updates.health import Health, HealthWriter, read_health
from kiosk.services.updates.updater import (
    Updater,
    UpdaterError,
    UpdaterSettings,
    UpdateState,
    in_window,
    load_settings,
    release,
)

NOW = datetime(2026, 12, 8, 2, 30, tzinfo=UTC)


@dataclass
class FakeApt:
    installed_version: str = "1.0"
    offered: str = "1.1"
    calls: list[str] = field(default_factory=list)
    fail_install: str | None = None  # the version whose install fails

    def refresh(self) -> None:
        self.calls.append("refresh")

    def installed(self) -> str | None:
        return self.installed_version

    def candidate(self) -> str | None:
        return self.offered

    def install(self, version: str) -> None:
        self.calls.append(f"install {version}")
        if version == self.fail_install:
            raise UpdaterError("dpkg said no")
        self.installed_version = version

    def hold(self, held: bool) -> None:
        self.calls.append("hold" if held else "unhold")


@dataclass
class FakeSystem:
    """Restarting 'starts' the installed version: it writes health as that version would."""

    apt: FakeApt
    data: FakeData
    healthy_versions: set[str] = field(default_factory=lambda: {"1.0"})
    calls: list[str] = field(default_factory=list)
    downgrade_fails: bool = False

    def restart_app(self) -> None:
        self.calls.append("restart")
        version = self.apt.installed_version
        if version in self.healthy_versions:
            self.data.current_health = Health(version=version, pid=1, started_at=NOW, written_at=NOW,
                                              screen_drawn=True, devices={"locker": True}, sync_ok=True)
        else:
            self.data.current_health = None  # crashed at start
        if version == "1.1":
            self.data.revision = "0005"  # the new version migrated forward

    def stop_app(self) -> None:
        self.calls.append("stop")

    def downgrade_schema(self, revision: str) -> None:
        self.calls.append(f"downgrade {revision}")
        if self.downgrade_fails:
            raise UpdaterError("no downgrade path")
        self.data.revision = revision


@dataclass
class FakeData:
    door: str | None = None
    current_health: Health | None = None
    revision: str | None = "0004"
    events: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    state: UpdateState = field(default_factory=UpdateState)

    def open_door(self) -> str | None:
        return self.door

    def health(self) -> Health | None:
        return self.current_health

    def schema_revision(self) -> str | None:
        return self.revision

    def report(self, event_type: str, payload: dict[str, str]) -> None:
        self.events.append((event_type, payload))

    def load_state(self) -> UpdateState:
        return self.state

    def save_state(self, state: UpdateState) -> None:
        self.state = state


def make_updater(
    *, healthy: set[str] | None = None, local: time = time(3, 0)
) -> tuple[Updater, FakeApt, FakeSystem, FakeData]:
    apt, data = FakeApt(), FakeData()
    system = FakeSystem(apt, data, healthy_versions=healthy if healthy is not None else {"1.0", "1.1"})
    updater = Updater(settings=UpdaterSettings(health_timeout_s=0.05, poll_s=0.01), apt=apt, system=system,
                      data=data, channel="canary", idle_timeout_s=90, sync_configured=True,
                      now=lambda: NOW, local_time=lambda: local, sleep=lambda _s: None)
    return updater, apt, system, data


def test_installs_the_offered_version_and_reports_it_when_healthy() -> None:
    updater, apt, _system, data = make_updater()
    assert updater.run() == "installed 1.1: healthy"
    assert apt.calls == ["refresh", "install 1.1"]
    assert data.events == [("update.installed", {"from_version": "1.0", "to_version": "1.1", "channel": "canary"})]
    assert data.state == UpdateState()


def test_unhealthy_version_is_rolled_back_reported_and_the_channel_held() -> None:
    updater, apt, system, data = make_updater(healthy={"1.0"})
    outcome = updater.run()
    assert outcome.startswith("rolled back 1.1 -> 1.0: health check failed")
    assert apt.calls == ["refresh", "install 1.1", "install 1.0", "hold"]
    # The new version moved the schema forward: it goes back before the old code is installed.
    assert system.calls == ["restart", "stop", "downgrade 0004", "restart"]
    (event_type, payload), = data.events
    assert event_type == "update.rolled_back" and payload["from_version"] == "1.1" and payload["to_version"] == "1.0"
    assert "the app 1.1 has not started" in payload["reason"]
    assert data.state.held_version == "1.1"
    # Held: the next window installs nothing, whatever the channel offers.
    apt.calls.clear()
    assert updater.run().startswith("not now: channel held after 1.1")
    assert apt.calls == []


def test_release_lifts_the_hold() -> None:
    updater, apt, _system, data = make_updater(healthy={"1.0"})
    updater.run()
    assert release(data, apt).startswith("released")
    assert apt.calls[-1] == "unhold" and data.state.held_version is None


def test_rollback_is_refused_when_the_schema_cannot_go_back() -> None:
    updater, apt, system, data = make_updater(healthy={"1.0"})
    system.downgrade_fails = True
    outcome = updater.run()
    assert outcome.startswith("kept 1.1") and "rollback refused" in outcome
    assert "install 1.0" not in apt.calls  # the old code would not open the newer database
    assert data.events[0][0] == "update.rolled_back" and data.events[0][1]["to_version"] == "1.1"


def test_a_failed_install_puts_the_previous_version_back() -> None:
    updater, apt, _system, _data = make_updater()
    apt.fail_install = "1.1"
    assert updater.run().startswith("rolled back 1.1 -> 1.0: install failed")


@pytest.mark.parametrize(("door", "touch_ago_s", "local", "why"), [
    ("a door is open in a flow: A1", None, time(3, 0), "a door is open"),
    (None, 30, time(3, 0), "a visit is going on"),
    (None, None, time(14, 0), "outside the update window 02:00-05:00"),
])
def test_never_installs_during_a_visit_with_a_door_open_or_in_opening_hours(
        door: str | None, touch_ago_s: int | None, local: time, why: str) -> None:
    updater, apt, _system, data = make_updater(local=local)
    data.door = door
    if touch_ago_s is not None:
        data.current_health = Health(version="1.0", pid=1, started_at=NOW, written_at=NOW,
                                     last_touch_at=NOW - timedelta(seconds=touch_ago_s))
    outcome = updater.run()
    assert outcome.startswith("not now: ") and why in outcome
    assert apt.calls == []


def test_a_touch_long_ago_is_no_visit() -> None:
    updater, _apt, _system, data = make_updater()
    data.current_health = Health(version="1.0", pid=1, started_at=NOW, written_at=NOW,
                                 last_touch_at=NOW - timedelta(seconds=600))
    assert updater.run() == "installed 1.1: healthy"


@pytest.mark.parametrize(("health", "missing"), [
    ({"screen_drawn": False}, "the app has not drawn its screen"),
    ({"devices": {"locker": True, "printer": False}}, "devices not answering: printer"),
    ({"sync_ok": None}, "no sync round has succeeded"),
    ({"version": "1.0"}, "the app 1.1 has not started"),
])
def test_each_health_condition_is_required(health: dict, missing: str) -> None:
    updater, *_ = make_updater()
    report = Health(**{"version": "1.1", "pid": 1, "started_at": NOW, "written_at": NOW, "screen_drawn": True,
                              "devices": {"locker": True}, "sync_ok": True, **health})
    assert updater.unhealthy(report, "1.1", since=NOW) == missing
    assert updater.unhealthy(Health(version="1.1", pid=1, started_at=NOW, written_at=NOW, screen_drawn=True,
                                    devices={"locker": True}, sync_ok=True), "1.1", since=NOW) is None


def test_a_previous_version_gone_from_the_repository_is_held_not_retried() -> None:
    updater, apt, _system, data = make_updater(healthy={"1.0"})
    apt.fail_install = "1.0"
    outcome = updater.run()
    assert outcome.startswith("kept 1.1") and "rollback to 1.0 failed" in outcome
    assert data.state.held_version == "1.1" and data.state.pending_to is None
    assert data.events[0][1]["to_version"] == "1.1"


def test_an_interrupted_health_check_is_finished_by_the_next_run() -> None:
    updater, apt, _system, data = make_updater(healthy={"1.0"})
    data.state = UpdateState(pending_from="1.0", pending_to="1.1", pending_revision="0004")
    apt.installed_version = "1.1"
    assert updater.run().startswith("rolled back 1.1 -> 1.0")


def test_window_may_cross_midnight() -> None:
    assert in_window(time(23, 30), time(23, 0), time(4, 0)) and in_window(time(1, 0), time(23, 0), time(4, 0))
    assert not in_window(time(12, 0), time(23, 0), time(4, 0))
    assert in_window(time(2, 0), time(2, 0), time(5, 0)) and not in_window(time(5, 0), time(2, 0), time(5, 0))
    assert in_window(time(14, 0), time(0, 0), time(0, 0))  # the whole day


def test_settings_file_is_read_and_bad_values_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "updater.toml"
    assert load_settings(path) == UpdaterSettings()
    path.write_text('window_start = "01:15"\nhealth_timeout_s = 60\nrequire = ["app", "devices"]\n')
    settings = load_settings(path)
    assert settings.window_start == time(1, 15) and settings.health_timeout_s == 60
    assert settings.require == ("app", "devices")
    for bad, message in (('window_end = "25h"', "HH:MM"), ("health_timeout_s = -1", "positive"),
                         ('require = ["screen", "magic"]', "require"), ("colour = 1", "unknown settings colour")):
        path.write_text(bad + "\n")
        with pytest.raises(UpdaterError, match=message):
            load_settings(path)


def test_shipped_settings_file_is_valid() -> None:
    shipped = load_settings(Path(__file__).resolve().parents[2] / "deploy" / "updater.toml")
    assert shipped.window_start == time(2, 0) and shipped.require == ("app", "screen", "devices", "sync")


def test_health_file_round_trips_and_a_bad_one_reads_as_none(tmp_path: Path) -> None:
    class Devices:
        def __init__(self) -> None:
            self.present = {"locker": True, "printer": True, "scanner": False}

        def answered(self, kind: str) -> bool:
            return kind != "printer"

    writer = HealthWriter(tmp_path / "health.json", "1.1", clock=lambda: NOW)
    writer.screen_drawn()
    writer.touched()
    written = writer.write(Devices(), None)
    assert read_health(tmp_path / "health.json") == written
    assert written.devices == {"locker": True, "printer": False, "scanner": False} and written.sync_ok is None
    (tmp_path / "health.json").write_text("{not json")
    assert read_health(tmp_path / "health.json") is None


KEY = b"-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmDMEZ...\n-----END PGP PUBLIC KEY BLOCK-----\n"


def test_update_source_installs_the_signed_by_source_and_key_under_a_root(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from kiosk.cli.main import cli
    from kiosk.services.updates.system import channel_of

    key = tmp_path / "region.asc"
    key.write_bytes(KEY)
    root = tmp_path / "root"
    result = CliRunner().invoke(cli, ["update", "source", "--url", "https://apt.example.se/servicepunkt",
                                      "--channel", "canary", "--key", str(key), "--root", str(root)])
    assert result.exit_code == 0, result.output
    source = root / "etc/apt/sources.list.d/servicepunkt.sources"
    assert "Signed-By: /etc/apt/keyrings/servicepunkt.asc" in source.read_text()
    assert "Suites: canary canary-previous" in source.read_text()
    assert (root / "etc/apt/keyrings/servicepunkt.asc").read_bytes() == KEY
    assert channel_of(source) == "canary"


@pytest.mark.parametrize(("args", "key", "message"), [
    (["--url", "ftp://x"], KEY, "http(s):// or file://"),
    (["--url", "https://x", "--channel", "Beta!"], KEY, "channel must be"),
    (["--url", "https://x"], b"not a key", "ASCII-armoured OpenPGP public key"),
    (["--url", "https://x"], KEY + b"-----BEGIN PGP PRIVATE KEY BLOCK-----", "public key"),
])
def test_update_source_refuses_bad_input_and_writes_nothing(tmp_path: Path, args: list[str], key: bytes,
                                                            message: str) -> None:
    from click.testing import CliRunner

    from kiosk.cli.main import cli

    key_file = tmp_path / "region.asc"
    key_file.write_bytes(key)
    root = tmp_path / "root"
    result = CliRunner().invoke(cli, ["update", "source", *args, "--key", str(key_file), "--root", str(root)])
    assert result.exit_code == 1 and message in result.output
    assert not root.exists()
