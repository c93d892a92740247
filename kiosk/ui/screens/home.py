from kiosk.ui.presenters import texts
from kiosk.ui.screens.base import KioskScreen
from kiosk.ui.widgets.controls import Tile


class HomeScreen(KioskScreen):
    def setup(self, session, tr, place_name: str) -> None:
        super().setup(session, tr, place_name)
        session.home.subscribe(self.refresh)

    def translate(self) -> None:
        self.ids.tiles.clear_widgets()
        for tile in self.session.home.tiles:
            self.ids.tiles.add_widget(self._tile(tile))

    def _tile(self, tile) -> Tile:
        widget = Tile(probe_id=f"tile-{tile.id}", title=self.tr(tile.title), subtitle=self.tr(tile.subtitle),
                      role="primary" if tile.target else "secondary")
        widget.bind(on_release=lambda *_: self.session.choose_tile(tile.id))
        return widget

    def refresh_presenter(self) -> None:
        self.refresh(self.session.home)

    def refresh(self, home) -> None:
        self.show_message(self.ids.notice, home.notice)

    def show_offline(self, offline: bool) -> None:
        self.ids.status.text = self.tr(texts.OFFLINE) if offline else ""
