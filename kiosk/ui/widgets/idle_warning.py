"""The idle warning: shown over any screen, with one large "More time" button."""
from __future__ import annotations

import re

from kivy.properties import StringProperty
from kivy.uix.modalview import ModalView

NO_BREAK_SPACE = "\u00a0"
# A count and the words on either side of it: "om 6 sekunder" must not wrap as "om 6 / sekunder".
_COUNT_WITH_NEIGHBOURS = re.compile(r"(?<=\S) (?=\d)|(?<=\d) (?=\S)")


def keep_count_with_its_words(text: str) -> str:
    """Joins a number to the word before and after it with no-break spaces (Kivy wraps
    lines only at plain spaces)."""
    return _COUNT_WITH_NEIGHBOURS.sub(NO_BREAK_SPACE, text)


class IdleWarning(ModalView):
    __events__ = ("on_more_time",)
    message = StringProperty("")  # as spoken
    shown_message = StringProperty("")  # as shown: the count kept on one line with its words
    button_text = StringProperty("Mer tid")

    def on_message(self, _instance: object, message: str) -> None:
        self.shown_message = keep_count_with_its_words(message)

    def on_more_time(self) -> None:
        pass
