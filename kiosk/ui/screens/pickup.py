from kiosk.ui.presenters.pickup import CLOSING, DOOR_OPEN, ENTRY
from kiosk.ui.screens.base import KioskScreen


class PickupScreen(KioskScreen):
    def setup(self, session, tr, place_name: str) -> None:
        super().setup(session, tr, place_name)
        session.pickup.subscribe(self.refresh)

    def translate(self) -> None:
        self.ids.title.text = self.tr("Hämta paket")
        self.ids.keypad.erase_text = self.tr("Radera")
        self.ids.keypad.ok_text = self.tr("OK")
        self.ids.bottom.back_text = self.tr("Tillbaka")
        self.ids.bottom.help_text = self.tr("Hjälp")

    def refresh(self, pickup) -> None:
        self.ids.code.text = self._big_text(pickup)
        self.ids.keypad.disabled = pickup.phase != ENTRY
        self.show_message(self.ids.message, pickup.message)

    def _big_text(self, pickup) -> str:
        if pickup.phase == ENTRY:
            return pickup.masked_code
        if pickup.phase in (DOOR_OPEN, CLOSING):
            return self.tr("Fack {compartment}", compartment=pickup.compartment_ids)
        return ""
