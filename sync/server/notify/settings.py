"""Settings of the notifier, from the environment of `kiosk-central` (no secrets in files).

    KIOSK_CENTRAL_PUBLIC_URL     base of links in messages, e.g. https://central.example.se
    KIOSK_CENTRAL_SMS_URL        46elks API base (default https://api.46elks.com)
    KIOSK_CENTRAL_SMS_USER       46elks API username
    KIOSK_CENTRAL_SMS_PASSWORD   46elks API password
    KIOSK_CENTRAL_SMS_REPORT_SECRET  password of the delivery-report URL given to 46elks
                                 (sms_reports.py); default: derived from SMS_PASSWORD
    KIOSK_CENTRAL_SMS_FROM       sender: up to 11 letters/digits, or an E.164 number
    KIOSK_CENTRAL_SMTP_HOST      SMTP relay host (no host: no e-mail is sent)
    KIOSK_CENTRAL_SMTP_PORT      default 25
    KIOSK_CENTRAL_MAIL_FROM      sender address of e-mails
    KIOSK_CENTRAL_NOTIFY_INTERVAL  seconds between notifier rounds (default 5)
    KIOSK_CENTRAL_APPOINTMENT_RETENTION_DAYS  appointments and on-duty alerts are deleted this
                                 many days after they ended (default 30; retention.py)
    KIOSK_CENTRAL_USAGE_RETENTION_DAYS  raw anonymous usage events older than this are rolled
                                 up into weekly totals and deleted (default 400)
    KIOSK_CENTRAL_QUIET_HOURS    residents' SMS/e-mail wait out this local period, e.g.
                                 21:00-08:00 (the default); "off" sends at any hour (quiet_hours.py)

A channel that is not configured leaves its messages queued (visible as such), never lost.
"""
from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote

from sync import protocol as p
from sync.server.notify.quiet_hours import DEFAULT_QUIET_HOURS, QuietHours

DEFAULT_SMS_URL = "https://api.46elks.com"
_ALPHA_SENDER = re.compile(r"^[A-Za-z][A-Za-z0-9]{1,10}$")
ENV = "KIOSK_CENTRAL_"
REPORT_USER = "46elks"  # the user name of the delivery-report URL's basic auth


class SettingsError(ValueError):
    """A setting that cannot work; the message names the variable."""


@dataclass(frozen=True)
class NotifySettings:
    public_url: str = "http://127.0.0.1:8400"
    sms_url: str = DEFAULT_SMS_URL
    sms_user: str | None = None
    sms_password: str | None = None
    sms_report_secret: str | None = None  # None: derived from sms_password (report_secret)
    sms_from: str = "Servicepkt"
    smtp_host: str | None = None
    smtp_port: int = 25
    mail_from: str = "servicepunkt@localhost"
    interval_s: float = 5.0
    appointment_retention_days: int = 30
    usage_retention_days: int = 400
    quiet_hours: QuietHours | None = DEFAULT_QUIET_HOURS  # None: residents' messages go at any hour

    def __post_init__(self) -> None:
        if self.appointment_retention_days < 1:
            raise SettingsError(f"{ENV}APPOINTMENT_RETENTION_DAYS must be at least 1 day")
        if self.usage_retention_days < 14:
            raise SettingsError(f"{ENV}USAGE_RETENTION_DAYS must be at least 14 days: the usage "
                                "report's newest weeks come from the raw events")
        if not (_ALPHA_SENDER.match(self.sms_from) or re.match(p.E164_PATTERN, self.sms_from)):
            raise SettingsError(f"{ENV}SMS_FROM {self.sms_from!r}: 2-11 letters/digits "
                                "starting with a letter, or an E.164 number")
        if not re.match(r"^https?://", self.public_url):
            raise SettingsError(f"{ENV}PUBLIC_URL {self.public_url!r} is not an http(s) URL")

    @property
    def appointment_retention(self) -> timedelta:
        return timedelta(days=self.appointment_retention_days)

    @property
    def usage_retention(self) -> timedelta:
        return timedelta(days=self.usage_retention_days)

    @property
    def sms_enabled(self) -> bool:
        return bool(self.sms_user and self.sms_password)

    @property
    def email_enabled(self) -> bool:
        return bool(self.smtp_host)

    def page_link(self, token: str) -> str:
        return f"{self.public_url.rstrip('/')}/p/{token}"

    @property
    def report_secret(self) -> str | None:
        """The password 46elks sends with delivery reports. Derived from the API password when
        not set, so every server process of a region agrees without one more setting; never
        the API password itself, which 46elks would then hold in a URL."""
        if self.sms_report_secret:
            return self.sms_report_secret
        if not self.sms_password:
            return None
        return hmac.new(self.sms_password.encode(), b"servicepunkt delivery reports",
                        hashlib.sha256).hexdigest()[:32]

    @property
    def delivery_report_url(self) -> str:
        """The `whendelivered` URL, with the report credentials as its userinfo (46elks sends
        them as basic auth; sms_reports.py checks them)."""
        scheme, _, rest = self.public_url.rstrip("/").partition("://")
        secret = self.report_secret
        userinfo = f"{REPORT_USER}:{quote(secret, safe='')}@" if secret else ""
        return f"{scheme}://{userinfo}{rest}{p.API_PREFIX}/sms/delivery"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> NotifySettings:
        def get(name: str) -> str | None:
            value = env.get(ENV + name, "").strip()
            return value or None

        try:
            port = int(get("SMTP_PORT") or 25)
            interval = float(get("NOTIFY_INTERVAL") or 5)
        except ValueError as exc:
            raise SettingsError(f"{ENV}SMTP_PORT and {ENV}NOTIFY_INTERVAL must be numbers") from exc
        appointment_days = _whole_days(get("APPOINTMENT_RETENTION_DAYS"), "APPOINTMENT_RETENTION_DAYS", 30)
        usage_days = _whole_days(get("USAGE_RETENTION_DAYS"), "USAGE_RETENTION_DAYS", 400)
        try:
            quiet = QuietHours.parse(get("QUIET_HOURS") or str(DEFAULT_QUIET_HOURS))
        except ValueError as exc:
            raise SettingsError(f"{ENV}QUIET_HOURS: {exc} (e.g. 21:00-08:00)") from exc
        return cls(
            public_url=get("PUBLIC_URL") or cls.public_url, sms_url=get("SMS_URL") or DEFAULT_SMS_URL,
            sms_user=get("SMS_USER"), sms_password=get("SMS_PASSWORD"),
            sms_report_secret=get("SMS_REPORT_SECRET"),
            sms_from=get("SMS_FROM") or cls.sms_from, smtp_host=get("SMTP_HOST"), smtp_port=port,
            mail_from=get("MAIL_FROM") or cls.mail_from, interval_s=interval,
            appointment_retention_days=appointment_days, usage_retention_days=usage_days,
            quiet_hours=quiet,
        )


def _whole_days(value: str | None, name: str, default: int) -> int:
    if value is None:
        return default
    if not value.isdigit():
        raise SettingsError(f"{ENV}{name} {value!r} must be a whole number of days")
    return int(value)
