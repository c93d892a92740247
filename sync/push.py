"""Pushing the outbox: batches that shrink when the link or the server struggles and grow
back when it recovers, verdicts recorded per event, and seq-rewind recovery.

Halving on every failed batch (timeout, dropped connection, 413, 5xx) reaches a size that
gets through a bad link in log2(500) ~ 9 failures; doubling after each success returns to
full batches as quickly. Nothing here sleeps: the worker decides when to try again.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from sync import outbox
from sync import protocol as p
from sync.client import SyncClient
from sync.errors import DeviceRevoked, RequestRejected, SeqRewound, ServerError, SyncError
from sync.queue_ops import renumber_pending

log = logging.getLogger(__name__)
MIN_BATCH_BYTES = 4 * 1024
MAX_REWINDS_PER_ROUND = 3


class Pusher:
    def __init__(
        self,
        sessions: Callable[[], Session],
        client: SyncClient,
        *,
        batch_size: int = p.MAX_BATCH_EVENTS,
        batch_bytes: int = p.MAX_BATCH_BYTES,
        clock: Callable[[], p.Clock] = outbox.read_clock,
    ) -> None:
        self._sessions, self._client, self._clock = sessions, client, clock
        self.max_size, self.max_bytes = batch_size, batch_bytes
        self.size, self.bytes = batch_size, batch_bytes  # the current, adaptive limits
        # No event at or below this seq is pending: a verdict is final and renumbering only
        # moves events up. Saves pending_batch from walking the whole table each round.
        self.none_pending_through = 0

    def push_all(self, stopping: Callable[[], bool]) -> int:
        """Send every pending event; returns how many got a verdict. Raises on failure."""
        marked, rewinds = 0, 0
        while not stopping():
            with self._sessions() as session:
                batch = outbox.pending_batch(session, self.size, self.bytes, after=self.none_pending_through)
            if not batch:
                return marked
            self.none_pending_through = batch[0].seq - 1
            try:
                marked += self._push(batch)
            except SeqRewound as rewind:
                rewinds += 1
                if rewinds > MAX_REWINDS_PER_ROUND:
                    raise
                self._renumber(rewind)
        return marked

    def _push(self, batch: list[p.Event]) -> int:
        try:
            response = self._client.push(batch, sent_clock=self._clock())
        except SyncError as exc:
            self._failed(batch, exc)
            raise
        with self._sessions() as session, session.begin():
            counts = outbox.mark_results(session, response)
        marked = sum(counts.values())
        if marked == 0:  # the server answered for none of them: do not spin on this batch
            raise SyncError(f"server gave no verdict for seq {batch[0].seq}..{batch[-1].seq}")
        self._grow()
        return marked

    def _failed(self, batch: list[p.Event], exc: SyncError) -> None:
        with self._sessions() as session, session.begin():
            outbox.mark_failed(session, batch, f"{type(exc).__name__}: {exc}")
        if _worth_shrinking(exc):
            self.size = max(1, min(self.size, len(batch)) // 2)
            self.bytes = max(MIN_BATCH_BYTES, self.bytes // 2)
            log.info("batch failed (%s); next batches at most %d events", exc, self.size)

    def _grow(self) -> None:
        self.size = min(self.max_size, self.size * 2)
        self.bytes = min(self.max_bytes, self.bytes * 2)

    def _renumber(self, rewind: SeqRewound) -> None:
        message = (f"seq rewind at {datetime.now(UTC).isoformat(timespec='seconds')}: the server "
                   f"holds seqs up to {rewind.high_seq} that this kiosk does not have. The SD "
                   "card may be a clone or a restored backup; pending events were renumbered.")
        log.error(message)
        with self._sessions() as session, session.begin():
            moved = renumber_pending(session, rewind.high_seq)
            outbox.set_state(session, outbox.ALERT, message)
        log.warning("renumbered %d pending events above seq %d", moved, rewind.high_seq)


def _worth_shrinking(exc: SyncError) -> bool:
    """Timeouts, dropped connections, garbled answers, 408/413 and 5xx: yes. A refusal of
    the request itself (401/403/409) or 429 (too many requests, not too big): no."""
    if isinstance(exc, (DeviceRevoked, SeqRewound)):
        return False
    if isinstance(exc, ServerError):
        return exc.status != 429
    return not isinstance(exc, RequestRejected)
