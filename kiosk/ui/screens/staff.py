from kiosk.ui.presenters.staff import DOOR_OPEN, STORED
from kiosk.ui.screens.base import KioskScreen


class StaffScreen(KioskScreen):
    def setup(self, session, tr, place_name: str) -> None:
        super().setup(session, tr, place_name)
        session.staff_mode.subscribe(self.refresh)

    def translate(self) -> None:
        self.ids.cancel.text = self.tr("Avbryt")
        self.ids.exit.text = self.tr("Avsluta")

    def refresh_presenter(self) -> None:
        self.refresh(self.session.staff_mode)

    def refresh(self, staff) -> None:
        self.ids.who.text = staff.staff_name
        self.show_message(self.ids.message, staff.message)
        self.ids.cancel.disabled = not staff.can_cancel
        self.ids.exit.disabled = not staff.can_leave
        self.ids.code.text = self._big_text(staff)

    def _big_text(self, staff) -> str:
        """The one thing staff must see from across the counter: which door, then which code."""
        if staff.phase == DOOR_OPEN:
            return self.tr("Fack {compartment}", compartment=staff.opened.compartment.id)
        if staff.phase == STORED:
            code = staff.stored.pickup_code
            return self.tr("Hämtningskod: {code}", code=f"{code[:3]} {code[3:]}")
        return ""
