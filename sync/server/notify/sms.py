"""SMS through 46elks' HTTP API (https://46elks.se/docs/send-sms), and e-mail through SMTP.

46elks: `POST {base}/a1/sms`, form-encoded `from`, `to` (E.164), `message` and optionally
`whendelivered` (the URL 46elks posts the delivery report to), HTTP basic auth with the API
username and password; the reply is JSON with the message `id`. A 4xx other than 429 means
the message itself is refused (bad number...): retrying cannot help. Anything else is retried.
"""
from __future__ import annotations

import smtplib
from email.message import EmailMessage

import requests

from sync.server.logs import mask_personal_data
from sync.server.notify.settings import NotifySettings

TIMEOUT = (5, 20)


class SendError(Exception):
    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


def send_sms(http: requests.Session, settings: NotifySettings, to: str, message: str) -> str:
    """Send one SMS; returns 46elks' message id. Raises SendError."""
    if not settings.sms_enabled:
        raise SendError("no SMS gateway configured (KIOSK_CENTRAL_SMS_USER/PASSWORD)", permanent=False)
    form = {"from": settings.sms_from, "to": to, "message": message,
            "whendelivered": settings.delivery_report_url}
    try:
        reply = http.post(f"{settings.sms_url.rstrip('/')}/a1/sms", data=form, timeout=TIMEOUT,
                          auth=(settings.sms_user or "", settings.sms_password or ""))
    except requests.RequestException as exc:
        raise SendError(f"SMS gateway unreachable: {exc}", permanent=False) from exc
    if reply.status_code != 200:
        permanent = 400 <= reply.status_code < 500 and reply.status_code != 429
        # 46elks' reply may quote the number ("Invalid to number +46..."): masked, it is logged.
        raise SendError(f"SMS gateway answered {reply.status_code}: "
                        f"{mask_personal_data(reply.text[:200])}", permanent=permanent)
    try:
        message_id = reply.json()["id"]
    except (ValueError, KeyError, TypeError) as exc:
        raise SendError(f"SMS gateway reply has no id: {mask_personal_data(reply.text[:200])}",
                        permanent=False) from exc
    return str(message_id)


def send_email(settings: NotifySettings, to: str, subject: str, body: str) -> None:
    """Send one plain-text UTF-8 e-mail through the SMTP relay. Raises SendError."""
    if not settings.email_enabled:
        raise SendError("no SMTP relay configured (KIOSK_CENTRAL_SMTP_HOST)", permanent=False)
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = settings.mail_from, to, subject
    mail.set_content(body)
    try:
        with smtplib.SMTP(settings.smtp_host or "", settings.smtp_port, timeout=20) as smtp:
            smtp.send_message(mail)
    except smtplib.SMTPRecipientsRefused as exc:  # the error's text and replies name the address
        codes = sorted({code for code, _reply in exc.recipients.values()})
        raise SendError(f"SMTP relay refused the recipient (codes {codes})", permanent=True) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise SendError(f"SMTP relay: {mask_personal_data(str(exc))}", permanent=False) from exc
