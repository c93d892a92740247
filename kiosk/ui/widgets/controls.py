"""Reusable controls: large buttons, tiles, the 12-key keypad, the top and bottom bars."""
from __future__ import annotations

from kivy.clock import Clock
from kivy.properties import BooleanProperty, ColorProperty, NumericProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.gridlayout import GridLayout
from kivy.uix.label import Label

from kiosk.services.localtime import clock_text
from kiosk.ui.textfit import words_fit

# ITU-T E.161 telephone layout (1-2-3 on top), with erase and OK in the bottom corners.
KEYPAD_KEYS = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "erase", "0", "ok")
KEY_ROLES = {"erase": "secondary", "ok": "success"}
MIN_FONT_SCALE = 0.7


class FitsText:
    """Shrinks the type step by step while the text overflows the widget or a word would be
    broken in the middle (long Finnish and Sámi compounds on a 7" panel); never below
    MIN_FONT_SCALE, where the screenshot checks report what still does not fit."""

    font_scale = NumericProperty(1.0)
    shrink_to_fit = BooleanProperty(True)

    def on_texture_size(self, *_args) -> None:
        self._fit()

    def on_size(self, *_args) -> None:
        if self.shrink_to_fit:
            self.font_scale = 1.0  # start again from full size for the new size...
            Clock.schedule_once(lambda _dt: self._fit())  # ...even if the type did not change

    def _fit(self) -> None:
        if not self.shrink_to_fit or self.font_scale <= MIN_FONT_SCALE:
            return
        text_height = self.texture_size[1]
        if self.size_hint_y is not None and text_height > self.height - 2:
            self.font_scale = max(MIN_FONT_SCALE, self.font_scale * min(0.95, (self.height - 2) / text_height))
        elif not words_fit(self):
            self.font_scale = max(MIN_FONT_SCALE, self.font_scale * 0.92)


class KioskButton(FitsText, Button):
    """`role` picks the fill from the theme: primary, secondary, success or danger."""

    probe_id = StringProperty("")
    font_role = StringProperty("body")  # body, title, code, small or bar: see Theme.font_sizes
    role = StringProperty("primary")
    fit_chars = NumericProperty(0)  # see the kv rule: 0 = the role's font size as it is
    fill = ColorProperty((0, 0, 0, 1))  # set by the kv rule from the role and the theme


class BarButton(KioskButton):
    """A button of the top or bottom bar: same size and place on every screen."""


class Tile(KioskButton):
    title = StringProperty("")
    subtitle = StringProperty("")
    show_subtitle = BooleanProperty(True)  # off when its grid has no room for subtitles


class KioskLabel(FitsText, Label):
    probe_id = StringProperty("")
    fit_chars = NumericProperty(0)  # as on KioskButton: > 0 fits that many characters on one line
    font_role = StringProperty("body")
    colour_role = StringProperty("text")  # a palette name: text, text_on_bar, success, danger


class MessageLabel(KioskLabel):
    kind = StringProperty("info")
    collapse_empty = BooleanProperty(False)  # no line at all while there is nothing to say


class WordKey(KioskButton):
    """Erase and OK: words on keys sized for digits, so a smaller type."""


class Keypad(GridLayout):
    __events__ = ("on_digit", "on_erase", "on_ok")
    erase_text = StringProperty("Radera")
    ok_text = StringProperty("OK")

    def on_kv_post(self, _base_widget) -> None:
        for key in KEYPAD_KEYS:
            self.add_widget(self._key(key))

    def _key(self, key: str) -> KioskButton:
        key_class = WordKey if key in KEY_ROLES else KioskButton
        button = key_class(probe_id=f"key-{key}", text=key, role=KEY_ROLES.get(key, "primary"))
        if key in KEY_ROLES:
            text_property = f"{key}_text"
            button.text = getattr(self, text_property)
            self.bind(**{text_property: button.setter("text")})
            button.bind(on_release=lambda *_: self.dispatch(f"on_{key}"))
        else:
            button.bind(on_release=lambda *_: self.dispatch("on_digit", key))
        return button

    def on_digit(self, digit: str) -> None:
        pass

    def on_erase(self) -> None:
        pass

    def on_ok(self) -> None:
        pass


class TopBar(BoxLayout):
    __events__ = ("on_language",)
    place_name = StringProperty("")
    clock_text = StringProperty("")
    language_text = StringProperty("Språk")

    def on_kv_post(self, _base_widget) -> None:
        self._tick()
        Clock.schedule_interval(lambda _dt: self._tick(), 1.0)

    def _tick(self) -> None:
        self.clock_text = clock_text()  # the service point's time, as its opening hours

    def on_language(self) -> None:
        pass


class BottomBar(BoxLayout):
    """The same controls in the same place on every screen (WCAG 3.2.3)."""

    __events__ = ("on_back", "on_help", "on_read_aloud", "on_larger_text", "on_contrast")
    label_back = StringProperty("Tillbaka")
    label_help = StringProperty("Hjälp")
    label_read = StringProperty("Läs upp")
    label_larger = StringProperty("Text +")
    label_contrast = StringProperty("Kontrast")
    larger_on = BooleanProperty(False)  # Text + drawn selected while large text is on

    def on_back(self) -> None:
        pass

    def on_help(self) -> None:
        pass

    def on_read_aloud(self) -> None:
        pass

    def on_larger_text(self) -> None:
        pass

    def on_contrast(self) -> None:
        pass
