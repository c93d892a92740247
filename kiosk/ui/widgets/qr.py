"""A QR code drawn from its module matrix: one texture pixel per module, scaled up with
nearest-neighbour filtering so the edges stay sharp, and a whole number of screen pixels per
module so every module is the same size (a camera reads uneven modules worse).

Always dark on white, quiet zone included, in every display mode: a phone's camera needs that
contrast and polarity (many readers cannot read a light code on a dark ground)."""
from __future__ import annotations

from kivy.graphics import Color, Rectangle
from kivy.graphics.texture import Texture
from kivy.properties import ObjectProperty, StringProperty
from kivy.uix.widget import Widget

from kiosk.services.phone_link import rgba_pixels


class QrCode(Widget):
    probe_id = StringProperty("")
    modules = ObjectProperty(None, allownone=True)  # phone_link.Modules, quiet zone included

    def __init__(self, **kwargs) -> None:
        self._texture = None
        super().__init__(**kwargs)
        self.bind(pos=self._draw, size=self._draw)

    def on_modules(self, *_args) -> None:
        self._texture = texture_of(self.modules) if self.modules else None
        self._draw()

    @property
    def side(self) -> int:
        """The drawn square's side in pixels: the largest whole multiple of the module count."""
        count = len(self.modules) if self.modules else 1
        return int(min(self.width, self.height) // count) * count

    def _draw(self, *_args) -> None:
        self.canvas.clear()
        if self._texture is None or self.side <= 0:
            return
        side = self.side
        with self.canvas:
            Color(1, 1, 1, 1)
            Rectangle(texture=self._texture, size=(side, side),
                      pos=(int(self.center_x - side / 2), int(self.center_y - side / 2)))


def texture_of(modules) -> Texture:
    count = len(modules)
    texture = Texture.create(size=(count, count), colorfmt="rgba")
    texture.blit_buffer(rgba_pixels(modules), colorfmt="rgba", bufferfmt="ubyte")
    texture.mag_filter = texture.min_filter = "nearest"
    return texture
