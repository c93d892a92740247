"""Texts the server sends to recipients and staff, in the six kiosk languages.

The Swedish source strings are here; their translations are gettext catalogs of the domain
servicepunkt-server in sync/server/notify/locale/<lang>/LC_MESSAGES/, read with the standard
library (one format with the kiosk's catalogs, for the review by a fluent speaker).
`python -m sync.server.notify.extract` brings them up to date (`--check` for CI).
Swedish and English are written by the team; the Finnish, Meänkieli (fit), Northern Sami (se)
and Lule Sami (smj) texts are MACHINE-DRAFTED and wait for review by a native speaker: their
catalogs say X-Checked-By-Fluent-Speaker: no. Placeholders: {place} service point name,
{code} pickup code, {deadline} last pickup day, {link} the page with the QR code.
Staff alarms are in Swedish: the shops' working language. On-duty alerts ("someone is
waiting in your video room") are in the language set with the on-duty contact: {service} the
video service's name, {place} the service point, {link} the room.
"""
from __future__ import annotations

import gettext
from dataclasses import dataclass, fields
from datetime import date
from functools import cache
from pathlib import Path

DOMAIN = "servicepunkt-server"
LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("sv", "en", "fi", "fit", "se", "smj")
SOURCE_LANGUAGE = "sv"
CHECKED_HEADER = "X-Checked-By-Fluent-Speaker"


def N_(message: str) -> str:
    """Marks a string for the catalogs without translating it here (gettext convention)."""
    return message


@dataclass(frozen=True)
class Texts:
    ready_sms: str
    reminder_sms: str
    ready_subject: str
    reminder_subject: str
    page_title: str
    page_hint: str
    page_deadline: str
    page_gone: str


SWEDISH = Texts(
    ready_sms=N_("Ditt paket kan hämtas hos {place}. Kod: {code}. Hämta senast {deadline}. QR-kod: {link}"),
    reminder_sms=N_("Påminnelse: ditt paket väntar hos {place}. Kod: {code}. Hämta senast {deadline}. QR-kod: {link}"),
    ready_subject=N_("Ditt paket kan hämtas hos {place}"),
    reminder_subject=N_("Påminnelse: ditt paket väntar hos {place}"),
    page_title=N_("Ditt paket hos {place}"),
    page_hint=N_("Håll QR-koden mot kioskens läsare, eller skriv in koden."),
    page_deadline=N_("Hämta senast {deadline}."),
    page_gone=N_("Det här paketet finns inte längre att hämta."),
)

# Staff alarms are Swedish only, so they are not in the catalogs; ngettext still picks the form
# for the count ("i 1 minut", "i 5 minuter").
STAFF_DOOR_LEFT_OPEN = (
    "Larm från {place}: fack {compartment} har stått öppet i {minutes} minut. Stäng dörren och kontrollera facket.",
    "Larm från {place}: fack {compartment} har stått öppet i {minutes} minuter. Stäng dörren och kontrollera facket.")
STAFF_DOOR_LEFT_OPEN_SUBJECT = "Larm: fack {compartment} står öppet ({place})"

DUTY_ALERT_SWEDISH = (  # subject, text
    N_("Någon väntar i videorummet – {service}"),
    N_("Någon väntar på dig i videorummet för {service} hos {place}. Anslut här: {link}"),
)


@cache
def catalog(language: str) -> gettext.NullTranslations:
    """The language's compiled catalog; the Swedish source strings for sv or anything unknown."""
    if language not in LANGUAGES or language == SOURCE_LANGUAGE:
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[language], fallback=True)


def _translated_texts(language: str) -> Texts:
    translate = catalog(language).gettext
    return Texts(**{field.name: translate(getattr(SWEDISH, field.name)) for field in fields(Texts)})


def _machine_drafted(language: str) -> bool:
    checked = catalog(language).info().get(CHECKED_HEADER.lower(), "no")
    return language != SOURCE_LANGUAGE and checked.strip().lower() != "yes"


TEXTS: dict[str, Texts] = {language: _translated_texts(language) for language in LANGUAGES}
MACHINE_DRAFTED = frozenset(language for language in LANGUAGES if _machine_drafted(language))
DUTY_ALERT: dict[str, tuple[str, str]] = {
    language: (catalog(language).gettext(DUTY_ALERT_SWEDISH[0]), catalog(language).gettext(DUTY_ALERT_SWEDISH[1]))
    for language in LANGUAGES}


def texts(language: str) -> Texts:
    """The texts of `language`, Swedish for anything unknown."""
    return TEXTS.get(language, TEXTS["sv"])


def format_deadline(day: date, language: str) -> str:
    """Finnish and Meänkieli readers write day.month.year; the others read ISO dates."""
    if language in ("fi", "fit"):
        return f"{day.day}.{day.month}.{day.year}"
    return day.isoformat()


@dataclass(frozen=True)
class ParcelMessage:
    subject: str
    text: str


def parcel_message(kind: str, language: str, *, place: str, code: str, deadline: date,
                   link: str) -> ParcelMessage:
    """The pickup_ready or reminder message (SMS text; the e-mail uses it as its body)."""
    t = texts(language)
    values = {"place": place, "code": code, "deadline": format_deadline(deadline, language),
              "link": link}
    if kind == "reminder":
        return ParcelMessage(t.reminder_subject.format(**values), t.reminder_sms.format(**values))
    return ParcelMessage(t.ready_subject.format(**values), t.ready_sms.format(**values))


def staff_door_alarm(*, place: str, compartment: str, open_for_s: int) -> ParcelMessage:
    minutes = max(1, round(open_for_s / 60))
    values = {"place": place, "compartment": compartment, "minutes": minutes}
    text = catalog(SOURCE_LANGUAGE).ngettext(*STAFF_DOOR_LEFT_OPEN, minutes)
    return ParcelMessage(STAFF_DOOR_LEFT_OPEN_SUBJECT.format(**values), text.format(**values))


def duty_alert(language: str, *, service: str, place: str, link: str) -> ParcelMessage:
    """"Someone is waiting in your room", in `language` (Swedish for anything unknown)."""
    subject, text = DUTY_ALERT.get(language, DUTY_ALERT["sv"])
    values = {"service": service, "place": place, "link": link}
    return ParcelMessage(subject.format(**values), text.format(**values))
