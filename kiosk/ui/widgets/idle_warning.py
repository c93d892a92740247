"""The idle warning: shown over any screen, with one large "More time" button."""
from __future__ import annotations

from kivy.properties import StringProperty
from kivy.uix.modalview import ModalView


class IdleWarning(ModalView):
    __events__ = ("on_more_time",)
    message = StringProperty("")
    button_text = StringProperty("Mer tid")

    def on_more_time(self) -> None:
        pass
