from kiosk.ui import theme
from kiosk.ui.screens.base import KioskScreen
from kiosk.ui.widgets.controls import Tile


class HomeScreen(KioskScreen):
    def setup(self, session, tr, place_name: str) -> None:
        super().setup(session, tr, place_name)
        session.home.subscribe(self.refresh)

    def translate(self) -> None:
        self.ids.title.text = self.tr("Vad vill du göra?")
        self.ids.tiles.clear_widgets()
        for tile in self.session.home.tiles:
            self.ids.tiles.add_widget(self._tile(tile))
        self.ids.bottom.back_text = self.tr("Tillbaka")
        self.ids.bottom.help_text = self.tr("Hjälp")

    def _tile(self, tile) -> Tile:
        widget = Tile(probe_id=f"tile-{tile.id}", title=self.tr(tile.title), subtitle=self.tr(tile.subtitle))
        if tile.target is None:
            widget.fill = theme.MUTED
        widget.bind(on_release=lambda *_: self.session.choose_tile(tile.id))
        return widget

    def refresh(self, home) -> None:
        self.show_message(self.ids.notice, home.notice)
