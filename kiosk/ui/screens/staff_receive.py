from kiosk.ui.presenters.staff import DOOR_OPEN, PHONE, STORED
from kiosk.ui.screens.base import KioskScreen


class StaffReceiveScreen(KioskScreen):
    """Receiving parcels: the message, the one big line (door, phone or code), the keypad for a
    recipient's phone when there is no pre-advice."""

    def setup(self, session, tr, place_name: str) -> None:
        super().setup(session, tr, place_name)
        session.staff_mode.subscribe(self.refresh)

    def translate(self) -> None:
        self.ids.cancel.text = self.tr("Avbryt")
        self.ids.exit.text = self.tr("Avsluta")
        self.ids.print.text = self.tr("Skriv ut kvitto")
        self.ids.keypad.erase_text = self.tr("Radera")
        self.ids.keypad.ok_text = self.tr("OK")

    def refresh_presenter(self) -> None:
        self.refresh(self.session.staff_mode)

    def refresh(self, staff) -> None:
        self.show_message(self.ids.alarm, staff.alarm)
        self.show_message(self.ids.message, staff.message)
        self.ids.cancel.disabled = not staff.can_cancel
        self.ids.exit.disabled = not staff.can_leave
        self.ids.print.disabled = not staff.can_print
        self.ids.keypad.disabled = staff.phase != PHONE
        self.ids.code.text = self._big_text(staff)

    def _big_text(self, staff) -> str:
        """The one thing staff must see from across the counter: which door, the number typed,
        then the code (for the counter slip when the parcel stays at the counter)."""
        if staff.phase == DOOR_OPEN:
            return self.tr("Fack {compartment}", compartment=staff.opened.compartment.id)
        if staff.phase == PHONE:
            return staff.phone or "07_"
        if staff.phase == STORED:
            code = staff.stored.pickup_code
            return self.tr("Hämtningskod: {code}", code=f"{code[:3]} {code[3:]}")
        return ""
