"""FastAPI application factory for kiosk-central. No globals: everything hangs off create_app."""
from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from functools import partial

from fastapi import FastAPI
from fastapi.middleware.gzip import GZipMiddleware
from sqlalchemy import Engine

from sync.server import admin_tokens
from sync.server.api import (
    admin_directory,
    admin_parcels,
    carriers,
    devices,
    enroll,
    pages,
)
from sync.server.api.contract.openapi import install_openapi
from sync.server.api.deps import ServerState
from sync.server.api.error_handlers import install_error_handlers
from sync.server.api.html import SecurityHeaders, make_templates
from sync.server.api.limits import IDLE_TIMEOUT_S, BodyLimits
from sync.server.clock import Clock, utcnow
from sync.server.db.engine import make_engine, make_session_factory
from sync.server.kiosks.auth import DEFAULT_TOKEN_TTL
from sync.server.kiosks.ratelimit import FailureLimiter
from sync.server.notify.notifier import Notifier, NotifierThread
from sync.server.notify.settings import NotifySettings

ROUTERS = (enroll.health_router, enroll.router, devices.router, carriers.router, pages.router,
           admin_parcels.router, admin_directory.router)


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
    `admin_token` (KIOSK_CENTRAL_ADMIN_TOKEN) bootstraps the admin API, see admin_tokens.py.
    With `notify`, the notifier thread runs while the app does. The engine is disposed of
    when the app shuts down. SMS delivery reports are accepted with `sms_report_secret`, else
    with `notify`'s (the one its notifier writes into the reports' URL), else not at all.
    A request body that stalls for `body_timeout` seconds is answered 408 (limits.py).
    """
    engine = make_engine(database_url)
    state = ServerState(sessions=make_session_factory(engine), clock=clock, token_ttl=token_ttl,
                        enroll_limiter=enroll_limiter or FailureLimiter(),
                        sms_report_secret=sms_report_secret or (notify.report_secret if notify else None))
    if admin_token:
        _bootstrap_admin_token(state, engine, admin_token)
    app = FastAPI(title="kiosk-central", docs_url=None, redoc_url=None,
                  lifespan=partial(_running, state=state, engine=engine, notify=notify))
    app.state.server = state
    app.state.templates = templates = make_templates()
    # Format-1 batch replies and change pages carry a row per event or change: gzip makes them
    # several times smaller on a slow link (format-2 replies are small already).
    app.add_middleware(GZipMiddleware, minimum_size=512)
    # Body limits and timeouts apply before routing and authentication.
    app.add_middleware(BodyLimits, idle_timeout=body_timeout)
    # Outermost, so that every response gets them, error replies and 413s included.
    app.add_middleware(SecurityHeaders, content_security_policy=templates.content_security_policy)
    install_error_handlers(app)
    install_openapi(app)
    for router in ROUTERS:
        app.include_router(router)
    return app


def _bootstrap_admin_token(state: ServerState, engine: Engine, token: str) -> None:
    try:
        with state.sessions.begin() as session:
            admin_tokens.bootstrap(session, token, state.now())
    except Exception:
        engine.dispose()  # no app will run to dispose of it
        raise


@asynccontextmanager
async def _running(_app: FastAPI, *, state: ServerState, engine: Engine,
                   notify: NotifySettings | None) -> AsyncIterator[None]:
    """While the app runs: the notifier thread (with `notify`); afterwards the engine is disposed of."""
    thread = None
    if notify is not None:
        thread = NotifierThread(Notifier(state.sessions, notify, state.now)).start()
    try:
        yield
    finally:
        if thread is not None:
            thread.stop()
        engine.dispose()
