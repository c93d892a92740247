"""The fonts every language needs, as paths; the UI registers them with Kivy (no Kivy here).

DejaVu Sans, copied from Debian's fonts-dejavu-core into assets/fonts/ so the kiosk never
depends on that package at run time. Chosen over Noto Sans because it also has ● (U+25CF),
which the code display uses, and one font must cover everything: Kivy does not fall back
per glyph. Its large x-height reads well at a distance. See assets/fonts/README.md.
"""
from __future__ import annotations

from pathlib import Path

FONTS_DIR = Path(__file__).resolve().parents[2] / "assets" / "fonts"
FONT_REGULAR = FONTS_DIR / "DejaVuSans.ttf"
FONT_BOLD = FONTS_DIR / "DejaVuSans-Bold.ttf"
