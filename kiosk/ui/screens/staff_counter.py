from kiosk.ui.presenters.counter import CHECKING
from kiosk.ui.screens.base import KioskScreen
from kiosk.ui.widgets.entry_line import EntryLine  # noqa: F401  (the kv rule uses it)


class StaffCounterScreen(KioskScreen):
    """Handing over a parcel held at the counter: the resident's code typed, or their QR scanned."""

    def setup(self, session, tr, place_name: str) -> None:
        super().setup(session, tr, place_name)
        session.counter.subscribe(self.refresh)

    def translate(self) -> None:
        self.ids.keypad.erase_text = self.tr("Radera")
        self.ids.keypad.ok_text = self.tr("OK")

    def refresh_presenter(self) -> None:
        self.refresh(self.session.counter)

    def refresh(self, counter) -> None:
        self.show_message(self.ids.message, counter.message)
        self.ids.keypad.disabled = counter.phase == CHECKING
        self.ids.code.show(*counter.code.shown_parts)
