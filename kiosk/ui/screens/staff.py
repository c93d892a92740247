from kiosk.ui.presenters.texts import STAFF_MENU_HINT, STAFF_OPTIONS
from kiosk.ui.screens.base import KioskScreen


class StaffMenuScreen(KioskScreen):
    """Staff mode's start: receive parcels, counter pickup, returns; scanning receives at once."""

    def translate(self) -> None:
        for option, text in STAFF_OPTIONS.items():
            self.ids[option].text = self.tr(text)
        self.ids.exit.text = self.tr("Avsluta")
        self.ids.hint.text = self.tr(STAFF_MENU_HINT)

    def refresh_presenter(self) -> None:
        self.ids.who.text = self.session.staff_mode.staff_name

    def _session_changed(self, session) -> None:
        if session.screen == self.name:
            self.ids.who.text = session.staff_mode.staff_name
