from kivy.metrics import sp

from kiosk.ui.screens.base import KioskScreen


class AttractScreen(KioskScreen):
    def translate(self) -> None:
        tr = self.tr
        self.ids.welcome.text = (
            f"[size={int(sp(60))}][b]{tr('Välkommen till {place}', place=self.place_name)}[/b][/size]\n\n"
            f"{tr('Hämta paket, ring en myndighet, använd e-tjänster.')}\n\n"
            f"[b]{tr('Tryck var som helst för att börja')}[/b]"
        )
