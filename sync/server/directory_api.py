"""Admin API of the directory under /v1/admin/directory, for the region's coordinators' tools.

    GET    /video-services | /e-services              list
    PUT    /video-services/{id} | /e-services/{id}    create or replace (JSON body)
    DELETE /video-services/{id} | /e-services/{id}    withdraw
    GET    /video-services/{id}/exceptions            a service's holidays and special hours
    PUT    /video-services/{id}/exceptions            replace them (JSON list)
    POST   /exceptions                                add one to several services (JSON body
                                                      with "services": [] = every one)
    DELETE /exceptions?first=&last=[&service=...]     remove those within first..last
    GET    /usage.csv | /usage.html                   what the pilots learn (sync/server/usage.py)
    GET    /appointments                              upcoming
    POST   /appointments                              book; the reply has the code, once
    DELETE /appointments/{id}                         cancel

Every request needs an admin token (401 without). Bad input is 400/422 with a message naming
the field, and changes nothing: the whole request is one transaction.
"""
from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Query, Response
from starlette.concurrency import run_in_threadpool

from sync import protocol as p
from sync.server import admin_tokens, directory, directory_exceptions, usage
from sync.server.directory_models import DirectoryEntry
from sync.server.usage_report import render_html
from sync.server.errors import AdminError, ApiError
from sync.server.routes import ServerContext

AuthHeader = Annotated[str | None, Header()]
PATH_KINDS = {"video-services": p.ENTITY_VIDEO_SERVICE, "e-services": p.ENTITY_E_SERVICE}


def directory_router(ctx: ServerContext) -> APIRouter:
    router = APIRouter(prefix=p.API_PREFIX + "/admin/directory")

    def run(authorization: str | None, operation) -> Any:
        try:
            with ctx.sessions.begin() as session:
                admin_tokens.authenticate(session, authorization)
                return operation(session, ctx.now())
        except AdminError as exc:
            raise ApiError(400, "invalid_request", str(exc)) from exc

    @router.get("/usage.csv")
    async def usage_csv(authorization: AuthHeader = None) -> Response:
        text = await run_in_threadpool(run, authorization, lambda s, _now: usage.to_csv(usage.aggregate(s)))
        return Response(text, media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="servicepunkt-usage.csv"'})

    @router.get("/usage.html")
    async def usage_page(authorization: AuthHeader = None) -> Response:
        page = await run_in_threadpool(
            run, authorization, lambda s, now: render_html(usage.aggregate(s), now, usage.service_names(s)))
        return Response(page, media_type="text/html; charset=utf-8")

    @router.get("/appointments")
    async def appointments(authorization: AuthHeader = None) -> list[dict[str, Any]]:
        return await run_in_threadpool(run, authorization, lambda s, now: [
            directory.appointment_view(a) for a in directory.list_appointments(s, now)])

    @router.post("/appointments", status_code=201)
    async def book(booking: directory.AppointmentIn, authorization: AuthHeader = None) -> dict[str, Any]:
        def operation(session, now):
            appointment, code = directory.book(session, booking, now)
            return {**directory.appointment_view(appointment), "code": code}
        return await run_in_threadpool(run, authorization, operation)

    @router.delete("/appointments/{appointment_id}")
    async def cancel(appointment_id: str, authorization: AuthHeader = None) -> dict[str, Any]:
        return await run_in_threadpool(run, authorization, lambda s, now: directory.appointment_view(
            directory.cancel(s, appointment_id, now)))

    @router.get("/video-services/{service_id}/exceptions")
    async def exceptions(service_id: str, authorization: AuthHeader = None) -> list[dict[str, Any]]:
        def operation(session, _now):
            row = session.get(DirectoryEntry, (p.ENTITY_VIDEO_SERVICE, service_id))
            if row is None or row.deleted:
                raise AdminError(f"no video service {service_id!r}")
            return json.loads(row.data).get("exceptions", [])
        return await run_in_threadpool(run, authorization, operation)

    @router.put("/video-services/{service_id}/exceptions")
    async def replace_exceptions(service_id: str, body: Annotated[list[dict[str, Any]], Body()],
                                 authorization: AuthHeader = None) -> dict[str, Any]:
        return await run_in_threadpool(run, authorization, lambda s, now: directory.entry_view(
            directory_exceptions.replace_exceptions(s, service_id, body, now)))

    @router.post("/exceptions", status_code=201)
    async def add_exception(body: Annotated[dict[str, Any], Body()],
                            authorization: AuthHeader = None) -> list[dict[str, Any]]:
        def operation(session, now):
            fields = dict(body)
            services = fields.pop("services", [])
            if not isinstance(services, list):
                raise AdminError("services must be a list of video service ids ([] = every one)")
            exception = directory_exceptions.parse_exception(fields)
            rows = directory_exceptions.add_exception(session, exception, services, now)
            return [{"id": row.entry_id, "version": row.version} for row in rows]
        return await run_in_threadpool(run, authorization, operation)

    @router.delete("/exceptions")
    async def remove_exceptions(first: date, last: date,
                                service: Annotated[list[str] | None, Query()] = None,
                                authorization: AuthHeader = None) -> dict[str, int]:
        return await run_in_threadpool(run, authorization, lambda s, now: {
            "removed": directory_exceptions.remove_exceptions(s, first, last, service or [], now)})

    @router.get("/{kind}")
    async def entries(kind: str, authorization: AuthHeader = None) -> list[dict[str, Any]]:
        entity = _entity(kind)
        return await run_in_threadpool(run, authorization, lambda s, _now: [
            directory.entry_view(row) for row in directory.list_entries(s, entity)])

    @router.put("/{kind}/{entry_id}")
    async def put(kind: str, entry_id: str, body: Annotated[dict[str, Any], Body()],
                  authorization: AuthHeader = None) -> dict[str, Any]:
        entity = _entity(kind)
        if body.get("id", entry_id) != entry_id:
            raise ApiError(400, "invalid_request", f"the body's id {body['id']!r} is not {entry_id!r}")
        return await run_in_threadpool(run, authorization, lambda s, now: directory.entry_view(
            directory.put_entry(s, entity, {**body, "id": entry_id}, now)))

    @router.delete("/{kind}/{entry_id}")
    async def remove(kind: str, entry_id: str, authorization: AuthHeader = None) -> dict[str, Any]:
        entity = _entity(kind)
        return await run_in_threadpool(run, authorization, lambda s, now: {
            "id": entry_id, "version": directory.remove_entry(s, entity, entry_id, now).version})

    return router


def _entity(path_kind: str) -> str:
    entity = PATH_KINDS.get(path_kind)
    if entity is None:
        raise ApiError(404, "not_found", f"use one of {', '.join(PATH_KINDS)} or appointments")
    return entity
