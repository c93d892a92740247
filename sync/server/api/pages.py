"""Public HTML pages: GET /p/{token}, the page linked from a pickup notification."""
from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from sync.server.api.contract.responses import errors, html
from sync.server.api.deps import ClientDep, NowDep, SessionDep, StateDep
from sync.server.api.text_guard import URL_TEXT
from sync.server.kiosks.ratelimit import refuse_if_limited
from sync.server.parcels import page

router = APIRouter(tags=["pages"], dependencies=[URL_TEXT])


@router.get("/p/{token}", response_class=HTMLResponse, responses={
    **html(200, "The pickup code as a QR code and as text, in the recipient's language."),
    **html(404, "No parcel has this link."), **html(410, "The parcel is done: no code any more."),
    **errors({429: "`rate_limited`: too many unknown links from this client; wait `Retry-After` seconds."})})
def pickup_page(token: str, session: SessionDep, state: StateDep, now: NowDep,
                client: ClientDep) -> HTMLResponse:
    """A client that asked for too many unknown tokens lately is refused (429) for a while."""
    key = f"page:{client}"
    refuse_if_limited(state.guess_limiter, key, now, "pickup page links")
    response = page.pickup_page(session, token)
    if response.status_code == 404:
        state.guess_limiter.failed(key, now)
    return response
