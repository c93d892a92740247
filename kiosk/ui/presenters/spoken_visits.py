"""What "Read aloud" says on the video and e-service screens (see spoken.py)."""
from __future__ import annotations

from kiosk.services.speech import spoken_code_progress
from kiosk.ui.presenters import texts
from kiosk.ui.presenters.base import Message
from kiosk.ui.presenters.eservices import CATEGORY_NAMES
from kiosk.ui.presenters.video import BOOKING, CODE_LENGTH, pick


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
        return [*parts, spoken_code_progress(len(visit.digits), CODE_LENGTH, tr), tr(texts.KEYPAD_HINT)]
    language = tr.language if hasattr(tr, "language") else "sv"
    return [*parts, *(f"{pick(tile.names, language)}: {message_text(tile.subtitle, tr)}." for tile in visit.tiles)]


def eservices(session, tr, _place):
    visit = session.eservices
    language = tr.language if hasattr(tr, "language") else "sv"
    parts = [tr(texts.TITLES["eservices"]), message_text(visit.offline_message, tr),
             message_text(visit.message or visit.hint, tr)]
    if visit.category is None:
        return [*parts, *(f"{tr(CATEGORY_NAMES[category])}." for category in visit.categories)]
    return [*parts, *(f"{pick(s.title, language)}: {pick(s.description, language)}." for s in visit.shown)]
