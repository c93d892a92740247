"""Every error reply is an ErrorBody {error, detail[, high_seq]}, so a client can act on `error`."""
from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from sync import protocol as p
from sync.server.errors import ApiError, summarise_validation

log = logging.getLogger(__name__)


def _error(status: int, error: str, detail: str, headers: dict[str, str] | None = None,
           high_seq: int | None = None) -> JSONResponse:
    body = p.ErrorBody(error=error, detail=detail, high_seq=high_seq).model_dump(exclude_none=True)
    return JSONResponse(body, status_code=status, headers=headers)


def describe_database_error(exc: DBAPIError) -> str:
    """The error's class, SQLSTATE and statement, never its parameters or the driver's detail
    ("Key (phone)=(+46...) already exists"): they are residents' data."""
    statement = " ".join((exc.statement or "").split())
    if len(statement) > 120:
        statement = statement[:117] + "..."
    driver = type(exc.orig).__name__
    sqlstate = getattr(exc.orig, "sqlstate", None)
    cause = f"{driver}, SQLSTATE {sqlstate}" if sqlstate else driver
    return f"{type(exc).__name__} ({cause}) in {statement or 'a statement'}"


def install_error_handlers(app: FastAPI) -> None:
    """Every error is an ErrorBody {error, detail}, so a kiosk can act on `error`."""

    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return _error(exc.status, exc.error, exc.detail, exc.headers, exc.high_seq)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return _error(422, "invalid_request", summarise_validation(exc.errors()))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        error = "not_found" if exc.status_code == 404 else "http_error"
        return _error(exc.status_code, error, str(exc.detail), getattr(exc, "headers", None))

    @app.exception_handler(SQLAlchemyTimeoutError)
    async def _pool_exhausted(_request: Request, exc: SQLAlchemyTimeoutError) -> JSONResponse:
        # Every database connection stayed busy: overload, not a bug. The kiosk retries.
        log.warning("database connection pool exhausted: %s", exc)
        return _error(503, "busy", "server busy; try again later", {"Retry-After": "5"})

    @app.exception_handler(DBAPIError)
    async def _database(_request: Request, exc: DBAPIError) -> JSONResponse:
        # Nothing was committed (the transaction rolled back); the kiosk retries later.
        log.error("database error: %s", describe_database_error(exc))
        return _error(503, "database_unavailable", "try again later", {"Retry-After": "5"})
