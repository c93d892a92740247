from kiosk.ui.presenters import texts
from kiosk.ui.screens.base import KioskScreen


class AttractScreen(KioskScreen):
    def translate(self) -> None:
        tr = self.tr
        title_size = int(self.app().theme.title_font * 1.2)
        self.ids.welcome.text = (
            f"[size={title_size}][b]{tr(texts.WELCOME, place=self.place_name)}[/b][/size]\n\n"
            f"{tr(texts.WELCOME_SERVICES)}\n\n[b]{tr(texts.WELCOME_START)}[/b]"
        )
