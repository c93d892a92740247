from kivy.factory import Factory

from kiosk.ui.presenters.returns import LIST
from kiosk.ui.screens.base import KioskScreen


class StaffReturnsScreen(KioskScreen):
    """Parcels past their last day, one row each, all of them (a small panel scrolls); tap a
    row to open its door."""

    def setup(self, session, tr, place_name: str) -> None:
        super().setup(session, tr, place_name)
        session.returns.subscribe(self.refresh)

    def refresh_presenter(self) -> None:
        self.refresh(self.session.returns)

    def refresh(self, returns) -> None:
        self.show_message(self.ids.message, returns.message)
        rows = returns.rows
        for button, parcel in zip(self._row_buttons(len(rows)), rows):
            button.text = self._row_text(parcel)
            button.disabled = returns.phase != LIST

    def _row_buttons(self, count: int) -> list:
        """Rows are rebuilt only when their number changes: relabelling is cheaper than new
        widgets, and a return removes one row at a time."""
        grid = self.ids.rows
        if len(grid.children) != count:
            grid.clear_widgets()
            for index in range(count):
                grid.add_widget(self._row_button(index))
        return list(reversed(grid.children))

    def _row_button(self, index: int):
        button = Factory.ReturnRow(probe_id=f"return-{index}")
        button.bind(on_release=lambda *_: self.session.returns.choose(index))
        return button

    def _row_text(self, parcel) -> str:
        # The door's own label (A3) is what staff look for; it needs no word before it.
        where = parcel.compartment_id or self.tr("Vid disken")
        return f"{where} · {parcel.tracking_id}"
