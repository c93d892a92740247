"""Admin API of the directory under /v1/admin/directory, for the region's coordinators' tools.

    GET    /video-services | /e-services              list
    PUT    /video-services/{id} | /e-services/{id}    create or replace (JSON body)
    DELETE /video-services/{id} | /e-services/{id}    withdraw
    GET    /video-services/{id}/exceptions            a service's holidays and special hours
    PUT    /video-services/{id}/exceptions            replace them (JSON list)
    POST   /exceptions                                add one to several services (JSON body
                                                      with "services": [] = every one)
    DELETE /exceptions?first=&last=[&service=...]     remove those within first..last
    GET    /usage.csv | /usage.html                   what the pilots learn (sync/server/usage/aggregate.py)
    GET    /appointments                              upcoming
    POST   /appointments                              book; the reply has the code, once
    DELETE /appointments/{id}                         cancel

Every request needs an admin token (401 without). Bad input is 400/422 with a message naming
the field, and changes nothing: the whole request is one transaction.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Response
from sqlalchemy.orm import Session

from sync import protocol as p
from sync.server.api.contract.responses import (
    ADMIN_AUTH,
    INVALID_REQUEST,
    JSON_BODY,
    errors,
)
from sync.server.api.contract.schemas import (
    Appointment,
    BookedAppointment,
    DirectoryEntryView,
    EntryVersion,
    Removed,
)
from sync.server.api.deps import NowDep, SessionDep, authenticated_admin
from sync.server.api.text_guard import BODY_TEXT, URL_TEXT
from sync.server.db.directory import DirectoryEntry
from sync.server.directory import opening_hours_admin as directory_exceptions
from sync.server.directory import services as directory
from sync.server.errors import AdminError, ApiError
from sync.server.usage import aggregate as usage
from sync.server.usage.report import render_html

BAD_INPUT = {400: "`invalid_request`: a coordinator's mistake (unknown service point or service, bad "
                  "hours...); `detail` says which. Nothing was changed."}
NO_KIND = {404: "`not_found`: the path names neither video-services nor e-services."}
READ = errors(INVALID_REQUEST, ADMIN_AUTH, BAD_INPUT)
WRITE = errors(JSON_BODY, ADMIN_AUTH, BAD_INPUT)
PATH_KINDS = {"video-services": p.ENTITY_VIDEO_SERVICE, "e-services": p.ENTITY_E_SERVICE}
router = APIRouter(prefix=p.API_PREFIX + "/admin/directory", tags=["admin: directory"],
                   dependencies=[URL_TEXT, Depends(authenticated_admin), BODY_TEXT])


@contextmanager
def admin_transaction(session: Session) -> Iterator[Session]:
    """The whole request as one transaction; a coordinator's mistake is 400 and changes nothing."""
    try:
        with session.begin():
            yield session
    except AdminError as exc:
        raise ApiError(400, "invalid_request", str(exc)) from exc


@router.get("/usage.csv", response_class=Response, responses={
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "The aggregates as CSV."},
    **errors(ADMIN_AUTH, BAD_INPUT)})
