"""Typed dependencies of the HTTP handlers: the server's state, database sessions, the clock
and the credentials of each audience (kiosks, coordinators' tools, carriers).

Authentication happens here and only here: a handler that declares `DeviceAuth`, `AdminAuth`
or `CarrierAuth` runs only for a caller who passed, and before its body is read. Each check
runs in a short transaction of its own, so a refusal changes nothing.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Annotated, cast

from fastapi import Depends, Request, Security
from fastapi.security import (
    APIKeyHeader,
    HTTPAuthorizationCredentials,
    HTTPBasic,
    HTTPBasicCredentials,
    HTTPBearer,
)
from sqlalchemy.orm import Session, sessionmaker

from sync.server import admin_tokens
from sync.server.clock import Clock, aware_now
from sync.server.db.admin import AdminToken
from sync.server.db.kiosks import Device
from sync.server.db.parcels import Carrier
from sync.server.kiosks import auth
from sync.server.kiosks.ratelimit import FailureLimiter, guarded, guess_limiter
from sync.server.notify import delivery_reports
from sync.server.parcels import carriers


@dataclass(frozen=True)
class ServerState:
    """What the handlers share, built once by create_app and kept in `app.state.server`."""

    sessions: sessionmaker[Session]
    clock: Clock
    token_ttl: timedelta
    enroll_limiter: FailureLimiter = field(default_factory=FailureLimiter)
    guess_limiter: FailureLimiter = field(default_factory=guess_limiter)  # every other secret
    sms_report_secret: str | None = None  # None: SMS delivery reports are refused

    def now(self) -> datetime:
        return aware_now(self.clock)


def get_state(request: Request) -> ServerState:
    return cast(ServerState, request.app.state.server)


StateDep = Annotated[ServerState, Depends(get_state)]


def get_sessions(state: StateDep) -> sessionmaker[Session]:
    """For handlers that need several transactions (a retried ingest, an alert committed apart)."""
    return state.sessions


SessionFactoryDep = Annotated[sessionmaker[Session], Depends(get_sessions)]


def get_session(state: StateDep) -> Iterator[Session]:
    """A session for one request. The handler opens its transaction (`with session.begin()`),
    so the commit happens before the handler returns, i.e. before the reply is sent; whatever
    is left uncommitted is rolled back when the session closes after the request."""
    with state.sessions() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def get_now(state: StateDep) -> datetime:
    """One `now` per request, from the injectable clock."""
    return state.now()


NowDep = Annotated[datetime, Depends(get_now)]


def client_address(request: Request) -> str:
    """The caller's address (the proxy's X-Forwarded-For, which uvicorn trusts from loopback)."""
    return request.client.host if request.client else "?"


ClientDep = Annotated[str, Depends(client_address)]

device_bearer = HTTPBearer(
    scheme_name="deviceToken", auto_error=False,
    description="A kiosk's token from POST /v1/auth/token, valid only for that kiosk's URLs.")
admin_bearer = HTTPBearer(
    scheme_name="adminToken", auto_error=False,
    description="A named admin token from `kiosk-central admin-token create NAME`.")
carrier_api_key = APIKeyHeader(
    name="X-Api-Key", scheme_name="carrierApiKey", auto_error=False,
    description="A carrier's API key from `kiosk-central carrier add` (also accepted as Bearer).")
carrier_bearer = HTTPBearer(
    scheme_name="carrierBearer", auto_error=False,
    description="A carrier's API key sent as `Authorization: Bearer KEY`.")
Credentials = HTTPAuthorizationCredentials | None


def _token(credentials: Credentials) -> str | None:
    return credentials.credentials.strip() if credentials is not None else None


def authenticated_device(device_id: str, state: StateDep, now: NowDep,
                         credentials: Annotated[Credentials, Security(device_bearer)]) -> Device:
    """The kiosk behind the bearer token, which must be the kiosk named in the URL."""
    with state.sessions.begin() as session:
        return auth.authenticate(session, _token(credentials), device_id, now)


DeviceAuth = Annotated[Device, Depends(authenticated_device)]


def authenticated_admin(state: StateDep, now: NowDep, client: ClientDep,
                        credentials: Annotated[Credentials, Security(admin_bearer)]) -> AdminToken:
    """A named, unrevoked admin token: the one credential of every /v1/admin route."""
    with guarded(state.guess_limiter, f"admin:{client}", now, "admin token attempts"), \
            state.sessions.begin() as session:
        return admin_tokens.authenticate(session, _token(credentials))


AdminAuth = Annotated[AdminToken, Depends(authenticated_admin)]


def authenticated_carrier(state: StateDep, now: NowDep, client: ClientDep,
                          api_key: Annotated[str | None, Security(carrier_api_key)],
                          bearer: Annotated[Credentials, Security(carrier_bearer)]) -> Carrier:
    """The carrier whose API key came in X-Api-Key (preferred) or as a Bearer token."""
    key = api_key.strip() if api_key else _token(bearer)
    with guarded(state.guess_limiter, f"carrier:{client}", now, "API key attempts"), \
            state.sessions.begin() as session:
        return carriers.authenticate_carrier(session, key)


CarrierAuth = Annotated[Carrier, Depends(authenticated_carrier)]

sms_report_basic = HTTPBasic(
    scheme_name="smsReportBasic", auto_error=False,
    description="46elks' delivery reports: the credentials written into the whendelivered URL.")


def sms_gateway(state: StateDep, now: NowDep, client: ClientDep,
                credentials: Annotated[HTTPBasicCredentials | None, Security(sms_report_basic)]) -> None:
    """46elks, posting a delivery report with the secret of its whendelivered URL."""
    user, password = (credentials.username, credentials.password) if credentials else ("", "")
    with guarded(state.guess_limiter, f"sms-report:{client}", now, "delivery report credentials"):
        delivery_reports.check_report_credentials(user, password, state.sms_report_secret)


SmsGatewayAuth = Depends(sms_gateway)
