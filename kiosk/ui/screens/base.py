"""What every screen shares: the session, the translator, and the two bars wired the same way."""
from __future__ import annotations

from kivy.app import App
from kivy.properties import ObjectProperty, StringProperty
from kivy.uix.screenmanager import Screen

from kiosk.services.errors import N_
from kiosk.ui.presenters.base import Message
from kiosk.ui.presenters.texts import STOP_READING, TITLES, larger_text_label, read_aloud_label

BOTTOM_BAR_TEXTS = {"label_back": N_("Tillbaka"), "label_help": N_("Hjälp"), "label_read": N_("Läs upp"),
                    "label_larger": N_("Text +"), "label_contrast": N_("Kontrast")}


class KioskScreen(Screen):
    place_name = StringProperty("")
    session = ObjectProperty(None, allownone=True)

    def setup(self, session, tr, place_name: str) -> None:
        self.session, self.tr, self.place_name = session, tr, place_name
        session.subscribe(self._session_changed)
        if "bottom" in self.ids:
            session.subscribe(self._show_bar_state)  # its own listener: screens override _session_changed
        if "door_alarm" in self.ids:
            session.open_doors.subscribe(self._doors_changed)

    def retranslate(self, tr) -> None:
        """Called on every language change: fixed texts first, then the presenter's state."""
        self.tr = tr
        self._translate_bars()
        if "title" in self.ids:
            self.ids.title.text = tr(TITLES.get(self.name, ""))
        self.translate()
        self.refresh_presenter()
        if "door_alarm" in self.ids:
            self._doors_changed(self.session.open_doors)

    def translate(self) -> None:
        """Sets the screen's own fixed texts in the current language."""

    def refresh_presenter(self) -> None:
        """Re-renders the screen's presenter state (its messages are translated on display)."""

    def _doors_changed(self, open_doors) -> None:
        """Doors found open at start-up: one alarm line each, until the sensor reads closed."""
        label = self.ids.door_alarm
        label.text = "\n".join(self.tr(m.text, **dict(m.params)) for m in open_doors.alarms)
        label.kind = "error"

    def _translate_bars(self) -> None:
        if "top" in self.ids:
            self.ids.top.language_text = self.tr("Språk")
        if "bottom" in self.ids:
            for prop, text in BOTTOM_BAR_TEXTS.items():
                setattr(self.ids.bottom, prop, self.tr(text))
            self._show_bar_state(self.session)

    def show_speaking(self, speaking: bool) -> None:
        """While the screen is read aloud, the same button stops it."""
        if "bottom" in self.ids:
            self.ids.bottom.label_read = self.tr(STOP_READING if speaking else read_aloud_label(self.session))

    def _show_bar_state(self, session) -> None:
        """Text + says (and shows) when it is on; Read aloud says when it cannot be heard."""
        bottom = self.ids.bottom
        bottom.larger_on = session.large_text
        bottom.label_larger = self.tr(larger_text_label(session))
        if bottom.label_read != self.tr(STOP_READING):
            bottom.label_read = self.tr(read_aloud_label(session))

    def _session_changed(self, session) -> None:
        """Card taps and scans can leave a notice for whoever is at the screen."""
        if "notice" in self.ids and session.screen == self.name:
            self.show_message(self.ids.notice, session.notice)

    def show_message(self, label, message: Message | None) -> None:
        label.text = self.tr(message.text, **dict(message.params)) if message else ""
        label.kind = message.kind if message else "info"

    @staticmethod
    def app():
        return App.get_running_app()


def show_in(row, widget, shown: bool) -> None:
    """Puts `widget` at the end of `row`, or takes it out: a control for one step only takes no
    room before it (a zero-sized button instead would refit its type forever). The caller keeps
    the widget itself, not `ids`' weak reference, while it is out."""
    if shown and widget.parent is None:
        row.add_widget(widget, index=0)
    elif not shown and widget.parent is not None:
        row.remove_widget(widget)
