"""The page linked from a pickup notification (served at GET /p/{token} by api/pages.py). It
shows the pickup code as a QR code (content QR_PICKUP_PREFIX + code, which the kiosk's scanner
reads) and as text, in the recipient's language. Once the parcel is done the page says so and
shows no code. This module decides what the page shows (`PickupView`); its layout is the
template pickup.html (sync/server/api/templates/), which escapes every value."""
from __future__ import annotations

from dataclasses import dataclass

import qrcode
import qrcode.image.svg
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from sync import protocol as p
from sync.server.db.kiosks import ServicePoint
from sync.server.db.parcels import Parcel
from sync.server.notify import messages
from sync.server.notify.queue import ACTIVE_STATES

TEMPLATE = "pickup.html"


@dataclass(frozen=True)
class PickupView:
    """What the page shows: with a `code`, the QR, the code, a hint and the deadline; without
    one, `gone` (if any) under the title. `status` is the HTTP status to answer with."""

    status: int
    language: str
    title: str
    gone: str | None = None
    code: str | None = None
    qr_svg: Markup | None = None
    hint: str = ""
    deadline: str = ""


def qr_svg(text: str) -> str:
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, border=4)
    svg: str = image.to_string(encoding="unicode")  # qrcode has no type information
    return svg


def pickup_view(session: Session, token: str) -> PickupView:
    """The page for link token `token`: 200 with the code, 410 once the parcel is done, 404."""
    parcel = session.scalar(select(Parcel).where(Parcel.link_token == token)) if token else None
    point = session.get(ServicePoint, parcel.service_point_id) if parcel else None
    if parcel is None or point is None:
        return PickupView(404, "sv", messages.texts("sv").page_gone)
    t = messages.texts(parcel.language)
    title = t.page_title.format(place=point.name)
    if parcel.state not in ACTIVE_STATES or not parcel.pickup_code or parcel.deadline is None:
        return PickupView(410, parcel.language, title, gone=t.page_gone)
    deadline = t.page_deadline.format(deadline=messages.format_deadline(parcel.deadline, parcel.language))
    # Markup: the SVG is qrcode's own output for our prefix and a code of digits, not text
    # from anyone; everything else on the page is escaped by the template.
    svg = Markup(qr_svg(p.QR_PICKUP_PREFIX + parcel.pickup_code))
    return PickupView(200, parcel.language, title, code=parcel.pickup_code, qr_svg=svg,
                      hint=t.page_hint, deadline=deadline)
