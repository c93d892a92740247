"""What every screen shares: access to the session presenter, the translator and the bars."""
from __future__ import annotations

from kivy.properties import ObjectProperty, StringProperty
from kivy.uix.screenmanager import Screen

from kiosk.ui.presenters.base import Message


class KioskScreen(Screen):
    place_name = StringProperty("")
    session = ObjectProperty(None, allownone=True)

    def setup(self, session, tr, place_name: str) -> None:
        self.session, self.tr, self.place_name = session, tr, place_name
        self.translate()
        session.subscribe(self._session_changed)

    def _session_changed(self, session) -> None:
        """Card taps and scans can leave a notice for whoever is at the screen."""
        if "notice" in self.ids and session.screen == self.name:
            self.show_message(self.ids.notice, session.notice)

    def translate(self) -> None:
        """Sets the screen's fixed texts in the current language."""

    def show_message(self, label, message: Message | None) -> None:
        label.text = self.tr(message.text, **dict(message.params)) if message else ""
        label.kind = message.kind if message else "info"
