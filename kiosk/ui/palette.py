"""Colours for the two display modes, and the WCAG contrast arithmetic that checks them.

No Kivy here: the palettes and their contrast are tested without a window.
"""
from __future__ import annotations

from dataclasses import dataclass, fields

RGBA = tuple[float, float, float, float]


def rgba(hex_colour: str, alpha: float = 1.0) -> RGBA:
    value = hex_colour.lstrip("#")
    return tuple(int(value[i:i + 2], 16) / 255 for i in (0, 2, 4)) + (alpha,)


def relative_luminance(colour: RGBA) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(c) for c in colour[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: RGBA, b: RGBA) -> float:
    """WCAG 2.2 contrast ratio, 1..21."""
    light, dark = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


@dataclass(frozen=True)
class Palette:
    background: RGBA
    text: RGBA
    bar: RGBA
    text_on_bar: RGBA
    primary: RGBA  # the one main action of a screen
    secondary: RGBA  # Back, Help and other always-present controls
    disabled: RGBA
    text_on_fill: RGBA  # on primary, secondary, success, danger fills
    text_on_disabled: RGBA
    success: RGBA  # fill of a confirming button, and success text on the background
    danger: RGBA  # fill of a cancelling button, and error text on the background
    pressed: RGBA

    def text_pairs(self) -> dict[str, tuple[RGBA, RGBA]]:
        """Every (foreground, background) pair the screens draw text with."""
        return {
            "text/background": (self.text, self.background),
            "success/background": (self.success, self.background),
            "error/background": (self.danger, self.background),
            "bar": (self.text_on_bar, self.bar),
            "primary": (self.text_on_fill, self.primary),
            "secondary": (self.text_on_fill, self.secondary),
            "success fill": (self.text_on_fill, self.success),
            "danger fill": (self.text_on_fill, self.danger),
            "pressed": (self.text_on_fill, self.pressed),
            "disabled": (self.text_on_disabled, self.disabled),
        }

    def as_dict(self) -> dict[str, RGBA]:
        return {field.name: getattr(self, field.name) for field in fields(self)}


NORMAL = Palette(
    background=rgba("#F4F1EA"), text=rgba("#1B1B1B"), bar=rgba("#1B2B3A"), text_on_bar=rgba("#FFFFFF"),
    primary=rgba("#0B4F8A"), secondary=rgba("#4A5462"), disabled=rgba("#D5D2CB"),
    text_on_fill=rgba("#FFFFFF"), text_on_disabled=rgba("#3F3F3F"),
    success=rgba("#1E6B3A"), danger=rgba("#A4161A"), pressed=rgba("#062C4D"),
)

# High contrast: light on black, every pair at least 7:1 (WCAG 1.4.6).
HIGH_CONTRAST = Palette(
    background=rgba("#000000"), text=rgba("#FFFFFF"), bar=rgba("#000000"), text_on_bar=rgba("#FFFFFF"),
    primary=rgba("#FFE14D"), secondary=rgba("#FFFFFF"), disabled=rgba("#3A3A3A"),
    text_on_fill=rgba("#000000"), text_on_disabled=rgba("#FFFFFF"),
    success=rgba("#7CFFA4"), danger=rgba("#FF9C9C"), pressed=rgba("#BFBFBF"),
)

MINIMUM_CONTRAST = {"normal": 4.5, "high_contrast": 7.0}
