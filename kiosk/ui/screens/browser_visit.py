"""What the video and e-service screens share: tiles to choose from, the offline notice, and
while the browser is open the one-touch End strip at the bottom (the browser's window covers
everything above it; see KioskApp.browser_window)."""
from __future__ import annotations

from kiosk.ui.presenters.base import Message
from kiosk.ui.presenters.browser_visit import IN_BROWSER, STARTING
from kiosk.ui.screens.base import KioskScreen
from kiosk.ui.widgets.controls import Tile
from kiosk.ui.widgets.tiles import TileGrid  # noqa: F401 - the kv rules use it


class BrowserVisitScreen(KioskScreen):
    end_text = ""  # set by the subclass: the Swedish source of the End strip's label

    def setup(self, session, tr, place_name: str) -> None:
        super().setup(session, tr, place_name)
        self.visit.subscribe(self.refresh)

    @property
    def visit(self):
        raise NotImplementedError

    def refresh_presenter(self) -> None:
        self.refresh(self.visit)

    def _session_changed(self, session) -> None:
        if session.screen == self.name:
            self.refresh(self.visit)  # the session's notice and the visit's message share a line

    def refresh(self, visit) -> None:
        in_browser = visit.phase in (STARTING, IN_BROWSER)
        self.ids.end_strip.text = self.tr(self.end_text)
        theme = self.app().theme
        self._show(self.ids.end_strip_box, in_browser, end_strip_height(theme))
        self._show(self.ids.bottom, not in_browser, theme.bar_height)
        self.render_message(self.ids.status, visit.offline_message)
        self.render_message(self.ids.notice, self.session.notice or visit.message)
        key = None if in_browser else (self.tr.language, *self.body_key(visit))
        if key != getattr(self, "_body_key", None):
            # Rebuilt only when what it shows changes: new widgets need a frame to be laid
            # out, and a keypad rebuilt under a finger would lose the touch.
            self._body_key = key
            self.ids.body.clear_widgets()
            if key is not None:
                self.fill_body(visit)
        if key is not None:
            self.update_body(visit)

    def body_key(self, visit) -> tuple:
        """What the body's widgets depend on; a change rebuilds them."""
        return (visit.phase,)

    def fill_body(self, visit) -> None:
        """Adds the phase's widgets to ids.body."""

    def update_body(self, visit) -> None:
        """Updates the body's widgets in place (e.g. the digits typed)."""

    def tile(self, probe_id: str, title: str, subtitle: str, on_press, role: str = "primary") -> Tile:
        widget = Tile(probe_id=probe_id, title=title, subtitle=subtitle, role=role)
        widget.bind(on_release=lambda *_: on_press())
        return widget

    def render_message(self, label, message: Message | None) -> None:
        """Like show_message, with parameters that are messages themselves ("opens {when}")."""
        if message is None:
            self.show_message(label, None)
            return
        params = {key: self.tr(value.text, **dict(value.params)) if isinstance(value, Message) else value
                  for key, value in message.params}
        label.text = self.tr(message.text, **params)
        label.kind = message.kind

    def text_of(self, message: Message) -> str:
        label = type("Plain", (), {})()
        self.render_message(label, message)
        return label.text

    @staticmethod
    def _show(widget, visible: bool, height: float) -> None:
        widget.opacity = 1 if visible else 0
        widget.disabled = not visible
        widget.size_hint_y = None
        widget.height = height if visible else 0


def end_strip_height(theme) -> float:
    """Tall enough to find at once with a finger while the call fills the rest of the screen."""
    return theme.bar_height * 1.5
