"""FastAPI application factory for kiosk-central. No globals: everything hangs off create_app."""
from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from sync import protocol as p
from sync.server.admin_routes import admin_router
from sync.server.auth import DEFAULT_TOKEN_TTL
from sync.server.carrier_routes import carrier_router
from sync.server.db import make_engine, make_session_factory
from sync.server.errors import ApiError, summarise_validation
from sync.server.limits import IDLE_TIMEOUT_S, BodyLimits
from sync.server.notifier import Notifier, NotifierThread
from sync.server.notify_settings import NotifySettings
from sync.server.parcel_page import page_router
from sync.server.ratelimit import FailureLimiter
from sync.server.routes import Clock, ServerContext, build_routers, utcnow

log = logging.getLogger(__name__)


def create_app(
    database_url: str,
    *,
    clock: Clock = utcnow,
    token_ttl: timedelta = DEFAULT_TOKEN_TTL,
    enroll_limiter: FailureLimiter | None = None,
    admin_token: str | None = None,
    notify: NotifySettings | None = None,
    sms_report_secret: str | None = None,
    body_timeout: float = IDLE_TIMEOUT_S,
) -> FastAPI:
    """The central server app on `database_url`, whose schema must already be upgraded.

    `clock` returns timezone-aware UTC; tests pass a fake one to expire codes and tokens.
    With `notify`, the notifier thread runs while the app does. The engine is disposed of
    when the app shuts down. SMS delivery reports are accepted with `sms_report_secret`, else
    with `notify`'s (the one its notifier writes into the reports' URL), else not at all.
    A request body that stalls for `body_timeout` seconds is answered 408 (limits.py).
    """
    engine = make_engine(database_url)
    ctx = ServerContext(sessions=make_session_factory(engine), clock=clock, token_ttl=token_ttl,
                        enroll_limiter=enroll_limiter or FailureLimiter(),
                        sms_report_secret=sms_report_secret or (notify.report_secret if notify else None))

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        thread = None
        if notify is not None:
            thread = NotifierThread(Notifier(ctx.sessions, notify, ctx.now)).start()
        try:
            yield
        finally:
            if thread is not None:
                thread.stop()
            engine.dispose()

    app = FastAPI(title="kiosk-central", lifespan=lifespan, docs_url=None, redoc_url=None)
    # Format-1 batch replies and change pages carry a row per event or change: gzip makes them
    # several times smaller on a slow link (format-2 replies are small already).
    app.add_middleware(GZipMiddleware, minimum_size=512)
    # Outermost of ours: body limits and timeouts apply before routing and authentication.
    app.add_middleware(BodyLimits, idle_timeout=body_timeout)
    _install_error_handlers(app)
    for router in build_routers(ctx):
        app.include_router(router)
    for router in (carrier_router(ctx), page_router(ctx), admin_router(ctx, admin_token)):
        app.include_router(router)
    return app


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


def _error(status: int, error: str, detail: str, headers: dict[str, str] | None = None,
           high_seq: int | None = None) -> JSONResponse:
    body = p.ErrorBody(error=error, detail=detail, high_seq=high_seq).model_dump(exclude_none=True)
    return JSONResponse(body, status_code=status, headers=headers)


def _install_error_handlers(app: FastAPI) -> None:
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
