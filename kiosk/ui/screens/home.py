from kiosk.ui.presenters import texts
from kiosk.ui.screens.base import KioskScreen
from kiosk.ui.widgets.controls import Tile
from kiosk.ui.widgets.tiles import TileGrid  # noqa: F401 - the kv rules use it


class HomeScreen(KioskScreen):
    def setup(self, session, tr, place_name: str) -> None:
        super().setup(session, tr, place_name)
        session.home.subscribe(self.refresh)

    def on_pre_enter(self, *_args) -> None:
        """Home opens at the top, whatever the last visit left it at: the tiles start there."""
        self.ids.scroller.scroll_y = 1

    def translate(self) -> None:
        self._show_tiles(self.session.home)

    def _show_tiles(self, home) -> None:
        """Tiles are built once and then only relabelled: a language change or the lockers
        becoming ready must not rebuild widgets (and re-render every texture) mid-visit."""
        grid = self.ids.tiles
        widgets = {widget.probe_id: widget for widget in grid.children}
        if set(widgets) != {f"tile-{tile.id}" for tile in home.tiles}:
            grid.clear_widgets()
            widgets = {}
        for tile in home.tiles:
            widget = widgets.get(f"tile-{tile.id}") or self._tile(tile, grid)
            widget.title, widget.subtitle = self.tr(tile.title), self.tr(tile.subtitle)

    def _tile(self, tile, grid) -> Tile:
        widget = Tile(probe_id=f"tile-{tile.id}", role="primary" if tile.target and not tile.aid else "secondary")
        widget.bind(on_release=lambda *_: self.session.choose_tile(tile.id))
        grid.add_widget(widget)
        return widget

    def refresh_presenter(self) -> None:
        self.refresh(self.session.home)

    def refresh(self, home) -> None:
        self._show_tiles(home)
        self.show_message(self.ids.notice, home.notice)

    def on_kv_post(self, base_widget) -> None:
        super().on_kv_post(base_widget)
        # ids hold weak references: out of the layout, the title would be collected.
        self._title, self._notice = self.ids.title.__self__, self.ids.notice.__self__
        # Whoever sets the notice (home's own, or the session's): the title gives way to it.
        self._notice.bind(text=lambda _label, text: self._show_title(not text))

    def _show_title(self, shown: bool) -> None:
        title, notice = self._title, self._notice
        if shown and title.parent is None:
            box = notice.parent
            box.add_widget(title, index=box.children.index(notice) + 1)  # just above the notice
        elif not shown and title.parent is not None:
            title.parent.remove_widget(title)

    def show_offline(self, offline: bool) -> None:
        self.ids.status.text = self.tr(texts.OFFLINE) if offline else ""
