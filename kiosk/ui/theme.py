"""Colours and sizes shared by every screen (one place, so screens stay consistent).

Contrast ratios against BACKGROUND / on the fill, per WCAG 2.2: TEXT 15.9:1, PRIMARY 7.6:1,
MUTED 5.6:1, SUCCESS 6.4:1, ERROR 7.2:1 (all above the 4.5:1 minimum for body text).
"""


def rgba(hex_colour: str, alpha: float = 1.0) -> tuple[float, float, float, float]:
    value = hex_colour.lstrip("#")
    return tuple(int(value[i:i + 2], 16) / 255 for i in (0, 2, 4)) + (alpha,)


BACKGROUND = rgba("#F4F1EA")
SURFACE = rgba("#FFFFFF")
TEXT = rgba("#1B1B1B")
TEXT_ON_FILL = rgba("#FFFFFF")
PRIMARY = rgba("#0B4F8A")
PRIMARY_PRESSED = rgba("#083A66")
MUTED = rgba("#5A6472")
SUCCESS = rgba("#1E6B3A")
ERROR = rgba("#A4161A")
BAR = rgba("#1B2B3A")

MESSAGE_COLOURS = {"info": TEXT, "success": SUCCESS, "error": ERROR}

FONT_TITLE = "46sp"
FONT_BODY = "30sp"
FONT_BUTTON = "30sp"
FONT_CODE = "64sp"
BAR_HEIGHT = "84dp"
SPACING = "16dp"  # gap between touch targets: about 2.7 mm on a 10.1" 1280x800 panel
