"""Automatic checks of a rendered screen: text that does not fit its widget, touch targets
under 12 mm or closer than 2 mm, text/background contrast below the mode's minimum, a scroll
bar drawn over text, and a dialog with empty space or a count wrapped away from its word.
`home_problems` adds what the home screen promises: every tile in sight at once, from the
top, all titles in one size."""
from __future__ import annotations

import re
from itertools import combinations
from typing import Any

from kivy.uix.modalview import ModalView
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
    problems += [p for root in roots for w in root.walk(restrict=True) for p in _squeezed(w)]
    problems += [p for scroller in widgets if isinstance(scroller, ScrollView)
                 for p in _bar_over_text(scroller, widgets)]
    for dialog in (root for root in roots if isinstance(root, ModalView)):
        problems += _empty_space(dialog, theme)
        problems += [p for w in dialog.walk(restrict=True) for p in _count_wrapped(w)]
    return problems


def _squeezed(widget: Any) -> list[str]:
    """Text in a column squeezed to nothing (a keypad taking the whole width draws its text one
    letter a line); _visible() leaves such widgets out of every other check."""
    if not getattr(widget, "text", "") or widget.opacity <= 0 or widget.get_root_window() is None:
        return []
    if widget.height > 1 and widget.width <= 1:
        return [f"{_name(widget)}: squeezed to {widget.width:.0f} px wide"]
    return []


EMPTY_SPACE_MM = 4.0  # more than this left over in a dialog is a hole, not a margin


def _bar_rect(scroller: Any) -> tuple[float, float, float, float] | None:
    """(left, bottom, right, top) in window pixels of the vertical scroll bar, when drawn."""
    if not scroller.do_scroll_y or scroller.viewport_size[1] <= scroller.height + 0.5 or scroller.bar_width <= 0:
        return None
    x, y = scroller.to_window(*scroller.pos)
    left = x + scroller.width - scroller.bar_width - scroller.bar_margin
    return left, y, left + scroller.bar_width, y + scroller.height


def _text_rect(widget: Any) -> tuple[float, float, float, float]:
    """Where the widget's text is drawn: its texture, centred in the widget."""
    x, y = widget.to_window(*widget.pos)
    text_w, text_h = widget.texture_size
    left, bottom = x + (widget.width - text_w) / 2, y + (widget.height - text_h) / 2
    return left, bottom, left + text_w, bottom + text_h


def _bar_over_text(scroller: Any, widgets: list[Any]) -> list[str]:
    bar = _bar_rect(scroller)
    if bar is None:
        return []
    problems: list[str] = []
    for widget in widgets:
        if widget is scroller or not getattr(widget, "text", "") or not hasattr(widget, "texture_size"):
            continue
        text = _text_rect(widget)
        visible = _visible_rect(widget)
        if visible is None:
            continue
        overlap_x = min(bar[2], text[2], visible[2]) - max(bar[0], text[0], visible[0])
        overlap_y = min(bar[3], text[3], visible[3]) - max(bar[1], text[1], visible[1])
        if overlap_x > SLACK_PX and overlap_y > SLACK_PX:
            problems.append(f"{_name(widget)}: the scroll bar is drawn over its text")
    window = scroller.get_root_window()
    if window is not None and bar[2] > window.width + SLACK_PX:
        problems.append(f"{_name(scroller)}: the scroll bar is off the screen")
    return problems


def _empty_space(dialog: Any, theme: Any) -> list[str]:
    """A dialog as high as its content: no empty half above the message."""
    problems: list[str] = []
    for content in dialog.children:
        needed = getattr(content, "minimum_height", None)
        if needed and content.height - needed > theme.mm(EMPTY_SPACE_MM):
            empty = (content.height - needed) / theme.px_per_mm
            problems.append(f"{_name(dialog)}: {empty:.0f} mm of the dialog is empty")
    return problems


_ENDS_IN_COUNT = re.compile(r"\d\s*$")


def _count_wrapped(widget: Any) -> list[str]:
    """"om 6" at the end of one line and "sekunder" on the next: a count belongs with its word."""
    lines = getattr(getattr(widget, "_label", None), "_cached_lines", None)
    if not getattr(widget, "text", "") or not lines:
        return []
    shown = ["".join(word.text for word in line.words) for line in lines]
    if any(_ENDS_IN_COUNT.search(line) for line in shown[:-1]):
        return [f"{_name(widget)}: a number is wrapped away from its word: {' / '.join(shown)!r}"]
    return []


def home_problems(screen: Any, theme: Any) -> list[str]:
    """Every home tile in sight without scrolling, home at the top, one title size for all."""
    scroller, grid = screen.ids.scroller, screen.ids.tiles
    problems: list[str] = []
    if scroller.scroll_y < 0.999 and grid.height > scroller.height + SLACK_PX:
        problems.append(f"home: opened scrolled down (scroll_y {scroller.scroll_y:.2f}), not at the top")
    _left, sy = scroller.to_window(*scroller.pos)
    for tile in grid.children:
        _x, y = tile.to_window(*tile.pos)
        if y < sy - SLACK_PX or y + tile.height > sy + scroller.height + SLACK_PX:
            problems.append(f"{_name(tile)}: not wholly in sight without scrolling")
    sizes = sorted({round(tile.font_size, 1) for tile in grid.children})
    if len(sizes) > 1:
        problems.append(f"home: tile titles in {len(sizes)} sizes {sizes}, not one")
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
