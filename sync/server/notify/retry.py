"""Retry timing shared by the notifier and the carrier webhooks."""
from __future__ import annotations

from datetime import timedelta

# A row being sent is claimed for this long: another notifier (or this one after a crash)
# tries it again only after the lease has run out.
LEASE = timedelta(minutes=5)


def backoff(attempts: int) -> timedelta:
    """1, 2, 4 ... minutes after the 1st, 2nd, 3rd ... failure, at most an hour."""
    return timedelta(seconds=min(60 * 2 ** (attempts - 1), 3600))
