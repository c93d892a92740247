"""Registers the bundled fonts (they cover å ä ö and the Sámi letters) as Kivy's default."""
from __future__ import annotations

import logging

from kivy.core.text import DEFAULT_FONT, LabelBase

from kiosk.i18n.fonts import FONT_BOLD, FONT_REGULAR

log = logging.getLogger(__name__)


def register() -> None:
    if FONT_REGULAR.exists() and FONT_BOLD.exists():
        LabelBase.register(DEFAULT_FONT, str(FONT_REGULAR), fn_bold=str(FONT_BOLD))
    else:
        log.warning("bundled fonts missing: %s", FONT_REGULAR.parent)
