"""What "Read aloud" says on each screen: the title, the content, then what to do.

Code entry is spoken as progress ("digit 3 of 6"), never as the digits themselves: someone
may be standing behind the person (EN 301 549 5.1.3.x).
"""
from __future__ import annotations

from typing import Callable

from kiosk.i18n import available_languages
from kiosk.services.speech import spoken_code_progress
from kiosk.ui.presenters import spoken_visits, texts
from kiosk.ui.presenters.base import Message

Translate = Callable[..., str]


def spoken_text(session, tr: Translate, place: str) -> str:
    speak = SPEAKERS.get(session.screen, _title_only)
    parts = [part for part in speak(session, tr, place) if part]
    if session.notice:
        parts.append(_message(session.notice, tr))
    return " ".join(parts)


def _message(message: Message | None, tr: Translate) -> str:
    return tr(message.text, **dict(message.params)) if message else ""


def _title_only(session, tr, _place):
    return [tr(texts.TITLES.get(session.screen, ""))] if session.screen in texts.TITLES else []


def _attract(_session, tr, place):
    return [tr(texts.WELCOME, place=place), tr(texts.WELCOME_SERVICES), tr(texts.WELCOME_START)]


def _home(session, tr, _place):
    tiles = [f"{tr(tile.title)}: {tr(tile.subtitle)}." for tile in session.home.tiles]
    return [tr(texts.TITLES["home"]), *tiles, _message(session.home.notice, tr)]


def _pickup(session, tr, _place):
    pickup = session.pickup
    progress = spoken_code_progress(len(pickup.code.digits), pickup.code.length, tr)
    if pickup.phase != "entry":
        progress = ""  # a pause, an open door or a fault: what to do now, not the keypad
    hint = tr(texts.KEYPAD_HINT) if pickup.phase == "entry" else ""
    return [tr(texts.TITLES["pickup"]), _message(pickup.alarm, tr), _message(pickup.message, tr), progress, hint]


def _staff(session, tr, _place):
    options = [f"{tr(text)}." for text in texts.STAFF_OPTIONS.values()]
    return [tr(texts.TITLES["staff"]), *options, tr(texts.STAFF_MENU_HINT)]


def _staff_receive(session, tr, _place):
    staff = session.staff_mode
    return [tr(texts.TITLES["staff_receive"]), _message(staff.alarm, tr), _message(staff.message, tr)]


def _staff_desk(name: str):
    def speak(session, tr, _place):
        desk = getattr(session, name.removeprefix("staff_"))
        return [tr(texts.TITLES[name]), _message(desk.message, tr) if desk else ""]
    return speak


def _language(_session, tr, _place):
    # Each language's name in that language: a person who cannot read the current one still
    # hears their own language named.
    return [tr(texts.TITLES["language"]), *(f"{language.name}." for language in available_languages())]


def _help(_session, tr, _place):
    return [tr(texts.TITLES["help"]), tr(texts.HELP_TEXT)]


SPEAKERS = {"attract": _attract, "home": _home, "pickup": _pickup, "staff": _staff, "language": _language,
            "help": _help, "staff_receive": _staff_receive, "staff_counter": _staff_desk("staff_counter"),
            "staff_returns": _staff_desk("staff_returns")}
SPEAKERS.update(video=spoken_visits.video, eservices=spoken_visits.eservices)
