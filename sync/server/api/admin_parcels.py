"""Admin API for coordinators' tools: parcels with their delivery state, one parcel in full,
and the overdue list (parcels to return). A named admin token (admin_tokens.py) as Bearer."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from sync import protocol as p
from sync.server.api.contract.responses import ADMIN_AUTH, INVALID_REQUEST, errors
from sync.server.api.contract.schemas import OverdueList, ParcelDetail, ParcelList
from sync.server.api.deps import NowDep, SessionDep, authenticated_admin
from sync.server.api.text_guard import URL_TEXT
from sync.server.errors import AdminError, ApiError
from sync.server.parcels import query as parcels_query

router = APIRouter(prefix=p.API_PREFIX + "/admin", tags=["admin: parcels"],
                   dependencies=[URL_TEXT, Depends(authenticated_admin)])


@router.get("/parcels", response_model=ParcelList, responses=errors(INVALID_REQUEST, ADMIN_AUTH))
def parcels(session: SessionDep, service_point: str | None = None,
            state: str | None = None) -> dict[str, Any]:
    rows = parcels_query.list_parcels(session, service_point, state)
    return {"parcels": [dict(parcels_query.parcel_dict(row), notifications=
                             parcels_query.delivery_summary(session, row.parcel_id))
                        for row in rows]}


@router.get("/parcels/overdue", response_model=OverdueList, responses=errors(INVALID_REQUEST, ADMIN_AUTH))
def overdue(session: SessionDep, now: NowDep, service_point: str | None = None) -> dict[str, Any]:
    rows = parcels_query.overdue_parcels(session, now, service_point)
    return {"parcels": [parcels_query.parcel_dict(row) for row in rows]}


@router.get("/parcels/{tracking_or_parcel_id}", response_model=ParcelDetail, responses=errors(
    INVALID_REQUEST, ADMIN_AUTH, {404: "`not_found`: no parcel with this tracking or parcel id."}))
def parcel(tracking_or_parcel_id: str, session: SessionDep) -> dict[str, Any]:
    try:
        row = parcels_query.find_parcel(session, tracking_or_parcel_id)
    except AdminError as exc:
        raise ApiError(404, "not_found", str(exc)) from exc
    return parcels_query.parcel_detail(session, row)
