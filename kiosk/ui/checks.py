"""Automatic checks of a rendered screen: text that does not fit its widget, touch targets
under 12 mm or closer than 2 mm, and text/background contrast below the mode's minimum."""
from __future__ import annotations

from itertools import combinations

from kivy.uix.scrollview import ScrollView

from kiosk.ui.palette import MINIMUM_CONTRAST, contrast_ratio
from kiosk.ui.textfit import words_fit
from kiosk.ui.widgets.controls import KioskButton, TopBar

MIN_TARGET_MM = 12.0
MIN_GAP_MM = 2.0
SLACK_PX = 1.5  # sub-pixel layout rounding


def check_screen(roots, theme) -> list[str]:
    """`roots`: what the person sees and can touch (the screen, or a modal covering it)."""
    widgets = [w for root in roots for w in root.walk(restrict=True) if _visible(w)]
    buttons = [w for w in widgets if isinstance(w, KioskButton)]
    problems = [p for w in widgets for p in _fits(w)]
    problems += [p for w in widgets for p in _inside_parent(w)]
    problems += [p for b in buttons for p in _target(b, theme)]
    problems += [p for a, b in combinations(buttons, 2) for p in _gap(a, b, theme)]
    problems += [p for w in widgets for p in _contrast(w, theme)]
    return problems


def _visible(widget) -> bool:
    return widget.opacity > 0 and widget.width > 1 and widget.height > 1 and widget.get_root_window() is not None


def _name(widget) -> str:
    return getattr(widget, "probe_id", "") or f"{type(widget).__name__}({getattr(widget, 'text', '')[:20]!r})"


def _fits(widget) -> list[str]:
    text = getattr(widget, "text", "")
    if not text or not hasattr(widget, "texture_size"):
        return []
    text_w, text_h = widget.texture_size
    if text_w > widget.width + SLACK_PX or text_h > widget.height + SLACK_PX:
        return [f"{_name(widget)}: text {text_w:.0f}x{text_h:.0f} px does not fit {widget.width:.0f}x{widget.height:.0f}"]
    if not words_fit(widget):
        return [f"{_name(widget)}: a word is broken in the middle: it is wider than the widget"]
    return []


def _inside_parent(widget) -> list[str]:
    """A layout whose children need more room than it has pushes them out of its box."""
    parent = widget.parent
    if not getattr(widget, "text", "") or parent is None or parent is widget or _in_scroller(widget):
        return []
    if not hasattr(parent, "to_window") or parent is widget.get_root_window():
        return []
    (x, y), (px, py) = widget.to_window(*widget.pos), parent.to_window(*parent.pos)
    outside = (x < px - SLACK_PX or y < py - SLACK_PX or x + widget.width > px + parent.width + SLACK_PX
               or y + widget.height > py + parent.height + SLACK_PX)
    return [f"{_name(widget)}: pushed out of its container (not enough room)"] if outside else []


def _ancestors(widget):
    parent = widget.parent
    while parent is not None and parent is not widget:
        yield parent
        widget, parent = parent, parent.parent  # the Window is its own parent: stop there


def _in_scroller(widget) -> bool:
    return any(isinstance(parent, ScrollView) for parent in _ancestors(widget))


def _target(button, theme) -> list[str]:
    width, height = button.width / theme.px_per_mm, button.height / theme.px_per_mm
    if min(width, height) < MIN_TARGET_MM:
        return [f"{_name(button)}: target {width:.1f}x{height:.1f} mm is under {MIN_TARGET_MM} mm"]
    return []


def _visible_rect(widget) -> tuple[float, float, float, float] | None:
    """(left, bottom, right, top) in window pixels of the part not hidden by a scroll view."""
    x, y = widget.to_window(*widget.pos)
    left, bottom, right, top = x, y, x + widget.width, y + widget.height
    for scroller in (p for p in _ancestors(widget) if isinstance(p, ScrollView)):
        sx, sy = scroller.to_window(*scroller.pos)
        left, bottom = max(left, sx), max(bottom, sy)
        right, top = min(right, sx + scroller.width), min(top, sy + scroller.height)
    return (left, bottom, right, top) if right > left and top > bottom else None


def _gap(a, b, theme) -> list[str]:
    ra, rb = _visible_rect(a), _visible_rect(b)
    if ra is None or rb is None:
        return []  # scrolled out of sight: not touchable where it is
    dx = max(rb[0] - ra[2], ra[0] - rb[2], 0)
    dy = max(rb[1] - ra[3], ra[1] - rb[3], 0)
    gap_mm = max(dx, dy) / theme.px_per_mm
    if gap_mm + SLACK_PX / theme.px_per_mm < MIN_GAP_MM:
        return [f"{_name(a)} and {_name(b)}: {gap_mm:.1f} mm apart, under {MIN_GAP_MM} mm"]
    return []


def _contrast(widget, theme) -> list[str]:
    if not getattr(widget, "text", "") or not hasattr(widget, "color"):
        return []
    foreground = widget.disabled_color if widget.disabled else widget.color
    background = widget.fill if isinstance(widget, KioskButton) else _background_of(widget, theme)
    ratio = contrast_ratio(tuple(foreground), tuple(background))
    minimum = MINIMUM_CONTRAST[theme.mode]
    if ratio < minimum:
        return [f"{_name(widget)}: contrast {ratio:.1f}:1 is under {minimum}:1"]
    return []


def _background_of(widget, theme):
    in_bar = any(isinstance(parent, TopBar) for parent in _ancestors(widget))
    return theme.bar if in_bar else theme.background
