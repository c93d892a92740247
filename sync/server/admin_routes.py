"""Admin API for coordinators' tools: parcels with their delivery state, one parcel in full,
and the overdue list (parcels to return). Bearer token from KIOSK_CENTRAL_ADMIN_TOKEN; when
none is configured the admin API is off (403)."""
from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Header

from sync import protocol as p
from sync.server import parcels_query
from sync.server.errors import AdminError, ApiError
from sync.server.routes import ServerContext


def admin_router(ctx: ServerContext, admin_token: str | None) -> APIRouter:
    router = APIRouter(prefix=p.API_PREFIX + "/admin")

    def check(authorization: str | None) -> None:
        if not admin_token:
            raise ApiError(403, "admin_disabled", "set KIOSK_CENTRAL_ADMIN_TOKEN to use the admin API")
        given = (authorization or "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), admin_token.encode()):
            raise ApiError(401, "invalid_token", "admin token missing or wrong",
                           {"WWW-Authenticate": "Bearer"})

    @router.get("/parcels")
    def parcels(service_point: str | None = None, state: str | None = None,
                authorization: Annotated[str | None, Header()] = None) -> dict[str, Any]:
        check(authorization)
        with ctx.sessions() as session:
            rows = parcels_query.list_parcels(session, service_point, state)
            return {"parcels": [dict(parcels_query.parcel_dict(row), notifications=
                                     parcels_query.delivery_summary(session, row.parcel_id))
                                for row in rows]}

    @router.get("/parcels/overdue")
    def overdue(service_point: str | None = None,
                authorization: Annotated[str | None, Header()] = None) -> dict[str, Any]:
        check(authorization)
        with ctx.sessions() as session:
            rows = parcels_query.overdue_parcels(session, ctx.now(), service_point)
            return {"parcels": [parcels_query.parcel_dict(row) for row in rows]}

    @router.get("/parcels/{tracking_or_parcel_id}")
    def parcel(tracking_or_parcel_id: str,
               authorization: Annotated[str | None, Header()] = None) -> dict[str, Any]:
        check(authorization)
        with ctx.sessions() as session:
            try:
                row = parcels_query.find_parcel(session, tracking_or_parcel_id)
            except AdminError as exc:
                raise ApiError(404, "not_found", str(exc)) from exc
            return parcels_query.parcel_detail(session, row)

    return router
