"""The server's notion of now. Injectable: tests pass a fake clock to expire codes and tokens."""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


def aware_now(clock: Clock) -> datetime:
    """`clock()`, refused if naive: every stored time is UTC and comparing naive with aware fails late."""
    now = clock()
    if now.tzinfo is None:
        raise ValueError("server clock must return timezone-aware datetimes")
    return now
