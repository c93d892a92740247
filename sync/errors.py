"""Typed errors of the kiosk side of sync: each says whose problem it is and what to do."""
from __future__ import annotations


class SyncError(Exception):
    """Base of every sync error on the kiosk side."""


class ServerUnreachable(SyncError):
    """No answer: no network, DNS, refused, reset or timed out. Retry later."""


class DeviceRevoked(SyncError):
    """The server revoked this kiosk. Keep the queue; tell the technician."""


class KeyFileError(SyncError):
    """The device key file is missing, unreadable or readable by others."""


class BadResponse(SyncError):
    """The server answered 2xx with a body we cannot read (truncated, wrong shape). Retry."""


class ServerError(SyncError):
    """The server is failing or overloaded (5xx, 408, 413, 429). Retry later, maybe smaller."""

    def __init__(self, status: int, retry_after: float | None, error: str = "", detail: str = "") -> None:
        super().__init__(f"server error {status} {error}: {detail}".rstrip(": "))
        self.status, self.retry_after, self.error, self.detail = status, retry_after, error, detail


class RequestRejected(SyncError):
    """The server refused the request itself (4xx): retrying it unchanged will not help."""

    def __init__(self, status: int, error: str, detail: str) -> None:
        super().__init__(f"{status} {error}: {detail}")
        self.status, self.error, self.detail = status, error, detail


class EnrollmentRefused(RequestRejected):
    """404 unknown code, 409 code used by another key, 410 expired/used: `detail` says which."""

    def __init__(self, status: int, detail: str, error: str = "") -> None:
        super().__init__(status, error, detail)


class MustRefetch(RequestRejected):
    """The pull cursor is no longer valid: drop that scope's local copy and start again."""


class SeqRewound(RequestRejected):
    """The server holds other events on our seqs: this SD card was cloned or restored.
    Renumber the pending events above `high_seq` and tell the technician."""

    def __init__(self, status: int, error: str, detail: str, high_seq: int) -> None:
        super().__init__(status, error, detail)
        self.high_seq = high_seq
