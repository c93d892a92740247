"""Public HTML pages: GET /p/{token}, the page linked from a pickup notification."""
from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from sync.server.api.contract.responses import errors, html
from sync.server.api.deps import SessionDep
from sync.server.api.text_guard import URL_TEXT
from sync.server.parcels import page

router = APIRouter(tags=["pages"], dependencies=[URL_TEXT])


@router.get("/p/{token}", response_class=HTMLResponse, responses={
    **html(200, "The pickup code as a QR code and as text, in the recipient's language."),
    **html(404, "No parcel has this link."), **html(410, "The parcel is done: no code any more."),
    **errors()})
def pickup_page(token: str, session: SessionDep) -> HTMLResponse:
    return page.pickup_page(session, token)
