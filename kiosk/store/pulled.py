"""Applying a pulled change page to local rows: what every scope's applier shares.

Each row kept from a scope has the server's `version`; a page may be delivered again (a reply
lost after the commit), so a change that is not newer than the stored row is skipped.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from sqlalchemy.orm import Session

from sync.protocol import Change


def newer_upserts(session: Session, changes: Iterable[Change],
                  stored: Callable[[Change], Any | None]) -> Iterator[tuple[Change, Any | None]]:
    """Applies the page's deletes and yields each newer upsert with its stored row (None when
    the entity is new), for the caller to validate, create and copy into."""
    for change in changes:
        current = stored(change)
        if current is not None and current.version >= change.version:
            continue
        if change.op == "delete":
            if current is not None:
                session.delete(current)
            continue
        yield change, current


def added(session: Session, row: Any) -> Any:
    session.add(row)
    return row
