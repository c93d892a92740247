"""The page linked from a pickup notification (served at GET /p/{token} by api/pages.py). It
shows the pickup code as a QR code (content QR_PICKUP_PREFIX + code, which the kiosk's scanner
reads) and as text, in the recipient's language. Once the parcel is done the page says so and
shows no code."""
from __future__ import annotations

from html import escape

import qrcode
import qrcode.image.svg
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from sync import protocol as p
from sync.server.db.kiosks import ServicePoint
from sync.server.db.parcels import Parcel
from sync.server.notify import messages
from sync.server.notify.queue import ACTIVE_STATES

_PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{title}</title>
<style>body{{font-family:sans-serif;font-size:1.3rem;max-width:30rem;margin:1rem auto;padding:0 1rem}}
.qr svg{{width:100%;height:auto;max-width:22rem}} .code{{font-size:2.4rem;letter-spacing:.3rem;font-weight:bold}}</style>
</head><body><h1>{title}</h1>{content}</body></html>"""


def qr_svg(text: str) -> str:
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, border=4)
    return image.to_string(encoding="unicode")


def pickup_page(session: Session, token: str) -> HTMLResponse:
    """The page for link token `token`: 200 with the code, 410 once the parcel is done, 404."""
    parcel = session.scalar(select(Parcel).where(Parcel.link_token == token)) if token else None
    point = session.get(ServicePoint, parcel.service_point_id) if parcel else None
    if parcel is None or point is None:
        return _html("sv", messages.texts("sv").page_gone, "", 404)
    t = messages.texts(parcel.language)
    title = t.page_title.format(place=point.name)
    if parcel.state not in ACTIVE_STATES or not parcel.pickup_code or parcel.deadline is None:
        return _html(parcel.language, title, f"<p>{escape(t.page_gone)}</p>", 410)
    deadline = t.page_deadline.format(deadline=messages.format_deadline(parcel.deadline, parcel.language))
    content = (f'<div class="qr">{qr_svg(p.QR_PICKUP_PREFIX + parcel.pickup_code)}</div>'
               f'<p class="code">{escape(parcel.pickup_code)}</p>'
               f"<p>{escape(t.page_hint)}</p><p>{escape(deadline)}</p>")
    return _html(parcel.language, title, content, 200)


def _html(lang: str, title: str, content: str, status: int) -> HTMLResponse:
    body = _PAGE.format(lang=escape(lang), title=escape(title), content=content)
    # The page holds a pickup code: no caches, no referrer to other sites.
    return HTMLResponse(body, status_code=status, headers={
        "Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})
