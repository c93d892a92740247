"""46elks' delivery reports: who may send one, and what one may change.

46elks signs nothing; what it offers (https://46elks.se/docs/sms-delivery-reports) is basic
auth written into the `whendelivered` URL ("https://user:password@host/...") or a key in its
query. Basic auth it is: a query string lands in every access log, a header does not. The
password is the report secret (NotifySettings.report_secret), compared in constant time
(api/deps.py's SmsGatewayAuth calls check_report_credentials).

46elks posts status "sent", then "delivered" or "failed", and repeats a report until it gets a
2xx. A report only moves a message forward: sent -> delivered | failed, both final. A late
"failed" cannot undo "delivered", and a replay changes nothing (and still answers 200, so
46elks stops resending).
"""
from __future__ import annotations

import hmac
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from sync.server.db.parcels import Notification
from sync.server.db.rows import affected_rows
from sync.server.errors import ApiError
from sync.server.notify.settings import REPORT_USER

REPORT_STATUSES = ("sent", "delivered", "failed")


def check_report_credentials(user: str, password: str, secret: str | None) -> None:
    """401 unless the basic-auth credentials are REPORT_USER and `secret`. Without a secret
    configured every report is refused: nobody can have been told the URL."""
    expected = f"{REPORT_USER}:{secret or ''}".encode()
    if not secret or not hmac.compare_digest(f"{user}:{password}".encode(), expected):
        raise ApiError(401, "invalid_credentials", "delivery reports need the credentials of "
                       "the whendelivered URL", {"WWW-Authenticate": 'Basic realm="sms"'})


def apply_report(session: Session, message_id: str, status: str, now: datetime) -> bool:
    """Apply one report; True if it changed the message. 404 for a message id never sent."""
    if status not in REPORT_STATUSES:
        raise ApiError(422, "invalid_report", "expected form fields id and status (sent|delivered|failed)")
    changed = status != "sent" and _move_forward(session, message_id, status, now)  # "sent" it is
    if not changed and session.scalar(select(Notification.id).where(
            Notification.provider_id == message_id)) is None:
        raise ApiError(404, "unknown_message", "no SMS with that id")
    return changed


def _move_forward(session: Session, message_id: str, status: str, now: datetime) -> bool:
    """sent -> delivered | failed, in one conditional UPDATE: a final state stays final."""
    values: dict[str, object] = ({"state": "delivered", "delivered_at": now} if status == "delivered"
                                 else {"state": "failed", "last_error": "delivery report: failed"})
    result = session.execute(update(Notification).where(
        Notification.provider_id == message_id, Notification.state == "sent").values(values))
    return bool(affected_rows(result))
