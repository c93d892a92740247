"""Does the longest word of a text fit a width at a font size? Kivy breaks a word that does
not fit in the middle ("Videoságastalla / m"), which nobody can read; long Sámi and Finnish
compounds make this real on small panels."""
from __future__ import annotations

import re
from functools import lru_cache

from kivy.core.text import Label as CoreLabel

MARKUP = re.compile(r"\[/?[a-z]+(=[^\]]*)?\]")


def longest_word_width(text: str, font_size: float, bold: bool = False) -> float:
    words = MARKUP.sub(" ", text).split()
    return _word_width(max(words, key=len), round(font_size, 1), bold) if words else 0.0


@lru_cache(maxsize=4096)
def _word_width(word: str, font_size: float, bold: bool) -> float:
    """Rendering a word to measure it costs a texture: texts repeat, so measure each once."""
    label = CoreLabel(text=word, font_size=font_size, bold=bold)
    label.refresh()
    return float(label.texture.size[0])


def words_fit(widget) -> bool:
    """True when no word of the widget's text is wider than the width it wraps to."""
    wrap_width = (widget.text_size[0] if widget.text_size and widget.text_size[0] else None)
    if not wrap_width or not widget.text:
        return True
    bold = widget.bold or "[b]" in widget.text
    return longest_word_width(widget.text, widget.font_size, bold) <= wrap_width + 1
