"""The kiosk's updater (`kiosk update run`, started by servicepunkt-update.timer as root).

When the shop is closed (the window in updater.toml), nobody is at the screen and no door is
open, it installs the version of servicepunkt-kiosk its apt channel offers, restarts the app and
waits for the app's health file (kiosk/services/updates/health.py) to say the new version is up: screen
drawn, devices answering, a sync round done. If that does not happen in time, it puts the
previous version back from the repository (migrating the database back first when the new
version had moved it forward), queues `update.rolled_back` with the reason, and holds the
channel: no further update until `kiosk update release`.

Everything outside this process is behind a seam (Apt, System, KioskData), so the decisions
are tested without apt or systemd; tests/deb/ runs the real thing in a Debian root.
"""
from __future__ import annotations

import json
import logging
import time as time_module
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Protocol

from kiosk.services.updates.health import Health

log = logging.getLogger(__name__)

PACKAGE = "servicepunkt-kiosk"
DEFAULT_SETTINGS_PATH = Path("/etc/servicepunkt/updater.toml")
STATE_FILE = "update-state.json"
CHECKS = ("app", "screen", "devices", "sync")
# A touch this long ago (beyond the idle timeout) still counts as someone at the kiosk.
VISIT_MARGIN_S = 60.0


class UpdaterError(Exception):
    """Bad settings or a step that failed; the message says which."""


@dataclass(frozen=True)
class UpdaterSettings:
    window_start: time = time(2, 0)
    window_end: time = time(5, 0)
    health_timeout_s: float = 300.0
    poll_s: float = 5.0
    # What "healthy" needs; a test or a kiosk without a screen may ask for less.
    require: tuple[str, ...] = CHECKS


def _clock_time(value: object, key: str) -> time:
    try:
        hours, minutes = str(value).split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        raise UpdaterError(f"updater settings: {key} must be HH:MM, not {value!r}") from None


def _seconds(value: object, path: Path, key: str) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
        raise UpdaterError(f"{path}: {key} must be a positive number of seconds")
    return float(value)


def load_settings(path: Path) -> UpdaterSettings:
    """The settings file; missing means the defaults. Unknown keys and bad values are errors."""
    try:
        raw = tomllib.loads(path.read_text())
    except FileNotFoundError:
        return UpdaterSettings()
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise UpdaterError(f"{path}: {error}") from None
    known = {"window_start", "window_end", "health_timeout_s", "poll_s", "require"}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise UpdaterError(f"{path}: unknown settings {', '.join(unknown)}")
    settings = UpdaterSettings()
    if "window_start" in raw:
        settings = replace(settings, window_start=_clock_time(raw["window_start"], "window_start"))
    if "window_end" in raw:
        settings = replace(settings, window_end=_clock_time(raw["window_end"], "window_end"))
    if "health_timeout_s" in raw:
        settings = replace(settings, health_timeout_s=_seconds(raw["health_timeout_s"], path, "health_timeout_s"))
    if "poll_s" in raw:
        settings = replace(settings, poll_s=_seconds(raw["poll_s"], path, "poll_s"))
    if "require" in raw:
        require = raw["require"]
        if not isinstance(require, list) or not set(require) <= set(CHECKS):
            raise UpdaterError(f"{path}: require must be a list of {', '.join(CHECKS)}")
        settings = replace(settings, require=tuple(require))
    return settings


def in_window(now: time, start: time, end: time) -> bool:
    """Whether a local time of day is in [start, end); a window may cross midnight, and one that
    starts where it ends is the whole day (a kiosk in a room that is never open to the public)."""
    if start == end:
        return True
    if start < end:
        return start <= now < end
    return now >= start or now < end


# --- what the updater keeps between runs ----------------------------------------------------


@dataclass(frozen=True)
class UpdateState:
    held_version: str | None = None  # the version that was rolled back: the channel is held
    held_reason: str | None = None
    # An install whose health check was not finished (the updater was stopped meanwhile).
    pending_from: str | None = None
    pending_to: str | None = None
    pending_revision: str | None = None  # the database schema before the install

    def to_json(self) -> str:
        return json.dumps(self.__dict__, sort_keys=True)

    @classmethod
    def load(cls, path: Path) -> UpdateState:
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            return cls()
        except (OSError, ValueError) as error:
            raise UpdaterError(f"{path}: cannot be read ({error}); remove it to start afresh") from None
        return cls(**{key: data.get(key) for key in cls.__dataclass_fields__})


# --- the seams ------------------------------------------------------------------------------


class Apt(Protocol):
    def refresh(self) -> None: ...
    def installed(self) -> str | None: ...
    def candidate(self) -> str | None: ...
    def install(self, version: str) -> None: ...
    def hold(self, held: bool) -> None: ...


class System(Protocol):
    def restart_app(self) -> None: ...
    def stop_app(self) -> None: ...
    def downgrade_schema(self, revision: str) -> None:
        """With the version installed now (which knows the newer schema), migrate back."""


class KioskData(Protocol):
    """The kiosk's own state, read and written as the kiosk user."""

    def open_door(self) -> str | None: ...  # why a door counts as open, or None
    def health(self) -> Health | None: ...
    def schema_revision(self) -> str | None: ...
    def report(self, event_type: str, payload: dict[str, str]) -> None: ...
    def load_state(self) -> UpdateState: ...
    def save_state(self, state: UpdateState) -> None: ...


