from kivy.properties import BooleanProperty, StringProperty

from kiosk.ui.presenters import texts
from kiosk.ui.screens.base import KioskScreen


class AttractScreen(KioskScreen):
    welcome = StringProperty("")
    services = StringProperty("")
    start = StringProperty("")
    door_alarm_shown = BooleanProperty(False)  # the alarm takes the services line's room

    def _doors_changed(self, open_doors) -> None:
        super()._doors_changed(open_doors)
        self.door_alarm_shown = bool(open_doors.alarms)

    def translate(self) -> None:
        self.welcome = self.tr(texts.WELCOME, place=self.place_name)
        self.services = self.tr(texts.WELCOME_SERVICES)
        self.start = self.tr(texts.WELCOME_START)
