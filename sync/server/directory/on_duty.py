"""A video service's on-duty contact: who is told that someone waits in the room.

Exactly one of a phone number (SMS through 46elks), an e-mail address (SMTP) or a webhook URL
(JSON POST), plus the language of the message. Server-side only: never sent to kiosks. A
coordinator may write the contact as one string ("+46701234567", "jour@fk.example.se",
"https://hooks.example.se/fk"): its form says which it is.
"""
from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from sync import protocol as p

CHANNELS = ("phone", "email", "webhook")
PHONE_EXAMPLE, EMAIL_EXAMPLE, WEBHOOK_EXAMPLE = \
    "+46701234567", "jour@fk.example.se", "https://hooks.example.se/fk"


class OnDuty(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    phone: str | None = None
    email: str | None = None
    webhook: str | None = None
    language: p.LanguageCode = "sv"

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        return classify(value) if isinstance(value, str) else value

    @field_validator("phone")
    @classmethod
    def _phone(cls, phone: str | None) -> str | None:
        if phone is not None and not re.match(p.E164_PATTERN, phone):
            raise ValueError(f"{phone!r} is not a phone number in international form "
                             f"(+, country code, number, no spaces), e.g. {PHONE_EXAMPLE}")
        return phone

    @field_validator("email")
    @classmethod
    def _email(cls, email: str | None) -> str | None:
        if email is not None and (len(email) > 254 or not re.match(p.EMAIL_PATTERN, email)):
            raise ValueError(f"{email!r} is not an e-mail address, e.g. {EMAIL_EXAMPLE}")
        return email

    @field_validator("webhook")
    @classmethod
    def _webhook(cls, url: str | None) -> str | None:
        if url is not None and (len(url) > 500 or not _is_https_url(url)):
            raise ValueError(f"{url!r} is not an https URL, e.g. {WEBHOOK_EXAMPLE}")
        return url

    @model_validator(mode="after")
    def _exactly_one(self) -> OnDuty:
        given = [channel for channel in CHANNELS if getattr(self, channel)]
        if len(given) != 1:
            raise ValueError("give exactly one contact: phone (SMS), email or webhook; "
                             f"got {' and '.join(given) or 'none'}")
        return self

    @property
    def channel(self) -> str:
        return next(channel for channel in CHANNELS if getattr(self, channel))

    @property
    def target(self) -> str:
        return str(getattr(self, self.channel))


def classify(text: str) -> dict[str, str]:
    """{"phone": ...}, {"email": ...} or {"webhook": ...} by the text's form; the field's
    own check then says what is wrong with it."""
    text = text.strip()
    if text.startswith("+") or text[:1].isdigit():
        return {"phone": text}
    if "://" in text:
        return {"webhook": text}
    if "@" in text:
        return {"email": text}
    raise ValueError(f"{text!r} is neither a phone number ({PHONE_EXAMPLE}), an e-mail address "
                     f"({EMAIL_EXAMPLE}) nor an https URL ({WEBHOOK_EXAMPLE})")


def _is_https_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme == "https" and bool(parts.hostname) and not re.search(r"\s", url)
