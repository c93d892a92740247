"""Outbox operations beyond enqueue/send: renumbering after a seq rewind, listing for the
technician (`kiosk queue`)."""
from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from sync.outbox import SEQ_FLOOR, OutboxEvent, get_state, set_state


def renumber_pending(session: Session, above: int) -> int:
    """Give every pending event a new seq above `above` (the server's highest for us) and
    above every local seq, keeping their order; returns how many moved.

    event_ids stay: events the server already has are answered "duplicate" on their new seq.
    New seqs are all above the current maximum, so no UPDATE collides with another row."""
    pending = list(session.scalars(
        select(OutboxEvent.seq).where(OutboxEvent.state == "pending").order_by(OutboxEvent.seq)
    ))
    base = max(above, session.scalar(select(func.max(OutboxEvent.seq))) or 0)
    for offset, seq in enumerate(pending, start=1):
        session.execute(update(OutboxEvent).where(OutboxEvent.seq == seq).values(seq=base + offset))
    _raise_seq_floor(session, base + len(pending))
    return len(pending)


def _raise_seq_floor(session: Session, value: int) -> None:
    """The next enqueue continues above the server's seqs, even when nothing was pending."""
    if value > int(get_state(session, SEQ_FLOOR) or 0):
        set_state(session, SEQ_FLOOR, str(value))


def events_in_state(session: Session, states: tuple[str, ...], limit: int = 100) -> list[OutboxEvent]:
    """The newest `limit` events in any of `states`, oldest first."""
    rows = session.scalars(
        select(OutboxEvent).where(OutboxEvent.state.in_(states))
        .order_by(OutboxEvent.seq.desc()).limit(limit)
    ).all()
    return list(reversed(rows))
