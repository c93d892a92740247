"""How many rows a DML statement changed, with the type SQLAlchemy's stubs cannot give."""
from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, Result


def affected_rows(result: Result[Any]) -> int:
    """`Session.execute` is typed to return a plain Result whatever it runs, but for an UPDATE
    or DELETE it is a CursorResult, the only kind that carries `rowcount`."""
    return cast("CursorResult[Any]", result).rowcount
