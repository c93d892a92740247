"""gettext catalogs. Swedish is the source language: a missing translation shows the Swedish
string, never a key name."""
from __future__ import annotations

import gettext
from pathlib import Path

DOMAIN = "servicepunkt"
LOCALE_DIR = Path(__file__).parent


class Translator:
    def __init__(self, language: str = "sv") -> None:
        self.language = language
        self._catalog = gettext.translation(DOMAIN, LOCALE_DIR, languages=[language], fallback=True)

    def __call__(self, message: str, **params: object) -> str:
        text = self._catalog.gettext(message)
        return text.format(**params) if params else text
