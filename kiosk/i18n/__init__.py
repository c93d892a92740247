"""gettext catalogs. Swedish is the source language: a missing translation shows the Swedish
string, never a key name.

Catalogs live in kiosk/i18n/<lang>/LC_MESSAGES/servicepunkt.po; the compiled .mo files beside
them are committed and kept in step by `python -m kiosk.i18n.extract` (a test checks it).
No Kivy here: the UI, the CLI and the speech service all translate through this module.

A sentence with a count is a plural: `N_plural("Vänta {minutes} minut.", "Vänta {minutes}
minuter.", "minutes")` marks it for the catalogs and returns a `PluralText`, which passes
anywhere a msgid does (a Message, a UserFacingError); the Translator then picks the form the
language's `Plural-Forms` rule gives for that parameter (Sámi has a dual: 1, 2, more).
"""
from __future__ import annotations

import gettext
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Self

DOMAIN = "servicepunkt"
LOCALE_DIR = Path(__file__).parent
SOURCE_LANGUAGE = "sv"
CHECKED_HEADER = "X-Checked-By-Fluent-Speaker"  # "yes" only once someone fluent has read it all

# Each language's name in that language: the picker must be readable by those who need it.
LANGUAGE_NAMES = {
    "sv": "Svenska",
    "en": "English",
    "fi": "Suomi",
    "fit": "Meänkieli",
    "se": "Davvisámegiella",
    "smj": "Julevsámegiella",
}
TRANSLATED_LANGUAGES = tuple(code for code in LANGUAGE_NAMES if code != SOURCE_LANGUAGE)

log = logging.getLogger(__name__)


class PluralText(str):
    """A msgid with its plural form; its value is the singular (the catalogs' key for it)."""

    plural: str
    count_param: str  # the parameter that holds the number

    def __new__(cls, singular: str, plural: str, count: str) -> Self:
        text = super().__new__(cls, singular)
        text.plural, text.count_param = plural, count
        return text

    def __reduce__(self) -> tuple[object, ...]:  # copies and pickles keep the plural
        return (PluralText, (str(self), self.plural, self.count_param))


def N_plural(singular: str, plural: str, count: str) -> PluralText:
    """Marks a sentence with a count for translation; `count` names the parameter with the number."""
    return PluralText(singular, plural, count)


def source_text(message: str, **params: object) -> str:
    """The Swedish text itself, the plural form picked by its count: for logs and exceptions."""
    if isinstance(message, PluralText) and params.get(message.count_param) != 1:
        message = message.plural
    return message.format(**params) if params else str(message)


@dataclass(frozen=True)
class Language:
    code: str  # BCP 47 tag, also the catalog folder name
    name: str  # in the language itself
    checked_by_fluent_speaker: bool


def _load(language: str) -> gettext.NullTranslations:
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[language], fallback=True)


def _checked(language: str, catalog: gettext.NullTranslations) -> bool:
    if language == SOURCE_LANGUAGE:
        return True  # the source strings are written by the team in Swedish
    return catalog.info().get(CHECKED_HEADER.lower(), "no").strip().lower() == "yes"


class Translator:
    """`Translator("fi")("Fack {compartment}", compartment="A3")` -> "Lokero A3"."""

    def __init__(self, language: str = SOURCE_LANGUAGE) -> None:
        if language not in LANGUAGE_NAMES:
            log.warning("unknown language %r; showing Swedish", language)
            language = SOURCE_LANGUAGE
        self._language = language
        self._catalog = _load(language)

    @property
    def language(self) -> str:
        return self._language

    @property
    def checked_by_fluent_speaker(self) -> bool:
        return _checked(self._language, self._catalog)

    def __call__(self, message: str, **params: object) -> str:
        if isinstance(message, PluralText):
            count = params.get(message.count_param)
            if isinstance(count, int):
                return self.ngettext(str(message), message.plural, count, **params)
            log.warning("plural %r shown without its count %r", str(message), message.count_param)
            return self._format(message.plural, message.plural, params)
        text = self._catalog.gettext(message) if message else message
        return self._format(text, message, params)

    def ngettext(self, singular: str, plural: str, n: int, /, **params: object) -> str:
        """The form of the sentence for `n` things, formatted with `params` (n is not added)."""
        text = self._catalog.ngettext(singular, plural, n)
        return self._format(text, singular if n == 1 else plural, params)

    def _format(self, text: str, swedish: str, params: dict[str, object]) -> str:
        if not params:
            return text
        try:
            return text.format(**params)
        except (KeyError, IndexError, ValueError):
            # A broken placeholder in one translation must not break the screen: show Swedish.
            log.warning("bad placeholders in %s translation of %r", self._language, swedish)
            return swedish.format(**params)


def available_languages() -> list[Language]:
    """Every language the kiosk offers, Swedish first; unchecked ones are offered too."""
    return [Language(code, name, _checked(code, _load(code))) for code, name in LANGUAGE_NAMES.items()]
