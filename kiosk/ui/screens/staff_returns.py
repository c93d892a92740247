from kiosk.ui.presenters.returns import LIST, SHOWN
from kiosk.ui.screens.base import KioskScreen


class StaffReturnsScreen(KioskScreen):
    """Parcels past their last day, one row each; tap a row to open its door."""

    def setup(self, session, tr, place_name: str) -> None:
        super().setup(session, tr, place_name)
        session.returns.subscribe(self.refresh)

    def refresh_presenter(self) -> None:
        self.refresh(self.session.returns)

    def refresh(self, returns) -> None:
        self.show_message(self.ids.message, returns.message)
        rows = returns.rows
        for index in range(SHOWN):
            button = self.ids[f"row{index}"]
            button.text = self._row_text(rows[index]) if index < len(rows) else ""
            button.disabled = index >= len(rows) or returns.phase != LIST

    def _row_text(self, parcel) -> str:
        # The door's own label (A3) is what staff look for; it needs no word before it.
        where = parcel.compartment_id or self.tr("Vid disken")
        return f"{where} · {parcel.tracking_id}"
