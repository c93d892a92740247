"""Public HTML pages: GET /p/{token}, the page linked from a pickup notification.

The security headers (CSP, X-Frame-Options, Referrer-Policy: the URL holds a token) come from
the app's SecurityHeaders middleware, as for every HTML response (api/html.py)."""
from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from sync.server.api.contract.responses import errors, html
from sync.server.api.deps import SessionDep
from sync.server.api.html import TemplatesDep
from sync.server.api.text_guard import URL_TEXT
from sync.server.parcels import page

router = APIRouter(tags=["pages"], dependencies=[URL_TEXT])


@router.get("/p/{token}", response_class=HTMLResponse, responses={
    **html(200, "The pickup code as a QR code and as text, in the recipient's language."),
    **html(404, "No parcel has this link."), **html(410, "The parcel is done: no code any more."),
    **errors()})
def pickup_page(token: str, session: SessionDep, templates: TemplatesDep) -> HTMLResponse:
    view = page.pickup_view(session, token)
    # The page holds a pickup code: no cache may keep it.
    return HTMLResponse(templates.render(page.TEMPLATE, view=view), status_code=view.status,
                        headers={"Cache-Control": "no-store"})
