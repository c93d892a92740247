"""The line that shows what is being typed on a keypad: the typed digits in the text's colour,
the places still empty dimmed (halfway to the background), so that no empty place looks like
input (a clerk read the drop-off screen's "07_", drawn as the digits were, as typed, and saved
01234567 as +461234567). The label stays `bold` as a whole: the type fitting counts bold widths."""
from __future__ import annotations

from kivy.app import App
from kivy.properties import StringProperty
from kivy.utils import escape_markup, get_hex_from_color

from kiosk.ui.widgets.controls import MessageLabel

DIM_SHARE = 0.5  # the empty places: halfway between the text's colour and the background


class EntryLine(MessageLabel):
    typed = StringProperty("")
    empty = StringProperty("")

    def on_kv_post(self, base_widget: object) -> None:
        super().on_kv_post(base_widget)
        self.markup = True
        self.bind(typed=self._compose, empty=self._compose, color=self._compose)
        self._compose()

    def show(self, typed: str, empty: str = "") -> None:
        """Sets both parts at once; a plain message (a door, a code) is `show(text)`."""
        self.typed, self.empty = typed, empty

    def _compose(self, *_args: object) -> None:
        typed = escape_markup(self.typed)
        empty = f"[color={self._dim_hex()}]{escape_markup(self.empty)}[/color]" if self.empty else ""
        self.text = typed + empty

    def _dim_hex(self) -> str:
        theme = App.get_running_app().theme
        dim = [c * (1 - DIM_SHARE) + b * DIM_SHARE for c, b in zip(self.color[:3], theme.background[:3])]
        return str(get_hex_from_color([*dim, 1.0]))
