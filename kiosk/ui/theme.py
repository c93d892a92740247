"""The live theme every .kv file binds to (`app.theme.…`): colours from the palette of the
current mode, and sizes in millimetres of the configured panel, converted to pixels.

Sizes are physical because the standards are: EN 301 549 5.1.4 asks for a capital H of at
least 6.1 mm at 500 mm, and the kiosk's targets are at least 12 mm with 2 mm gaps.
"""
from __future__ import annotations

from kivy.event import EventDispatcher
from kivy.properties import BooleanProperty, ColorProperty, DictProperty, NumericProperty

from kiosk.ui.palette import HIGH_CONTRAST, NORMAL, Palette

# DejaVu Sans' capital H is 0.729 em: 8.6 mm type gives a 6.3 mm capital (6.1 mm needed).
BODY_MM = 8.6
LARGE_TEXT_FACTOR = 1.25
TARGET_MM = 12.2  # just above the 12 mm minimum, so rounding to pixels never goes under it
GAP_MM = 2.1  # above the 2 mm minimum gap between targets
BAR_FONT_MM = 6.0  # bar labels stay this size in large-text mode, or the bars would not fit a 7" panel
# A panel under 100 mm high (7", 800x480: 86 mm) cannot hold 8.6 mm type and 12 mm targets
# together: there the type shrinks to this share and stays above 4 mm capital height.
COMPACT_HEIGHT_MM = 100.0
COMPACT_FACTOR = 0.72


class Theme(EventDispatcher):
    high_contrast = BooleanProperty(False)
    large_text = BooleanProperty(False)
    px_per_mm = NumericProperty(5.9)  # 1280 px over a 217 mm wide 10.1" panel
    compact = BooleanProperty(False)  # set from the panel's short side: see COMPACT_HEIGHT_MM
    narrow = BooleanProperty(False)  # an upright panel (taller than wide): fewer columns

    background = ColorProperty(NORMAL.background)
    text = ColorProperty(NORMAL.text)
    bar = ColorProperty(NORMAL.bar)
    text_on_bar = ColorProperty(NORMAL.text_on_bar)
    primary = ColorProperty(NORMAL.primary)
    secondary = ColorProperty(NORMAL.secondary)
    disabled = ColorProperty(NORMAL.disabled)
    text_on_fill = ColorProperty(NORMAL.text_on_fill)
    text_on_disabled = ColorProperty(NORMAL.text_on_disabled)
    success = ColorProperty(NORMAL.success)
    danger = ColorProperty(NORMAL.danger)
    pressed = ColorProperty(NORMAL.pressed)

    body_font = NumericProperty(0)
    title_font = NumericProperty(0)
    code_font = NumericProperty(0)
    small_font = NumericProperty(0)
    bar_font = NumericProperty(0)
    # Widgets bind font_size to font_sizes[font_role] once: if two kv rules each bound
    # font_size to a different size, the last one to change would win.
    font_sizes = DictProperty()
    colours = DictProperty()  # the same for colours: one binding, to colours[colour_role]
    target = NumericProperty(0)
    gap = NumericProperty(0)
    bar_height = NumericProperty(0)
    keypad_height = NumericProperty(0)  # upright panels: see _apply_sizes
    radius = NumericProperty(0)

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.bind(high_contrast=self._apply_palette, large_text=self._apply_sizes, px_per_mm=self._apply_sizes,
                  compact=self._apply_sizes)
        self._apply_palette()
        self._apply_sizes()

    @property
    def palette(self) -> Palette:
        return HIGH_CONTRAST if self.high_contrast else NORMAL

    @property
    def mode(self) -> str:
        return "high_contrast" if self.high_contrast else "normal"

    def mm(self, millimetres: float) -> float:
        return millimetres * self.px_per_mm

    def reset(self) -> None:
        """Back to the defaults: every new person starts from the same screen."""
        self.high_contrast = self.large_text = False

    def _apply_palette(self, *_args) -> None:
        palette = self.palette.as_dict()
        for name, colour in palette.items():
            setattr(self, name, colour)
        self.colours = palette

    def _apply_sizes(self, *_args) -> None:
        panel = COMPACT_FACTOR if self.compact else 1.0
        scale = panel * (LARGE_TEXT_FACTOR if self.large_text else 1.0)
        self.body_font = self.mm(BODY_MM * scale)
        self.title_font = self.mm(BODY_MM * 1.2 * scale)
        self.code_font = self.mm(BODY_MM * 1.6 * scale)
        self.small_font = self.mm(BODY_MM * 0.8 * scale)
        self.bar_font = self.mm(BAR_FONT_MM * panel)
        # "steady": the small size whatever the text mode, for the home screen's messages on a
        # 7" panel, where larger ones would leave its tiles no room (as the bars' labels).
        self.font_sizes = {"body": self.body_font, "title": self.title_font, "code": self.code_font,
                           "small": self.small_font, "bar": self.bar_font,
                           "steady": self.mm(BODY_MM * 0.8 * panel)}
        self.target = self.mm(TARGET_MM)
        self.gap = self.mm(GAP_MM)
        self.bar_height = self.mm(TARGET_MM + 2.0)
        # Upright, the keypad is under the text: its four rows of keys the target's height, so
        # that the text above (a title, a message of four lines and the code in large text on
        # a 7" Touch Display 2) gets what the keys do not need, not a fixed half of the screen.
        self.keypad_height = 4 * self.target + 3 * self.gap
        self.radius = self.mm(1.5)
