from kiosk.ui.presenters.pickup import ENTRY, LOCKED
from kiosk.ui.screens.base import KioskScreen


class PickupScreen(KioskScreen):
    def setup(self, session, tr, place_name: str) -> None:
        super().setup(session, tr, place_name)
        session.pickup.subscribe(self.refresh)

    def translate(self) -> None:
        self.ids.keypad.erase_text = self.tr("Radera")
        self.ids.keypad.ok_text = self.tr("OK")

    def refresh_presenter(self) -> None:
        self.refresh(self.session.pickup)

    def refresh(self, pickup) -> None:
        self.ids.code.text = self._big_text(pickup)
        self.ids.keypad.disabled = not pickup.accepts_input
        # A card tap or scan notice takes the message's place: one message at a time fits
        # a small panel, and the newest is the one to read. A door left open comes first.
        self.show_message(self.ids.message, pickup.alarm or self.session.notice or pickup.message)

    def _session_changed(self, session) -> None:
        if session.screen == self.name:
            self.refresh(session.pickup)

    def _big_text(self, pickup) -> str:
        if pickup.phase == LOCKED:
            return ""
        if pickup.phase == ENTRY or not pickup.opened:
            return pickup.code.shown
        if pickup.opened:
            return self.tr("Fack {compartment}", compartment=pickup.compartment_ids)
        return ""
