"""Every plural message of both domains (kiosk, server) walked through each catalog's plural rule.

The rule is the catalog's own Plural-Forms, evaluated the way the standard library's gettext
evaluates it at run time (gettext.c2py); the committed .mo files are what the programs read.
"""
from __future__ import annotations

import gettext
import string

import pytest

from kiosk.i18n import N_plural, Translator
from kiosk.i18n.extract import KIOSK
from kiosk.services.errors import UserFacingError
from kiosk.ui.presenters.base import Message
from sync import catalogs
from sync.catalogs import Domain
from sync.server.notify.extract import SERVER

COUNTS = (0, 1, 2, 3, 11, 21, 101)
DOMAINS = {"kiosk": KIOSK, "server": SERVER}
CASES = [(name, language) for name, domain in DOMAINS.items() for language in domain.language_names]
ENGLISH_PLURAL_NOUNS = ("minutes", "seconds", "digits", "parcels", "compartments")


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def plural_messages(domain: Domain, language: str) -> list[catalogs.Message]:
    catalog = catalogs.read_catalog(domain.po_path(language))
    return [message for message in list(catalog)[1:] if isinstance(message.id, tuple)]


def test_the_kiosk_has_plural_messages_to_walk() -> None:
    found, _ = catalogs.scan(KIOSK)
    plurals = {item.msgid[0] for item in found if isinstance(item.msgid, tuple)}
    assert "Är du kvar? Skärmen börjar om om {seconds} sekund." in plurals
    assert "För många fel koder. Vänta {minutes} minut eller fråga personalen." in plurals


@pytest.mark.parametrize("domain_name, language", CASES)
def test_every_catalog_has_its_languages_plural_forms(domain_name: str, language: str) -> None:
    catalog = catalogs.read_catalog(DOMAINS[domain_name].po_path(language))
    expected = catalogs.SAMI_DUAL if language in ("se", "smj") else catalogs.TWO_FORMS
    assert catalog.header("Plural-Forms") == expected
    assert catalog.num_plurals == (3 if language in ("se", "smj") else 2)


@pytest.mark.parametrize("domain_name, language", CASES)
def test_every_plural_form_exists_and_keeps_its_placeholders(domain_name: str, language: str) -> None:
    domain = DOMAINS[domain_name]
    catalog = catalogs.read_catalog(domain.po_path(language))
    rule = gettext.c2py(catalog.plural_expr)
    for message in plural_messages(domain, language):
        singular, plural = message.id
        assert placeholders(singular) == placeholders(plural), message.id
        for n in COUNTS:
            index = rule(n)
            assert index < len(message.string), (language, message.id, n)
            form = message.string[index]
            assert form.strip(), (language, message.id, n)
            assert placeholders(form) == placeholders(plural), (language, message.id, n, form)


@pytest.mark.parametrize("domain_name, language", CASES)
def test_the_compiled_catalog_picks_the_same_forms(domain_name: str, language: str) -> None:
    domain = DOMAINS[domain_name]
    with open(domain.po_path(language).with_suffix(".mo"), "rb") as file:
        compiled = gettext.GNUTranslations(file)
    for message in plural_messages(domain, language):
        rule = gettext.c2py(catalogs.read_catalog(domain.po_path(language)).plural_expr)
        assert [compiled.ngettext(*message.id, n) for n in COUNTS] == \
            [message.string[rule(n)] for n in COUNTS]


def test_sami_has_a_dual() -> None:
    for language in ("se", "smj"):
        rule = gettext.c2py(catalogs.read_catalog(KIOSK.po_path(language)).plural_expr)
        assert [rule(n) for n in COUNTS] == [2, 0, 1, 2, 2, 2, 2]


def test_english_screens_say_one_minute_and_one_second() -> None:
    english = Translator("en")
    for message in plural_messages(KIOSK, "en"):
        singular, plural = message.id
        values = {name: 1 for name in placeholders(plural)}
        one = english.ngettext(singular, plural, 1, **values)
        assert not any(noun in one for noun in ENGLISH_PLURAL_NOUNS), one
    from kiosk.services.outcomes import LockedOut
    from kiosk.ui.presenters.texts import IDLE_WARNING
    assert english(IDLE_WARNING, seconds=1).endswith("start over in 1 second.")
    assert english(IDLE_WARNING, seconds=2).endswith("start over in 2 seconds.")
    locked = LockedOut(40)
    assert "Wait 1 minute or" in english(locked.message, **locked.params)


def test_a_plural_text_keeps_its_forms_through_a_message_and_an_error() -> None:
    text = N_plural("Vänta {n} minut.", "Vänta {n} minuter.", "n")
    message = Message.of(UserFacingError(text, n=3).message, "error", n=3)
    swedish = Translator("sv")
    assert swedish(message.text, **dict(message.params)) == "Vänta 3 minuter."
    assert swedish(text, n=1) == "Vänta 1 minut."


def test_a_plural_without_its_count_shows_the_swedish_plural() -> None:
    text = N_plural("{n} dag kvar", "{n} dagar kvar", "days")
    assert Translator("en")(text, n="några") == "några dagar kvar"


def test_a_broken_plural_translation_falls_back_to_the_swedish_form() -> None:
    english = Translator("en")
    english._catalog._catalog[("Koden har {count} siffra.", 1)] = "The code has {digits} digits."  # a slip
    assert english.ngettext("Koden har {count} siffra.", "Koden har {count} siffror.", 6, count=6) == \
        "Koden har 6 siffror."


@pytest.mark.parametrize("domain_name", DOMAINS)
def test_the_catalogs_are_up_to_date_with_the_code(domain_name: str) -> None:
    domain = DOMAINS[domain_name]
    found, problems = catalogs.scan(domain)
    assert not problems
    assert catalogs.update(domain, found, write=False) == [], f"run `python -m {domain.command}`"


@pytest.mark.parametrize("language", SERVER.language_names)
def test_server_catalogs_committed_mo_matches_po(language: str) -> None:
    path = SERVER.po_path(language)
    assert path.with_suffix(".mo").read_bytes() == catalogs.mo_bytes(catalogs.read_catalog(path))


def test_an_errors_own_text_is_swedish_in_the_right_form() -> None:
    text = N_plural("Vänta {n} minut.", "Vänta {n} minuter.", "n")
    assert str(UserFacingError(text, n=1)) == "Vänta 1 minut."
    assert str(UserFacingError(text, n=5)) == "Vänta 5 minuter."
