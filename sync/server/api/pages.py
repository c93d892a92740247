"""Public HTML pages: GET /p/{token}, the page linked from a pickup notification.

The security headers (CSP, X-Frame-Options, Referrer-Policy: the URL holds a token) come from
the app's SecurityHeaders middleware, as for every HTML response (api/html.py)."""
from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from sync.server.api.contract.responses import errors, html
from sync.server.api.deps import ClientDep, NowDep, SessionDep, StateDep
from sync.server.api.html import TemplatesDep
from sync.server.api.text_guard import URL_TEXT
from sync.server.kiosks.ratelimit import refuse_if_limited
from sync.server.parcels import page

router = APIRouter(tags=["pages"], dependencies=[URL_TEXT])


@router.get("/p/{token}", response_class=HTMLResponse, responses={
    **html(200, "The pickup code as a QR code and as text, in the recipient's language."),
    **html(404, "No parcel has this link."), **html(410, "The parcel is done: no code any more."),
    **errors({429: "`rate_limited`: too many unknown links from this client; wait `Retry-After` seconds."})})
def pickup_page(token: str, session: SessionDep, templates: TemplatesDep, state: StateDep, now: NowDep,
                client: ClientDep) -> HTMLResponse:
    """A client that asked for too many unknown tokens lately is refused (429) for a while."""
    key = f"page:{client}"
    refuse_if_limited(state.guess_limiter, key, now, "pickup page links")
    view = page.pickup_view(session, token)
    if view.status == 404:
        state.guess_limiter.failed(key, now)
    # The page holds a pickup code: no cache may keep it.
    return HTMLResponse(templates.render(page.TEMPLATE, view=view), status_code=view.status,
                        headers={"Cache-Control": "no-store"})
