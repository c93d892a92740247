"""A grid of tiles inside a scroll view whose rows never cut a title in half.

Large text on a 7" panel leaves little room under a long message, and a fixed minimum row
height used to leave the last visible row cut through its title ("Försäkrings…" half
shown). Here the rows share the view when they all fit at the height their titles need;
when they do not, as many whole rows as fit share it, and only the top edge of the next
row shows below them (no text), with the scroll bar, to say the list goes on.

A grid with `fill_view` (the home screen, whose five tiles are the whole kiosk) never
scrolls: its rows always share the view and the type shrinks until every tile fits.

Every tile of a grid gets the same type size: the largest at which the tile with the most
to say still fits, worked out from the texts and sizes alone. Titles then line up, and a
visit to another language and back gives the same size as before (each tile shrinking on
its own kept whatever size its history had left it at).
"""
from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.core.text.markup import MarkupLabel
from kivy.properties import BooleanProperty, NumericProperty
from kivy.uix.gridlayout import GridLayout

from kiosk.ui.textfit import longest_word_width
from kiosk.ui.theme import LARGE_TEXT_FACTOR
from kiosk.ui.widgets.controls import MIN_FONT_SCALE


def row_height(view: float, rows: int, gap: float, need: float, edge: float) -> float:
    """The height of each row of `rows` in a view `view` high, rows `gap` apart.

    need: the least height a row's titles need; edge: how much of the next row to show
    when not all rows fit (its top margin, where there is no text)."""
    rows = max(rows, 1)
    shared = (view + gap) / rows - gap
    if shared >= need:
        return shared
    room = view - edge
    whole = int((room + gap) // (need + gap))
    if whole < 1:  # not even one row: it fills the view, and FitsText makes its text fit
        return view
    return (room + gap) / whole - gap


def columns_in_sight(tiles: int, preferred: int, view: float, least: float, gap: float) -> int:
    """The fewest columns, `preferred` or more, that put every row in `view` at `least` high."""
    rows_that_fit = max(1, int((view + gap) // (least + gap)))
    return max(preferred, -(-tiles // rows_that_fit))


@lru_cache(maxsize=1024)
def text_height(text: str, font_size: float, wrap_width: float) -> float:
    """How high a tile's text (with markup) is at `font_size`, wrapped to `wrap_width`."""
    label = MarkupLabel(text=text, font_size=font_size, text_size=(wrap_width, None),
                        halign="center", markup=True)
    label.refresh()
    return float(label.texture.size[1])


class TileGrid(GridLayout):
    """Rows sized by row_height() for the scroll view it is in (`view_height`, bound in kv)."""

    view_height = NumericProperty(0)
    least = NumericProperty(0)  # never lower than this: the touch target
    margin = NumericProperty(0)  # above and below the text inside a tile
    fill_view = BooleanProperty(False)  # rows share the view whatever their titles need
    # With fill_view: the columns wanted; more are used where the rows would not all fit at
    # the touch target's height (a door alarm and a notice on a 7" panel leave one row).
    preferred_cols = NumericProperty(0)

    def __init__(self, **kwargs) -> None:
        self._update = Clock.create_trigger(self._update_rows, -1)
        super().__init__(**kwargs)
        self._retype = Clock.create_trigger(self._same_type_for_all, -1)
        self.bind(view_height=self._update, width=self._update, cols=self._update, least=self._update,
                  margin=self._update, spacing=self._update, fill_view=self._update,
                  preferred_cols=self._update)

    def add_widget(self, widget, *args, **kwargs) -> None:
        super().add_widget(widget, *args, **kwargs)
        widget.shrink_to_fit = False  # the grid sizes the type of all its tiles at once
        widget.bind(text=self._update, font_size=self._update, text_size=self._update)
        widget.bind(text=self._retype, size=self._retype, text_size=self._retype)
        self._update()

    def remove_widget(self, widget, *args, **kwargs) -> None:
        widget.unbind(text=self._update, font_size=self._update, text_size=self._update)
        widget.unbind(text=self._retype, size=self._retype, text_size=self._retype)
        widget.shrink_to_fit = True
        super().remove_widget(widget, *args, **kwargs)
        self._update()

    def _update_rows(self, *_args: Any) -> None:
        tiles = list(self.children)
        if self.fill_view and self.preferred_cols and tiles:
            self.cols = columns_in_sight(len(tiles), int(self.preferred_cols), self.view_height,
                                         self.least, self.spacing[1])
        if not tiles or not self.cols:
            return
        rows = (len(tiles) + self.cols - 1) // self.cols
        gap = self.spacing[1]
        need = self.least if self.fill_view else self._need(tiles)
        height = row_height(self.view_height, rows, gap, need, self.margin + gap)
        self.row_default_height = max(self.least, height)  # a tiny view: a target still, and it scrolls
        self._retype()

    def _same_type_for_all(self, *_args: Any) -> None:
        """One type size for every tile; subtitles go, on all tiles, when they cannot fit."""
        tiles = [tile for tile in self.children if tile.title and tile.text_size[0] > 1]
        if not tiles:
            return
        theme = App.get_running_app().theme
        room = self.row_default_height - 2 * self.margin
        # Large text may shrink down to normal text's smallest size, not below.
        floor = MIN_FONT_SCALE / (LARGE_TEXT_FACTOR if theme.large_text else 1.0)
        subtitles = not (theme.large_text or theme.compact) and any(tile.subtitle for tile in tiles)
        scales = [largest_fitting_scale(tile, room, theme.small_font, subtitles, floor) for tile in tiles]
        if subtitles and None in scales:
            subtitles = False
            scales = [largest_fitting_scale(tile, room, theme.small_font, False, floor) for tile in tiles]
        # Where even the smallest type does not fit, the screenshot checks say so.
        scale = floor if None in scales else min(s for s in scales if s is not None)
        for tile in self.children:
            tile.show_subtitle = subtitles
            tile.font_scale = scale

    def _need(self, tiles) -> float:
        """The tallest tile text, plus margins, at the size it gets for its width alone."""
        tallest = max((_fitted_height(tile) for tile in tiles if tile.text and tile.text_size[0] > 1), default=0.0)
        return max(self.least, tallest + 2 * self.margin)


def _scales(floor: float) -> Iterator[float]:
    """FitsText's steps, from full size down to `floor`."""
    scale = 1.0
    while scale > floor:
        yield scale
        scale *= 0.92
    yield floor


def tile_text(title: str, subtitle: str, small_font: float, scale: float) -> str:
    """A tile's text as its kv rule builds it (kiosk/ui/widgets/controls.kv, <Tile>)."""
    text = "[b]" + title + "[/b]"
    return text + f"\n[size={int(small_font * scale)}]{subtitle}[/size]" if subtitle else text


def largest_fitting_scale(tile: Any, room: float, small_font: float, subtitle: bool,
                          floor: float = MIN_FONT_SCALE) -> float | None:
    """The largest font_scale (in FitsText's own steps) at which the tile's longest word fits
    its width and its whole text fits `room` high; None if not even `floor` does."""
    full = tile.font_size / (tile.font_scale or 1.0)
    wrap = tile.text_size[0]
    for scale in _scales(floor):
        text = tile_text(tile.title, tile.subtitle if subtitle else "", small_font, scale)
        size = round(full * scale, 1)
        if longest_word_width(text, size, bold=True) <= wrap + 1 and text_height(text, size, wrap) <= room:
            return scale
    return None


def _fitted_height(tile) -> float:
    """The text's height once FitsText has made its longest word fit the width, which it
    does whatever the height. Not the tile's present size: that also shrinks to the row's
    height, and rows sized from it would shrink the text further on every pass."""
    full = tile.font_size / tile.font_scale
    wrap = tile.text_size[0]
    scale = 1.0
    while scale > MIN_FONT_SCALE and longest_word_width(tile.text, full * scale, bold=True) > wrap + 1:
        scale *= 0.92  # FitsText's own steps and test (textfit.words_fit)
    return text_height(tile.text, round(full * max(scale, MIN_FONT_SCALE), 1), wrap)
