from kiosk.ui.presenters.pickup import ENTRY, LOCKED
from kiosk.ui.screens.base import KioskScreen, show_in
from kiosk.ui.widgets.entry_line import EntryLine  # noqa: F401  (the kv rule uses it)


class PickupScreen(KioskScreen):
    def setup(self, session, tr, place_name: str) -> None:
        # Held here: `ids` keeps weak references, and Klar is out of the column until the end.
        self._done, self._column = self.ids.done.__self__, self.ids.done.parent
        super().setup(session, tr, place_name)
        session.pickup.subscribe(self.refresh)

    def translate(self) -> None:
        self.ids.keypad.erase_text = self.tr("Radera")
        self.ids.keypad.ok_text = self.tr("OK")
        self._done.text = self.tr("Klar")

    def refresh_presenter(self) -> None:
        self.refresh(self.session.pickup)

    def refresh(self, pickup) -> None:
        self.ids.code.show(*self._big_text(pickup))
        self.ids.keypad.disabled = not pickup.accepts_input
        show_in(self._column, self._done, pickup.finished)  # Klar ends the visit at once
        # A card tap or scan notice takes the message's place: one message at a time fits
        # a small panel, and the newest is the one to read. A door left open comes first.
        self.show_message(self.ids.message, pickup.alarm or self.session.notice or pickup.message)

    def _session_changed(self, session) -> None:
        if session.screen == self.name:
            self.refresh(session.pickup)

    def _big_text(self, pickup) -> tuple[str, str]:
        if pickup.phase == LOCKED or pickup.finished:
            return "", ""  # done: the message says what happened, and Klar needs the room
        if pickup.phase == ENTRY or not pickup.opened:
            return pickup.code.shown_parts
        return self.tr("Fack {compartment}", compartment=pickup.compartment_ids), ""
