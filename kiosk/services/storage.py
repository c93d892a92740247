"""The SD card is full: a typed error with a message of its own, a health state, and a watch
that notices when space returns.

SQLite reports a full disk as SQLITE_FULL ("database or disk is full"); a file write as
ENOSPC or EDQUOT. Any of them, anywhere in an error's chain, is "storage full": the kiosk
says so plainly (no "unexpected error") and what to do, and nothing that must be recorded
happens unrecorded (doors.py records each opening before it unlocks).
"""
from __future__ import annotations

import errno
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import Enum

from sqlalchemy.orm import Session, sessionmaker

from kiosk.services.outcomes import DROP_OFF_NOT_RECORDED, STORAGE_FULL, StorageFull
from sync.outbox import set_state

log = logging.getLogger(__name__)
__all__ = ["DROP_OFF_NOT_RECORDED", "STORAGE_FULL", "StorageFull", "StorageHealth", "StorageState", "is_storage_full"]

SQLITE_FULL = 13
FULL_ERRNOS = (errno.ENOSPC, errno.EDQUOT)
PROBE_STATE = "storage_probe"  # a sync_state row rewritten to see whether writes work again
PROBE_EVERY_S = 15.0


class StorageState(str, Enum):
    OK = "ok"
    FULL = "full"


def is_storage_full(error: BaseException | None) -> bool:
    """True if this error, or one it was raised from, is a full disk."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, sqlite3.Error) and (
                getattr(error, "sqlite_errorcode", None) == SQLITE_FULL or "disk is full" in str(error)):
            return True
        if isinstance(error, OSError) and error.errno in FULL_ERRNOS:
            return True
        error = getattr(error, "orig", None) or error.__cause__ or error.__context__
    return False


class StorageHealth:
    """"ok" or "full", as the last write found it; while full, a thread rewrites one row every
    `probe_every_s` and, once that commits, reports "ok" and calls `on_recovered`."""

    def __init__(self, sessions: sessionmaker[Session], *, probe_every_s: float = PROBE_EVERY_S) -> None:
        self._sessions, self.probe_every_s = sessions, probe_every_s
        self._lock = threading.Lock()
        self._state = StorageState.OK
        self._stop = threading.Event()
        self._watch: threading.Thread | None = None
        self.on_recovered: Callable[[], None] = lambda: None
        self.on_full: Callable[[], None] = lambda: None

    @property
    def state(self) -> StorageState:
        with self._lock:
            return self._state

    @contextmanager
    def guard(self, message: str = STORAGE_FULL, **params: object) -> Iterator[None]:
        """Around a write: a full disk becomes StorageFull(message) and the state "full"."""
        try:
            yield
        except StorageFull:
            raise
        except Exception as error:
            if not is_storage_full(error):
                raise
            self.mark_full()
            raise StorageFull(message, **params) from error

    def mark_full(self) -> None:
        with self._lock:
            was_ok, self._state = self._state is StorageState.OK, StorageState.FULL
            if self._watch is None and not self._stop.is_set():
                self._watch = threading.Thread(target=self._probe_until_writable, name="storage-watch", daemon=True)
                self._watch.start()
        if was_ok:
            log.error("storage full: the kiosk records nothing and opens no door until space returns")
            self.on_full()

    def probe(self) -> bool:
        """One small write; True (and the state "ok") if it committed, else "full"."""
        try:
            with self._sessions.begin() as session:
                set_state(session, PROBE_STATE, "writable")
        except Exception as error:
            if is_storage_full(error):
                self.mark_full()
                return False
            raise
        with self._lock:
            recovered, self._state = self._state is StorageState.FULL, StorageState.OK
        if recovered:
            log.warning("storage writable again")
            self.on_recovered()
        return True

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        watch = self._watch
        if watch is not None:
            watch.join(timeout)

    def _probe_until_writable(self) -> None:
        try:
            while not self._stop.wait(self.probe_every_s):
                try:
                    if self.probe():
                        return
                except Exception:  # the watch must outlive a locked database
                    log.exception("storage probe failed")
        finally:
            with self._lock:
                self._watch = None
