"""What "Read aloud" says on the video and e-service screens (see spoken.py)."""
from __future__ import annotations

from kiosk.services.speech import spoken_code_progress
from kiosk.ui.presenters import texts
from kiosk.ui.presenters.base import Message
from kiosk.ui.presenters import eservices as e
from kiosk.ui.presenters.eservices import CATEGORY_NAMES
from kiosk.ui.presenters.video import BOOKING, pick


def message_text(message: Message | None, tr) -> str:
    """A message whose parameters may be messages themselves ("opens {when}")."""
    if message is None:
        return ""
    params = {key: message_text(value, tr) if isinstance(value, Message) else value
              for key, value in message.params}
    return tr(message.text, **params)


def video(session, tr, _place):
    visit = session.video
    parts = [tr(texts.TITLES["video"]), message_text(visit.offline_message, tr), message_text(visit.message, tr)]
    if visit.phase == BOOKING:
        return [*parts, spoken_code_progress(len(visit.code.digits), visit.code.length, tr), tr(texts.KEYPAD_HINT)]
    language = tr.language if hasattr(tr, "language") else "sv"
    return [*parts, *(f"{pick(tile.names, language)}: {message_text(tile.subtitle, tr)}." for tile in visit.tiles)]


def eservices(session, tr, _place):
    visit = session.eservices
    language = tr.language if hasattr(tr, "language") else "sv"
    link = visit.phone_link
    if link is not None:  # what the code is before what to do with it
        return [tr(texts.TITLES["eservices"]), message_text(visit.message, tr), _name(visit.chosen, language),
                tr(e.QR_SPOKEN, domain=link.domain), message_text(visit.hint, tr), tr(e.QR_OPENS),
                f"{tr(e.OPEN_HERE_INSTEAD)}."]
    parts = [tr(texts.TITLES["eservices"]), message_text(visit.offline_message, tr),
             message_text(visit.message or visit.hint, tr)]
    if visit.chosen is not None:
        return [*parts, _name(visit.chosen, language), f"{tr(e.OPEN_HERE)}: {tr(e.OPEN_HERE_DETAIL)}",
                f"{tr(e.ON_PHONE)}: {tr(e.ON_PHONE_DETAIL)}"]
    if visit.category is None:
        return [*parts, *(f"{tr(CATEGORY_NAMES[category])}." for category in visit.categories)]
    return [*parts, *(_name(s, language) for s in visit.shown)]


def _name(service, language: str) -> str:
    return f"{pick(service.title, language)}: {pick(service.description, language)}."
