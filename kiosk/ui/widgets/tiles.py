"""A grid of tiles inside a scroll view whose rows never cut a title in half.

Large text on a 7" panel leaves little room under a long message, and a fixed minimum row
height used to leave the last visible row cut through its title ("Försäkrings…" half
shown). Here the rows share the view when they all fit at the height their titles need;
when they do not, as many whole rows as fit share it, and only the top edge of the next
row shows below them (no text), with the scroll bar, to say the list goes on.
"""
from __future__ import annotations

from functools import lru_cache

from kivy.clock import Clock
from kivy.core.text.markup import MarkupLabel
from kivy.properties import NumericProperty
from kivy.uix.gridlayout import GridLayout

from kiosk.ui.textfit import longest_word_width
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

    def __init__(self, **kwargs) -> None:
        self._update = Clock.create_trigger(self._update_rows, -1)
        super().__init__(**kwargs)
        self.bind(view_height=self._update, width=self._update, cols=self._update, least=self._update,
                  margin=self._update, spacing=self._update)

    def add_widget(self, widget, *args, **kwargs) -> None:
        super().add_widget(widget, *args, **kwargs)
        widget.bind(text=self._update, font_size=self._update, text_size=self._update)
        self._update()

    def remove_widget(self, widget, *args, **kwargs) -> None:
        widget.unbind(text=self._update, font_size=self._update, text_size=self._update)
        super().remove_widget(widget, *args, **kwargs)
        self._update()

    def _update_rows(self, *_args) -> None:
        tiles = list(self.children)
        if not tiles or not self.cols:
            return
        rows = (len(tiles) + self.cols - 1) // self.cols
        gap = self.spacing[1]
        height = row_height(self.view_height, rows, gap, self._need(tiles), self.margin + gap)
        self.row_default_height = max(self.least, height)  # a tiny view: a target still, and it scrolls

    def _need(self, tiles) -> float:
        """The tallest tile text, plus margins, at the size it gets for its width alone."""
        tallest = max((_fitted_height(tile) for tile in tiles if tile.text and tile.text_size[0] > 1), default=0.0)
        return max(self.least, tallest + 2 * self.margin)


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
