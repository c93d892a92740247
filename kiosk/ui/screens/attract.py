from kivy.properties import StringProperty

from kiosk.ui.presenters import texts
from kiosk.ui.screens.base import KioskScreen


class AttractScreen(KioskScreen):
    welcome = StringProperty("")
    services = StringProperty("")
    start = StringProperty("")

    def translate(self) -> None:
        self.welcome = self.tr(texts.WELCOME, place=self.place_name)
        self.services = self.tr(texts.WELCOME_SERVICES)
        self.start = self.tr(texts.WELCOME_START)
