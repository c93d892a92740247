"""Reusable controls: large buttons, tiles, the 12-key keypad, the top and bottom bars."""
from __future__ import annotations

import time

from kivy.clock import Clock
from kivy.properties import ListProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.gridlayout import GridLayout
from kivy.uix.label import Label

from kiosk.ui import theme

# ITU-T E.161 telephone layout (1-2-3 on top), with erase and OK in the bottom corners.
KEYPAD_KEYS = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "erase", "0", "ok")


class KioskButton(Button):
    probe_id = StringProperty("")
    fill = ListProperty(theme.PRIMARY)


class Tile(KioskButton):
    title = StringProperty("")
    subtitle = StringProperty("")


class MessageLabel(Label):
    probe_id = StringProperty("")
    kind = StringProperty("info")


class Keypad(GridLayout):
    __events__ = ("on_digit", "on_erase", "on_ok")
    erase_text = StringProperty("Radera")
    ok_text = StringProperty("OK")

    def on_kv_post(self, _base_widget) -> None:
        for key in KEYPAD_KEYS:
            self.add_widget(self._key(key))

    def _key(self, key: str) -> KioskButton:
        button = KioskButton(probe_id=f"key-{key}", text=key, fill=theme.PRIMARY if key.isdigit() else theme.MUTED)
        if key == "erase":
            self.bind(erase_text=button.setter("text"))
            button.text = self.erase_text
            button.bind(on_release=lambda *_: self.dispatch("on_erase"))
        elif key == "ok":
            self.bind(ok_text=button.setter("text"))
            button.text, button.fill = self.ok_text, theme.SUCCESS
            button.bind(on_release=lambda *_: self.dispatch("on_ok"))
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
    place_name = StringProperty("")
    clock_text = StringProperty("")

    def on_kv_post(self, _base_widget) -> None:
        self._tick()
        Clock.schedule_interval(lambda _dt: self._tick(), 1.0)

    def _tick(self) -> None:
        self.clock_text = time.strftime("%H:%M")


class BottomBar(BoxLayout):
    __events__ = ("on_back", "on_help")
    back_text = StringProperty("Tillbaka")
    help_text = StringProperty("Hjälp")

    def on_back(self) -> None:
        pass

    def on_help(self) -> None:
        pass
