from kiosk.ui.presenters.staff import CONFIRM, DOOR_OPEN, PHONE, STORED
from kiosk.ui.screens.base import KioskScreen
from kiosk.ui.widgets.entry_line import EntryLine  # noqa: F401  (the kv rule uses it)


class StaffReceiveScreen(KioskScreen):
    """Receiving parcels: the message, the one big line (door, phone or code), the keypad for a
    recipient's phone when there is no pre-advice, and the number read back to confirm."""

    def setup(self, session, tr, place_name: str) -> None:
        super().setup(session, tr, place_name)
        session.staff_mode.subscribe(self.refresh)

    def translate(self) -> None:
        self.ids.cancel.text = self.tr("Avbryt")
        self.ids.exit.text = self.tr("Avsluta")
        self.ids.print.text = self.tr("Skriv ut kvitto")
        self.ids.correct_phone.text = self.tr("Ändra")
        self.ids.confirm_phone.text = self.tr("Ja, stämmer")
        self.ids.keypad.erase_text = self.tr("Radera")
        self.ids.keypad.ok_text = self.tr("OK")

    def refresh_presenter(self) -> None:
        self.refresh(self.session.staff_mode)

    def refresh(self, staff) -> None:
        self.show_message(self.ids.alarm, staff.alarm)
        self.show_message(self.ids.message, staff.message)
        confirming = staff.phase == CONFIRM
        self.ids.correct_phone.disabled = self.ids.confirm_phone.disabled = not confirming
        self.ids.cancel.disabled = not staff.can_cancel
        self.ids.exit.disabled = not staff.can_leave
        self.ids.print.disabled = not staff.can_print
        for button, shown in ((self.ids.print, not confirming), (self.ids.correct_phone, confirming),
                              (self.ids.confirm_phone, confirming)):
            _show_button(button, shown)
        self.ids.keypad.disabled = staff.phase != PHONE
        self.ids.code.show(*self._big_text(staff))

    def _big_text(self, staff) -> tuple[str, str]:
        """The one thing staff must see from across the counter: which door, the number typed
        (its empty places dimmed), then the code (for the counter slip when the parcel stays
        at the counter)."""
        if staff.phase == DOOR_OPEN or staff.taking_out is not None:
            door = staff.opened.compartment if staff.phase == DOOR_OPEN else staff.taking_out
            return self.tr("Fack {compartment}", compartment=door.id), ""
        if staff.phase in (PHONE, CONFIRM):
            return staff.phone_shown
        if staff.phase == STORED:
            code = staff.stored.pickup_code
            return self.tr("Hämtningskod: {code}", code=f"{code[:3]} {code[3:]}"), ""
        return "", ""


def _show_button(button, shown: bool) -> None:
    """Buttons of another step give their place in the row to this step's."""
    button.opacity = 1 if shown else 0
    button.size_hint_x = 1 if shown else None
    button.width = button.width if shown else 0
    if not shown:
        button.disabled = True
