"""Outbox operations beyond enqueue/send: renumbering after a seq rewind, listing for the
technician (`kiosk queue`)."""
from __future__ import annotations

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from sync.outbox import OutboxEvent


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
    _raise_autoincrement(session, base + len(pending))
    return len(pending)


def _raise_autoincrement(session: Session, value: int) -> None:
    """AUTOINCREMENT remembers its high-water mark in sqlite_sequence, which an UPDATE of the
    key does not move; move it, so the next enqueue continues above the server's seqs."""
    session.execute(text("UPDATE sqlite_sequence SET seq = :v WHERE name = 'outbox' AND seq < :v"),
                    {"v": value})
    session.execute(
        text("INSERT INTO sqlite_sequence (name, seq) SELECT 'outbox', :v "
             "WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'outbox')"),
        {"v": value},
    )


def events_in_state(session: Session, states: tuple[str, ...], limit: int = 100) -> list[OutboxEvent]:
    """The newest `limit` events in any of `states`, oldest first."""
    rows = session.scalars(
        select(OutboxEvent).where(OutboxEvent.state.in_(states))
        .order_by(OutboxEvent.seq.desc()).limit(limit)
    ).all()
    return list(reversed(rows))
