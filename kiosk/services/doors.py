"""Opening compartment doors, with every attempt audited, and waiting for them to close.

Each attempt is one local DoorOpening row, committed BEFORE the unlock is sent (an opening
that cannot be recorded does not happen), then its outcome and a door.opened event, in one
transaction: opened, failed (the board said no, or is not there) or unknown (the unlock may
have gone out but the board could not be read back, or the outcome was never written: the
kiosk stopped, or its disk was full). A door that stays open past the grace time is reported once (door.left_open) and shown on screen until it closes. A door found open
at start-up (a restart interrupted a pickup or return) is watched the same way, reported at once:
it has been open since before the restart.
"""
from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hardware.devices.locker import CompartmentState, LockAddress, Locker
from hardware.errors import HardwareError, OutcomeUnknown
from kiosk.config import Compartment
from kiosk.services.errors import N_
from kiosk.services.outcomes import DoorFault
from kiosk.services.storage import StorageFull, StorageHealth
from kiosk.store.models import DoorOpening
from sync.outbox import OutboxEvent, enqueue

DOOR_POLL_S = 0.2
LEFT_OPEN_AFTER_S = 60.0
DOOR_FAILED = N_("Facket {compartment} gick inte att öppna. Inget har ändrats. Fråga personalen.")
DOOR_UNKNOWN = N_("Vi vet inte om facket {compartment} öppnades. Titta efter om luckan är öppen och kontakta personalen.")
RESIDENT = "resident"
PENDING = "pending"  # a DoorOpening recorded before its unlock, whose outcome is not written yet
UNRECORDED = "the outcome was not recorded: the kiosk stopped or its storage was full"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Closed:
    """A door read closed; `item_present` is None on boards without an item sensor."""

    compartment: Compartment
    item_present: bool | None


LeftOpen = Callable[[Compartment, int], None]
DoorClosed = Callable[[Closed], None]


def utc_now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def address(compartment: Compartment) -> LockAddress:
    return LockAddress(board=compartment.board, lock=compartment.lock)


