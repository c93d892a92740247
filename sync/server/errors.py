"""Error types of the server: ApiError for HTTP handlers, AdminError for the CLI."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


class ApiError(Exception):
    """Raised by handlers; api/error_handlers.py turns it into an ErrorBody response."""

    def __init__(
        self, status: int, error: str, detail: str = "", headers: dict[str, str] | None = None,
        *, high_seq: int | None = None,
    ) -> None:
        super().__init__(f"{status} {error}: {detail}")
        self.status = status
        self.error = error
        self.detail = detail
        self.headers = headers or {}
        self.high_seq = high_seq


class AdminError(Exception):
    """A coordinator's mistake (unknown service point, bad UID...): the message says which."""


def summarise_validation(errors: Iterable[Mapping[str, Any]], limit: int = 5) -> str:
    """Pydantic errors as one readable line: "events.0.seq: Input should be ... ; ..."."""
    parts = []
    for err in list(errors)[:limit]:
        where = ".".join(str(part) for part in err.get("loc", ())) or "body"
        parts.append(f"{where}: {err.get('msg', 'invalid')}")
    return "; ".join(parts)
