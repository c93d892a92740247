"""The health file: what the running app says about itself, for the updater (kiosk update run).

The app rewrites <data_dir>/health.json every few seconds (kiosk/ui/platform/health_hooks.py): its
version and process, whether its first screen was drawn, which devices answer, whether the last
sync round succeeded, and when the screen was last touched. The updater reads it to decide
whether a new version came up healthy and whether someone is at the kiosk. No Kivy here.
"""
from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

HEALTH_FILE = "health.json"


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Health:
    version: str
    pid: int
    started_at: datetime
    written_at: datetime
    screen_drawn: bool = False
    devices: dict[str, bool] = field(default_factory=dict)  # kind -> answers now
    sync_ok: bool | None = None  # None: no server configured, or no round finished yet
    last_touch_at: datetime | None = None

    def to_json(self) -> str:
        data: dict[str, Any] = asdict(self)
        for key in ("started_at", "written_at", "last_touch_at"):
            data[key] = data[key].isoformat() if data[key] is not None else None
        return json.dumps(data, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Health:
        data = json.loads(text)
        times = {key: datetime.fromisoformat(data[key]) if data.get(key) else None
                 for key in ("started_at", "written_at", "last_touch_at")}
        if times["started_at"] is None or times["written_at"] is None:
            raise ValueError("health file without started_at/written_at")
        return cls(version=str(data["version"]), pid=int(data["pid"]), started_at=times["started_at"],
                   written_at=times["written_at"], screen_drawn=bool(data.get("screen_drawn")),
                   devices={str(k): bool(v) for k, v in dict(data.get("devices") or {}).items()},
                   sync_ok=None if data.get("sync_ok") is None else bool(data["sync_ok"]),
                   last_touch_at=times["last_touch_at"])


def read_health(path: Path) -> Health | None:
    """The file's report, or None when there is none or it cannot be read (a torn write cannot
    happen: it is replaced atomically, but an older app may have written another shape)."""
    try:
        return Health.from_json(path.read_text())
    except (OSError, ValueError, KeyError, TypeError):
        return None


class DeviceHealth(Protocol):
    present: dict[str, bool]

    def answered(self, kind: str) -> bool: ...


class SyncHealth(Protocol):
    def status(self) -> Any: ...


def devices_answering(devices: DeviceHealth | None) -> dict[str, bool]:
    if devices is None:
        return {}
    return {kind: bool(present) and devices.answered(kind) for kind, present in devices.present.items()}


def last_round_ok(worker: SyncHealth | None) -> bool | None:
    if worker is None:
        return None
    status = worker.status()
    if status.rounds == 0:
        return None
    return bool(status.consecutive_failures == 0)


class HealthWriter:
    """Collects what the UI reports (screen drawn, touches) and writes the file on request.
    The UI thread only sets fields; write() runs on a worker thread."""

    def __init__(self, path: Path, version: str, *, clock: Callable[[], datetime] = utc_now) -> None:
        self.path = path
        self.version = version
        self.clock = clock
        self.started_at = clock()
        self._lock = threading.Lock()
        self._screen_drawn = False
        self._last_touch_at: datetime | None = None

    def screen_drawn(self) -> None:
        with self._lock:
            self._screen_drawn = True

    def touched(self) -> None:
        with self._lock:
            self._last_touch_at = self.clock()

    def report(self, devices: DeviceHealth | None, worker: SyncHealth | None) -> Health:
        with self._lock:
            screen, touch = self._screen_drawn, self._last_touch_at
        return Health(version=self.version, pid=os.getpid(), started_at=self.started_at, written_at=self.clock(),
                      screen_drawn=screen, devices=devices_answering(devices), sync_ok=last_round_ok(worker),
                      last_touch_at=touch)

    def write(self, devices: DeviceHealth | None = None, worker: SyncHealth | None = None) -> Health:
        health = self.report(devices, worker)
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}")
        temporary.write_text(health.to_json())
        os.replace(temporary, self.path)
        return health