class Doors:
    def __init__(self, *, sessions: sessionmaker[Session], locker: Locker, item_sensors: bool = True,
                 left_open_after_s: float = LEFT_OPEN_AFTER_S, on_committed: Callable[[], None] = lambda: None,
                 poll_s: float = DOOR_POLL_S, storage: StorageHealth | None = None) -> None:
        self._sessions, self._locker = sessions, locker
        self.item_sensors = item_sensors
        self.left_open_after_s = left_open_after_s
        self._on_committed = on_committed
        self._poll_s = poll_s
        self.storage = storage if storage is not None else StorageHealth(sessions)
        self._unrecorded: dict[int, tuple[str, str | None]] = {}  # opening id -> outcome, detail
        self._unrecorded_lock = threading.Lock()
        self._since = utc_now()  # PENDING rows older than this were left by an earlier run

    def open(self, compartment: Compartment, *, reason: str, actor: str, parcel_id: str | None = None,
             with_record: Callable[[Session], None] | None = None) -> None:
        """Records the attempt, unlocks, records the outcome; raises DoorFault if the door did
        not (or may not have) opened, StorageFull (door untouched) if the attempt cannot be
        recorded: an opening nobody could account for later does not happen. `with_record`
        writes the caller's own change in the attempt's transaction (one commit, not two,
        before the door opens: on an SD card each is milliseconds a person waits)."""
        with self.storage.guard():
            opening_id = self._record_attempt(compartment, reason, actor, parcel_id, with_record)
        outcome, detail = "opened", None
        try:
            self._locker.open(address(compartment))
        except OutcomeUnknown as error:
            outcome, detail = "unknown", str(error)
        except HardwareError as error:
            outcome, detail = "failed", str(error)
        self._record_outcome(opening_id, outcome, detail)
        if outcome == "failed":
            raise DoorFault(DOOR_FAILED, compartment, outcome)
        if outcome == "unknown":
            raise DoorFault(DOOR_UNKNOWN, compartment, outcome)

    def _record_attempt(self, compartment: Compartment, reason: str, actor: str, parcel_id: str | None,
                        with_record: Callable[[Session], None] | None) -> int:
        """Committed before the unlock: a restart (or a full disk) after the unlock leaves this
        row PENDING, and settle_unrecorded() reports it."""
        with self._sessions.begin() as session:
            if with_record is not None:
                with_record(session)
            row = DoorOpening(opened_at=utc_now(), compartment_id=compartment.id, reason=reason,
                              outcome=PENDING, actor=actor[:64], parcel_id=parcel_id)
            session.add(row)
            session.flush()
            return row.id

    def _record_outcome(self, opening_id: int, outcome: str, detail: str | None) -> None:
        """The outcome and its door.opened event. The door has been dealt with by now, so a full
        disk here is not the person's problem: the outcome is kept in memory and written when
        space returns (settle_unrecorded), and the row stays PENDING should the kiosk stop first."""
        try:
            with self.storage.guard():
                self._write_outcome(opening_id, outcome, detail)
        except StorageFull:
            log.error("door opening %d: outcome %s not recorded (storage full)", opening_id, outcome)
            with self._unrecorded_lock:
                self._unrecorded[opening_id] = (outcome, detail)

    def _write_outcome(self, opening_id: int, outcome: str, detail: str | None) -> None:
        with self._sessions.begin() as session:
            row = session.get_one(DoorOpening, opening_id)
            row.outcome, row.detail = outcome, (detail or "")[:300] or None
            payload = {"compartment": row.compartment_id, "reason": row.reason, "outcome": outcome,
                       "actor": row.actor}
            if row.parcel_id is not None:
                payload["parcel_id"] = row.parcel_id
            enqueue(session, type="door.opened", payload=payload)
        self._on_committed()

    def settle_unrecorded(self) -> int:
        """Openings whose outcome was never written: those a full disk refused in this run, with
        the outcome this process still knows, and those an earlier run left, as "unknown" (the
        unlock may have gone out before it stopped). Not an opening under way right now, whose
        own outcome is still to come. Returns how many."""
        with self._unrecorded_lock:
            known = dict(self._unrecorded)
        with self._sessions() as session:
            pending = session.scalars(select(DoorOpening.id).where(
                DoorOpening.outcome == PENDING,
                DoorOpening.id.in_(known) | (DoorOpening.opened_at < self._since))).all()
        for opening_id in pending:
            outcome, detail = known.get(opening_id, ("unknown", UNRECORDED))
            self._write_outcome(opening_id, outcome, detail)
            with self._unrecorded_lock:
                self._unrecorded.pop(opening_id, None)
        return len(pending)

    def board_states(self, board: int) -> dict[int, CompartmentState]:
        """Every lock's sensors on one board (by lock number); empty if it cannot be read."""
        try:
            return self._locker.board_states(board)
        except HardwareError:
            return {}

    def read(self, compartment: Compartment) -> CompartmentState | None:
        """The door's sensors, or None if the board cannot be read just now."""
        try:
            return self._locker.state(address(compartment))
        except HardwareError:
            return None

    def wait_closed(self, compartments: Sequence[Compartment], *, stop: threading.Event,
                    on_left_open: LeftOpen | None = None, on_closed: DoorClosed | None = None,
                    left_open_after_s: float | None = None) -> list[Closed] | None:
        """Blocks (on a worker thread) until every door reads closed; None if stopped first.

        A missed poll is retried: a door is never assumed closed. Past the grace time each
        door still open is reported once, to the audit trail and to `on_left_open`; each door
        that closes is handed to `on_closed` at once (the others may stay open for long)."""
        grace_s = self.left_open_after_s if left_open_after_s is None else left_open_after_s
        pending = {c.id: c for c in compartments}
        closed: list[Closed] = []
        started, reported = time.monotonic(), set()
        while pending and not stop.is_set():
            for compartment in list(pending.values()):
                state = self.read(compartment)
                if state is not None and state.door_closed:
                    closed.append(Closed(compartment, state.item_present if self.item_sensors else None))
                    del pending[compartment.id]
                    if on_closed is not None:
                        on_closed(closed[-1])
            open_for = time.monotonic() - started
            for compartment in pending.values():
                if open_for >= grace_s and compartment.id not in reported:
                    reported.add(compartment.id)
                    self.report_left_open(compartment, int(open_for))
                    if on_left_open is not None:
                        on_left_open(compartment, int(open_for))
            if pending:
                stop.wait(self._poll_s)
        return None if pending else closed

    def watch_found_open(self, compartments: Sequence[Compartment], *, stop: threading.Event,
                         on_closed: DoorClosed | None = None) -> list[Closed] | None:
        """Doors found open at start-up: reported at once (unless the run before the restart
        already reported this opening) and watched until each reads closed."""
        return self.wait_closed(compartments, stop=stop, on_closed=on_closed, left_open_after_s=0.0)

    def report_left_open(self, compartment: Compartment, open_for_s: int) -> None:
        """One door.left_open per opening of the door, however often it is seen open."""
        with self._sessions.begin() as session:
            opened_at = self._last_opened_at(session, compartment)
            if opened_at is not None and self._reported_since(session, compartment, opened_at):
                return
            if opened_at is not None:  # open since that opening, not just since we started looking
                open_for_s = max(open_for_s, int((utc_now() - opened_at).total_seconds()))
            enqueue(session, type="door.left_open",
                    payload={"compartment": compartment.id, "open_for_s": max(0, open_for_s)})
        self._on_committed()

    @staticmethod
    def _last_opened_at(session: Session, compartment: Compartment) -> datetime | None:
        return session.scalars(select(DoorOpening.opened_at).where(DoorOpening.compartment_id == compartment.id)
                               .order_by(DoorOpening.opened_at.desc()).limit(1)).first()

    @staticmethod
    def _reported_since(session: Session, compartment: Compartment, opened_at: datetime) -> bool:
        payloads = session.scalars(select(OutboxEvent.payload).where(
            OutboxEvent.type == "door.left_open", OutboxEvent.created_at >= opened_at)).all()
        return any(json.loads(payload).get("compartment") == compartment.id for payload in payloads)
