"""Public HTML pages: GET /p/{token}, the page linked from a pickup notification."""
from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from sync.server.api.deps import SessionDep
from sync.server.parcels import page

router = APIRouter(tags=["pages"])


@router.get("/p/{token}", response_class=HTMLResponse)
def pickup_page(token: str, session: SessionDep) -> HTMLResponse:
    return page.pickup_page(session, token)
