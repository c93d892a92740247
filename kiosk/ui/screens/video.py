from kiosk.services.errors import N_
from kiosk.ui.presenters.video import BOOKING, pick
from kiosk.ui.screens.browser_visit import BrowserVisitScreen
from kiosk.ui.widgets.controls import Keypad, MessageLabel
from kiosk.ui.widgets.scroll import KioskScrollView

BOOKED = N_("Jag har en bokad tid")
BOOKED_HINT = N_("Skriv in koden från bokningen")
END_CALL = N_("Avsluta samtalet")


class VideoScreen(BrowserVisitScreen):
    end_text = END_CALL
    _code_label = None

    @property
    def visit(self):
        return self.session.video

    def body_key(self, video) -> tuple:
        if video.phase == BOOKING:
            return (BOOKING,)
        return (video.phase, tuple((t.id, t.open_now, t.subtitle) for t in video.tiles))

    def update_body(self, video) -> None:
        if video.phase == BOOKING and self._code_label is not None:
            self._code_label.text = video.code.shown

    def fill_body(self, video) -> None:
        self._code_label = None
        side = self.ids.side
        side.clear_widgets()
        side.width = 0
        if video.phase == BOOKING:
            self._code_label = self._code(video)
            self.ids.body.add_widget(self._code_label)
            keypad = self._keypad(video)
            side.add_widget(keypad)
            keypad.bind(width=side.setter("width"))  # beside the text; upright the kv rule sizes it
            side.width = keypad.width
        else:
            self.ids.body.add_widget(self._services(video))

    def _services(self, video) -> KioskScrollView:
        scroller = KioskScrollView(do_scroll_x=False)
        grid = self._grid()
        language = self.tr.language
        for tile in video.tiles:
            grid.add_widget(self.tile(f"service-{tile.id}", pick(tile.names, language), self.text_of(tile.subtitle),
                                      lambda tile_id=tile.id: video.call(tile_id),
                                      "primary" if tile.open_now else "secondary"))
        grid.add_widget(self.tile("booked", self.tr(BOOKED), self.tr(BOOKED_HINT), video.open_booking, "success"))
        scroller.add_widget(grid)
        return scroller

    @staticmethod
    def _code(video) -> MessageLabel:
        return MessageLabel(probe_id="code", font_role="code", bold=True, text=video.code.shown,
                            fit_chars=max(11, len(video.code.shown)))

    def _keypad(self, video) -> Keypad:
        keypad = Keypad(erase_text=self.tr("Radera"), ok_text=self.tr("OK"), pos_hint={"top": 1})
        keypad.bind(on_digit=lambda _k, digit: video.press_digit(digit), on_erase=lambda *_: video.erase(),
                    on_ok=lambda *_: video.submit())
        return keypad

    def _grid(self):
        from kivy.factory import Factory

        return Factory.VisitTiles()
