from kiosk.ui.presenters import texts
from kiosk.ui.screens.base import KioskScreen


class HelpScreen(KioskScreen):
    def translate(self) -> None:
        self.ids.body.text = self.tr(texts.HELP_TEXT)
        self.ids.volume_down.text = self.tr("Tystare")
        self.ids.volume_up.text = self.tr("Högre")
