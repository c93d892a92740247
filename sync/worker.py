"""The one background thread that talks to the central server.

Each round: push pending outbox events in batches (marking each verdict), then pull every
scope that has an applier (applying a page and saving its cursor in ONE local transaction).
On failure it backs off with full jitter, `random(0, min(300, 2 * 2**n))` seconds, honouring
a server's Retry-After; it never raises out of the thread. The kiosk passes its own
callbacks in: nothing here imports kiosk code.
"""
from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from sync import outbox
from sync import protocol as p
from sync.client import SyncClient
from sync.errors import DeviceRevoked, MustRefetch, ServerError, SyncError

log = logging.getLogger(__name__)

Applier = Callable[[Session, list[p.Change]], None]
Refetch = Callable[[Session, str], None]
SessionFactory = Callable[[], Session]
BACKOFF_BASE_S = 2.0
BACKOFF_CAP_S = 300.0
MAX_PAGES_PER_ROUND = 100  # bounds one round; the next round goes on from the saved cursor


def backoff_delay(failures: int, rand: Callable[[], float] = random.random) -> float:
    """Full jitter: uniform in [0, min(cap, base * 2**failures))."""
    return rand() * min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** min(failures, 16))


@dataclass(frozen=True)
class WorkerStatus:
    running: bool = False
    rounds: int = 0
    consecutive_failures: int = 0
    last_error: str | None = None
    revoked: bool = False
    pushed: int = 0  # events that got a verdict since start
    pulled: int = 0  # changes applied since start


class SyncWorker:
    def __init__(
        self,
        session_factory: SessionFactory,
        client: SyncClient,
        *,
        appliers: Mapping[str, Applier],
        interval: float = 5.0,
        batch_size: int = p.MAX_BATCH_EVENTS,
        batch_bytes: int = p.MAX_BATCH_BYTES,
        on_refetch: Refetch | None = None,
        rand: Callable[[], float] = random.random,
    ) -> None:
        """`appliers[scope](session, changes)` applies one page in the worker's transaction
        (upsert/delete by entity id + version; must not commit). `on_refetch(session, scope)`
        drops that scope's local copy when the server says the cursor is no longer valid."""
        unknown = set(appliers) - set(p.SCOPES)
        if unknown:
            raise ValueError(f"unknown scopes: {', '.join(sorted(unknown))}")
        self._sessions = session_factory
        self._client = client
        self._appliers = dict(appliers)
        self._interval = interval
        self._batch_size, self._batch_bytes = batch_size, batch_bytes
        self._on_refetch = on_refetch
        self._rand = rand
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._status = WorkerStatus()
        self._thread: threading.Thread | None = None

    # --- control (any thread) -------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("SyncWorker already started")
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="sync-worker", daemon=True)
        self._update(running=True)
        self._thread.start()

    def stop(self, timeout: float | None = 10.0) -> bool:
        """Ask the thread to finish its current request and exit; True if it has."""
        self._stop.set()
        self._wake.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout)
            if thread.is_alive():
                log.warning("sync worker still busy after %.1f s", timeout or 0)
                return False
        self._update(running=False)
        return True

    def trigger(self) -> None:
        """Start a round now (e.g. right after a pickup was committed)."""
        self._wake.set()

    def status(self) -> WorkerStatus:
        with self._lock:
            return self._status

    # --- the thread ---------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            delay = self.run_once()
            self._wake.wait(delay)

    def run_once(self) -> float:
        """One round; returns how long to wait before the next. Never raises."""
        try:
            self._push_all()
            self._pull_all()
        except Exception as exc:  # noqa: BLE001 - the thread must survive anything
            return self._failed(exc)
        self._succeeded()
        return self._interval

    def _failed(self, exc: Exception) -> float:
        if not isinstance(exc, SyncError):
            log.exception("sync round failed unexpectedly")
        else:
            log.info("sync round failed: %s", exc)
        failures = self.status().consecutive_failures
        delay = backoff_delay(failures, self._rand)
        if isinstance(exc, ServerError) and exc.retry_after is not None:
            delay = max(delay, min(exc.retry_after, BACKOFF_CAP_S))
        message = f"{type(exc).__name__}: {exc}"
        self._record(outbox.LAST_ERROR, message, outbox.LAST_ERROR_AT)
        self._update(consecutive_failures=failures + 1, last_error=message,
                     revoked=isinstance(exc, DeviceRevoked), rounds=self.status().rounds + 1)
        return delay

    def _succeeded(self) -> None:
        self._record(outbox.LAST_SUCCESS_AT, _utc_iso())
        self._update(consecutive_failures=0, revoked=False, rounds=self.status().rounds + 1)

    def _record(self, key: str, value: str, time_key: str | None = None) -> None:
        try:
            with self._sessions() as session, session.begin():
                outbox.set_state(session, key, value[:1000])
                if time_key is not None:
                    outbox.set_state(session, time_key, _utc_iso())
        except Exception:  # noqa: BLE001 - a locked DB must not kill the thread
            log.exception("could not record sync state")

    def _update(self, **changes: object) -> None:
        with self._lock:
            self._status = replace(self._status, **changes)  # type: ignore[arg-type]

    # --- push and pull --------------------------------------------------------------------

    def _push_all(self) -> None:
        while not self._stop.is_set():
            with self._sessions() as session:
                batch = outbox.pending_batch(session, self._batch_size, self._batch_bytes)
            if not batch:
                return
            self._push(batch)

    def _push(self, batch: list[p.Event]) -> None:
        try:
            response = self._client.push(batch)
        except SyncError as exc:
            with self._sessions() as session, session.begin():
                outbox.mark_failed(session, batch, f"{type(exc).__name__}: {exc}")
            raise
        with self._sessions() as session, session.begin():
            counts = outbox.mark_results(session, response)
        marked = sum(counts.values())
        self._update(pushed=self.status().pushed + marked)
        if marked == 0:  # the server answered for none of them: do not spin on this batch
            raise SyncError(f"server gave no verdict for seq {batch[0].seq}..{batch[-1].seq}")

    def _pull_all(self) -> None:
        for scope, applier in self._appliers.items():
            for _ in range(MAX_PAGES_PER_ROUND):
                if self._stop.is_set() or not self._pull_page(scope, applier):
                    break

    def _pull_page(self, scope: str, applier: Applier) -> bool:
        """Apply one page; True if the server has more."""
        with self._sessions() as session:
            cursor = outbox.get_cursor(session, scope)
        try:
            page = self._client.pull(scope, cursor)
        except MustRefetch:
            self._refetch(scope)
            return True
        with self._sessions() as session, session.begin():
            applier(session, list(page.changes))
            outbox.set_cursor(session, scope, page.next_cursor)
        self._update(pulled=self.status().pulled + len(page.changes))
        return page.has_more

    def _refetch(self, scope: str) -> None:
        log.warning("server invalidated the %s cursor; fetching that scope again", scope)
        with self._sessions() as session, session.begin():
            if self._on_refetch is not None:
                self._on_refetch(session, scope)
            outbox.set_cursor(session, scope, "")


def _utc_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