def usage_csv(session: SessionDep) -> Response:
    with admin_transaction(session):
        text = usage.to_csv(usage.aggregate(session))
    return Response(text, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="servicepunkt-usage.csv"'})


@router.get("/usage.html", response_class=Response, responses={
    200: {"content": {"text/html": {"schema": {"type": "string"}}}, "description": "The report page."},
    **errors(ADMIN_AUTH, BAD_INPUT)})
def usage_page(session: SessionDep, now: NowDep) -> Response:
    with admin_transaction(session):
        page = render_html(usage.aggregate(session), now, usage.service_names(session))
    return Response(page, media_type="text/html; charset=utf-8")


@router.get("/appointments", response_model=list[Appointment], responses=READ)
def appointments(session: SessionDep, now: NowDep) -> list[dict[str, Any]]:
    with admin_transaction(session):
        return [directory.appointment_view(a) for a in directory.list_appointments(session, now)]


@router.post("/appointments", status_code=201, response_model=BookedAppointment, responses=WRITE)
def book(booking: directory.AppointmentIn, session: SessionDep, now: NowDep) -> dict[str, Any]:
    with admin_transaction(session):
        appointment, code = directory.book(session, booking, now)
        return {**directory.appointment_view(appointment), "code": code}


@router.delete("/appointments/{appointment_id}", response_model=Appointment, responses=READ)
def cancel(appointment_id: str, session: SessionDep, now: NowDep) -> dict[str, Any]:
    with admin_transaction(session):
        return directory.appointment_view(directory.cancel(session, appointment_id, now))


@router.get("/video-services/{service_id}/exceptions", responses=READ)
def exceptions(service_id: str, session: SessionDep) -> list[dict[str, Any]]:
    with admin_transaction(session):
        row = session.get(DirectoryEntry, (p.ENTITY_VIDEO_SERVICE, service_id))
        if row is None or row.deleted:
            raise AdminError(f"no video service {service_id!r}")
        result: list[dict[str, Any]] = json.loads(row.data).get("exceptions", [])
        return result


@router.put("/video-services/{service_id}/exceptions", response_model=DirectoryEntryView,
            responses=WRITE)
def replace_exceptions(service_id: str, body: Annotated[list[dict[str, Any]], Body()],
                       session: SessionDep, now: NowDep) -> dict[str, Any]:
    with admin_transaction(session):
        return directory.entry_view(directory_exceptions.replace_exceptions(session, service_id, body, now))


@router.post("/exceptions", status_code=201, response_model=list[EntryVersion], responses=WRITE)
def add_exception(body: Annotated[dict[str, Any], Body()], session: SessionDep,
                  now: NowDep) -> list[dict[str, Any]]:
    with admin_transaction(session):
        fields = dict(body)
        services = fields.pop("services", [])
        if not isinstance(services, list):
            raise AdminError("services must be a list of video service ids ([] = every one)")
        exception = directory_exceptions.parse_exception(fields)
        rows = directory_exceptions.add_exception(session, exception, services, now)
        return [{"id": row.entry_id, "version": row.version} for row in rows]


@router.delete("/exceptions", response_model=Removed, responses=READ)
def remove_exceptions(first: date, last: date, session: SessionDep, now: NowDep,
                      service: Annotated[list[str] | None, Query()] = None) -> dict[str, int]:
    with admin_transaction(session):
        return {"removed": directory_exceptions.remove_exceptions(session, first, last, service or [], now)}


@router.get("/{kind}", response_model=list[DirectoryEntryView],
            responses=errors(INVALID_REQUEST, ADMIN_AUTH, BAD_INPUT, NO_KIND))
def entries(kind: str, session: SessionDep) -> list[dict[str, Any]]:
    entity = _entity(kind)
    with admin_transaction(session):
        return [directory.entry_view(row) for row in directory.list_entries(session, entity)]


@router.put("/{kind}/{entry_id}", response_model=DirectoryEntryView,
            responses=errors(JSON_BODY, ADMIN_AUTH, BAD_INPUT, NO_KIND))
def put(kind: str, entry_id: str, body: Annotated[dict[str, Any], Body()], session: SessionDep,
        now: NowDep) -> dict[str, Any]:
    entity = _entity(kind)
    if body.get("id", entry_id) != entry_id:
        raise ApiError(400, "invalid_request", f"the body's id {body['id']!r} is not {entry_id!r}")
    with admin_transaction(session):
        return directory.entry_view(directory.put_entry(session, entity, {**body, "id": entry_id}, now))


@router.delete("/{kind}/{entry_id}", response_model=EntryVersion,
               responses=errors(INVALID_REQUEST, ADMIN_AUTH, BAD_INPUT, NO_KIND))
def remove(kind: str, entry_id: str, session: SessionDep, now: NowDep) -> dict[str, Any]:
    entity = _entity(kind)
    with admin_transaction(session):
        return {"id": entry_id, "version": directory.remove_entry(session, entity, entry_id, now).version}


def _entity(path_kind: str) -> str:
    entity = PATH_KINDS.get(path_kind)
    if entity is None:
        raise ApiError(404, "not_found", f"use one of {', '.join(PATH_KINDS)} or appointments")
    return entity
