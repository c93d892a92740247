from kiosk.ui.presenters.staff import STORED
from kiosk.ui.screens.base import KioskScreen


class StaffScreen(KioskScreen):
    def setup(self, session, tr, place_name: str) -> None:
        super().setup(session, tr, place_name)
        session.staff_mode.subscribe(self.refresh)

    def translate(self) -> None:
        self.ids.cancel.text = self.tr("Avbryt")
        self.ids.exit.text = self.tr("Avsluta personalläge")

    def refresh(self, staff) -> None:
        self.ids.title.text = self.tr("Personalläge: ta emot paket") + (f" ({staff.staff_name})" if staff.staff_name else "")
        self.show_message(self.ids.message, staff.message)
        self.ids.cancel.disabled = not staff.can_cancel
        stored = staff.stored if staff.phase == STORED else None
        self.ids.code.text = self._code_text(stored)

    def _code_text(self, stored) -> str:
        if stored is None:
            return ""
        code = stored.pickup_code
        return self.tr("Hämtningskod: {code}", code=f"{code[:3]} {code[3:]}")
