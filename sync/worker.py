"""The one background thread that talks to the central server.

Each round: push pending outbox events in batches (sync/push.py: verdicts, adaptive batch
size, seq-rewind recovery), then pull every scope that has an applier (applying a page and
saving its cursor in ONE local transaction), then the config if it changed (ETag).
On failure it backs off with full jitter, `random(0, min(300, 2 * 2**n))` seconds, honouring
a server's Retry-After, and a commit's trigger() does not cut that wait short (it only starts
the next round early after a round that succeeded); it never raises out of the thread. The kiosk passes its own
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
from sync.push import Pusher

log = logging.getLogger(__name__)

Applier = Callable[[Session, list[p.Change]], None]
Refetch = Callable[[Session, str], None]
ConfigApplier = Callable[[Session, p.ConfigResponse], None]
SessionFactory = Callable[[], Session]
BACKOFF_BASE_S = 2.0
BACKOFF_CAP_S = 300.0
MAX_PAGES_PER_ROUND = 100  # bounds one round; the next round goes on from the saved cursor


def backoff_delay(failures: int, rand: Callable[[], float] = random.random) -> float:
    """Full jitter: uniform in [0, min(cap, base * 2**failures))."""
    return rand() * min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2.0 ** min(failures, 16))


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
        on_config: ConfigApplier | None = None,
        fetch_config: bool = True,
        rand: Callable[[], float] = random.random,
        clock: Callable[[], p.Clock] = outbox.read_clock,
    ) -> None:
        """`appliers[scope](session, changes)` applies one page in the worker's transaction
        (upsert/delete by entity id + version; must not commit). `on_refetch(session, scope)`
        drops that scope's local copy when the server says the cursor is no longer valid; it
        runs in the same transaction as the first page of the new snapshot. The config is
        kept in sync_state; `on_config(session, config)` may apply it in that transaction."""
        unknown = set(appliers) - set(p.SCOPES)
        if unknown:
            raise ValueError(f"unknown scopes: {', '.join(sorted(unknown))}")
        self._sessions = session_factory
        self._client = client
        self._appliers = dict(appliers)
        self._interval = interval
        self.pusher = Pusher(session_factory, client, batch_size=batch_size,
                             batch_bytes=batch_bytes, clock=clock)
        self._on_refetch = on_refetch
        self._on_config, self._fetch_config = on_config, fetch_config
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
        """Start a round now (e.g. right after a pickup was committed), unless the last round
        failed: then the round waits out its backoff or the server's Retry-After."""
        self._wake.set()

    def status(self) -> WorkerStatus:
        with self._lock:
            return self._status

    # --- the thread ---------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            delay = self.run_once()
            self._wait(delay)

    def _wait(self, delay: float) -> None:
        """After a failed round only stop() ends the wait early, never a trigger(): a busy
        kiosk commits every few seconds, and retrying on each commit ignored the server's
        Retry-After and the backoff, and halved the batch on every refused retry (after an
        outage kiosks came back pushing 62 events a batch instead of 500). A trigger that
        arrives meanwhile is not lost: the round after the wait sends its event."""
        if self.status().consecutive_failures:
            self._stop.wait(delay)
        else:
            self._wake.wait(delay)

    def run_once(self) -> float:
        """One round; returns how long to wait before the next. Never raises."""
        try:
            marked = self.pusher.push_all(self._stop.is_set)
            self._update(pushed=self.status().pushed + marked)
            self._pull_all()
            if self._fetch_config:
                self._pull_config()
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
        if isinstance(exc, DeviceRevoked):  # kept until a round succeeds: the technician sees it
            self._record(outbox.REVOKED, f"{_utc_iso()}: {exc}")
        self._update(consecutive_failures=failures + 1, last_error=message,
                     revoked=isinstance(exc, DeviceRevoked), rounds=self.status().rounds + 1)
        return delay

    def _succeeded(self) -> None:
        self._record(outbox.LAST_SUCCESS_AT, _utc_iso())
        if self.status().revoked:
            self._forget(outbox.REVOKED)
        self._update(consecutive_failures=0, revoked=False, rounds=self.status().rounds + 1)

    def _record(self, key: str, value: str, time_key: str | None = None) -> None:
        try:
            with self._sessions() as session, session.begin():
                outbox.set_state(session, key, value[:1000])
                if time_key is not None:
                    outbox.set_state(session, time_key, _utc_iso())
        except Exception:  # noqa: BLE001 - a locked DB must not kill the thread
            log.exception("could not record sync state")

    def _forget(self, key: str) -> None:
        try:
            with self._sessions() as session, session.begin():
                outbox.delete_state(session, key)
        except Exception:  # noqa: BLE001
            log.exception("could not record sync state")

    def _update(self, **changes: object) -> None:
        with self._lock:
            self._status = replace(self._status, **changes)  # type: ignore[arg-type]

    # --- push and pull --------------------------------------------------------------------

    def _pull_all(self) -> None:
        for scope, applier in self._appliers.items():
            for _ in range(MAX_PAGES_PER_ROUND):
                if self._stop.is_set() or not self._pull_page(scope, applier):
                    break

    def _pull_page(self, scope: str, applier: Applier) -> bool:
        """Apply one page; True if the server has more."""
        with self._sessions() as session:
            cursor = outbox.get_cursor(session, scope)
        refetch = False
        try:
            page = self._client.pull(scope, cursor)
        except MustRefetch:
            log.warning("server invalidated the %s cursor; fetching that scope again", scope)
            page, refetch = self._client.pull(scope, ""), True
        with self._sessions() as session, session.begin():
            if refetch and self._on_refetch is not None:
                # Dropped in the same transaction as the new snapshot's first page arrives:
                # never an empty staff list on the kiosk. The outbox is not touched.
                self._on_refetch(session, scope)
            applier(session, list(page.changes))
            outbox.set_cursor(session, scope, page.next_cursor)
        self._update(pulled=self.status().pulled + len(page.changes))
        return page.has_more

    def _pull_config(self) -> None:
        with self._sessions() as session:
            etag = outbox.get_state(session, outbox.CONFIG_ETAG)
        config, new_etag = self._client.config(etag)
        if config is None:
            return  # 304: unchanged
        with self._sessions() as session, session.begin():
            outbox.set_state(session, outbox.CONFIG_JSON, p.canonical_json(config.model_dump()))
            outbox.set_state(session, outbox.CONFIG_ETAG, new_etag or "")
            if self._on_config is not None:
                self._on_config(session, config)


def _utc_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
