from kiosk.ui.presenters.counter import CHECKING, HANDED
from kiosk.ui.screens.base import KioskScreen, show_in
from kiosk.ui.widgets.entry_line import EntryLine  # noqa: F401  (the kv rule uses it)


class StaffCounterScreen(KioskScreen):
    """Handing over a parcel held at the counter: the resident's code typed, or their QR scanned."""

    def setup(self, session, tr, place_name: str) -> None:
        self._done, self._column = self.ids.done.__self__, self.ids.done.parent  # see show_in
        super().setup(session, tr, place_name)
        session.counter.subscribe(self.refresh)

    def translate(self) -> None:
        self.ids.keypad.erase_text = self.tr("Radera")
        self.ids.keypad.ok_text = self.tr("OK")
        self._done.text = self.tr("Klar")

    def refresh_presenter(self) -> None:
        self.refresh(self.session.counter)

    def refresh(self, counter) -> None:
        self.show_message(self.ids.message, counter.message)
        self.ids.keypad.disabled = counter.phase == CHECKING
        self.ids.code.show(*counter.code.shown_parts)
        show_in(self._column, self._done, counter.phase == HANDED)  # Klar: ready for the next customer