@dataclass
class Updater:
    settings: UpdaterSettings
    apt: Apt
    system: System
    data: KioskData
    channel: str
    idle_timeout_s: float
    sync_configured: bool
    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    local_time: Callable[[], time] = lambda: datetime.now().time()
    sleep: Callable[[float], None] = time_module.sleep
    log_lines: list[str] = field(default_factory=list)

    # -- deciding ---------------------------------------------------------------------------

    def why_not_now(self, state: UpdateState) -> str | None:
        """The reason not to install now, or None when the kiosk may be updated."""
        if state.held_version:
            return f"channel held after {state.held_version} was rolled back ({state.held_reason}); " \
                   "`kiosk update release` lifts it"
        if not in_window(self.local_time(), self.settings.window_start, self.settings.window_end):
            return f"outside the update window {self.settings.window_start:%H:%M}-{self.settings.window_end:%H:%M}"
        door = self.data.open_door()
        if door:
            return door
        health = self.data.health()
        if health is not None and health.last_touch_at is not None:
            since = (self.now() - health.last_touch_at).total_seconds()
            if since < self.idle_timeout_s + VISIT_MARGIN_S:
                return f"a visit is going on (the screen was touched {since:.0f} s ago)"
        return None

    def unhealthy(self, health: Health | None, version: str, since: datetime) -> str | None:
        """What is still missing for `version` to count as healthy, or None when nothing is."""
        require = self.settings.require
        if health is None or health.version != version or health.started_at < since:
            return f"the app {version} has not started" if "app" in require else None
        if "screen" in require and not health.screen_drawn:
            return "the app has not drawn its screen"
        silent = sorted(kind for kind, ok in health.devices.items() if not ok)
        if "devices" in require and silent:
            return f"devices not answering: {', '.join(silent)}"
        if "sync" in require and self.sync_configured and health.sync_ok is not True:
            return "no sync round has succeeded"
        return None

    # -- doing ------------------------------------------------------------------------------

    def run(self) -> str:
        """One timer tick: install, check, roll back if needed. Returns what happened."""
        state = self.data.load_state()
        if state.pending_to:
            return self._check_and_settle(state, since=self.now() - timedelta(seconds=self.settings.health_timeout_s))
        reason = self.why_not_now(state)
        if reason:
            return f"not now: {reason}"
        self.apt.refresh()
        installed, candidate = self.apt.installed(), self.apt.candidate()
        if candidate is None or installed is None:
            return f"nothing to do: {PACKAGE} installed {installed}, offered {candidate}"
        if candidate == installed:
            return f"up to date: {installed}"
        state = replace(state, pending_from=installed, pending_to=candidate,
                        pending_revision=self.data.schema_revision())
        self.data.save_state(state)
        started = self.now()
        log.info("installing %s %s (was %s)", PACKAGE, candidate, installed)
        try:
            self.apt.install(candidate)
            self.system.restart_app()
        except UpdaterError as error:
            return self._roll_back(state, f"install failed: {error}")
        return self._check_and_settle(state, since=started)

    def _check_and_settle(self, state: UpdateState, since: datetime) -> str:
        assert state.pending_to is not None and state.pending_from is not None
        deadline = time_module.monotonic() + self.settings.health_timeout_s
        missing = self.unhealthy(self.data.health(), state.pending_to, since)
        while missing and time_module.monotonic() < deadline:
            self.sleep(self.settings.poll_s)
            missing = self.unhealthy(self.data.health(), state.pending_to, since)
        if missing:
            return self._roll_back(state, f"health check failed after {self.settings.health_timeout_s:.0f} s: {missing}")
        self.data.report("update.installed", {"from_version": state.pending_from, "to_version": state.pending_to,
                                              "channel": self.channel})
        self.data.save_state(replace(state, pending_from=None, pending_to=None, pending_revision=None))
        return f"installed {state.pending_to}: healthy"

    def _roll_back(self, state: UpdateState, reason: str) -> str:
        assert state.pending_to is not None and state.pending_from is not None
        failed, previous = state.pending_to, state.pending_from
        log.warning("rolling back %s -> %s: %s", failed, previous, reason)
        self.system.stop_app()
        revision = self.data.schema_revision()
        if state.pending_revision and revision != state.pending_revision:
            try:
                self.system.downgrade_schema(state.pending_revision)
            except UpdaterError as error:
                # Never put back a version that cannot open its database: keep the new one.
                why = f"{reason}; rollback refused: the schema {revision} could not go back to " \
                      f"{state.pending_revision} ({error})"
                self._hold(state, failed, why, running=failed)
                self.system.restart_app()
                return f"kept {failed}: {why}"
        try:
            self.apt.install(previous)
        except UpdaterError as error:
            # The repository no longer has it (the kiosk had missed a release): keep what is
            # there, held, and say so; trying again every 15 minutes would change nothing.
            why = f"{reason}; rollback to {previous} failed ({error})"
            self._hold(state, failed, why, running=failed)
            self.system.restart_app()
            return f"kept {failed}: {why}"
        self.system.restart_app()
        self._hold(state, failed, reason, running=previous)
        return f"rolled back {failed} -> {previous}: {reason}"

    def _hold(self, state: UpdateState, failed: str, reason: str, *, running: str) -> None:
        self.apt.hold(True)
        self.data.report("update.rolled_back", {"from_version": failed, "to_version": running,
                                                "channel": self.channel, "reason": reason[:300]})
        self.data.save_state(UpdateState(held_version=failed, held_reason=reason[:300]))


def release(data: KioskData, apt: Apt) -> str:
    """Lift the hold after a rollback: the next window installs the channel's version again."""
    state = data.load_state()
    if not state.held_version:
        return "not held"
    apt.hold(False)
    data.save_state(replace(state, held_version=None, held_reason=None))
    return f"released (was held after {state.held_version})"
