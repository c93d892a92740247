"""Catalogs, the extraction tool, the Translator and the fonts that must draw every language."""
from __future__ import annotations

import gettext
import string
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from kiosk.i18n import LANGUAGE_NAMES, TRANSLATED_LANGUAGES, Translator, available_languages, extract
from kiosk.i18n.fonts import FONT_BOLD, FONT_REGULAR
from kiosk.i18n.po import Catalog, Entry, compile_mo, format_po, read_po

CATALOGS = {language: read_po(extract.po_path(language)) for language in TRANSLATED_LANGUAGES}
FOUND, PROBLEMS = extract.scan()
CODE_MSGIDS = sorted({item.msgid for item in FOUND})
SAMI_LETTERS = "áčđŋšŧžÁČĐŊŠŦŽ"


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


# --- catalogs ----------------------------------------------------------------------------------

def test_the_scan_finds_strings_in_services_presenters_and_screens() -> None:
    where = {item.reference.split("/")[1] for item in FOUND}
    assert {"services", "ui"} <= where
    assert "Koden stämmer inte. Kontrollera koden i ditt meddelande och försök igen." in CODE_MSGIDS
    assert not PROBLEMS, PROBLEMS


@pytest.mark.parametrize("language", TRANSLATED_LANGUAGES)
def test_every_msgid_in_the_code_is_translated(language: str) -> None:
    # An obsolete entry counts: it is one translated before its code was committed (see extract.py).
    entries = CATALOGS[language].entries
    missing = [msgid for msgid in CODE_MSGIDS if msgid not in entries]
    untranslated = [msgid for msgid in CODE_MSGIDS if msgid in entries and not entries[msgid].translated]
    assert not missing, f"run `python -m kiosk.i18n.extract` and translate; missing in {language}: {missing}"
    assert not untranslated, f"translate in kiosk/i18n/{language}/LC_MESSAGES/servicepunkt.po: {untranslated}"


@pytest.mark.parametrize("language", TRANSLATED_LANGUAGES)
def test_every_msgid_in_the_code_is_translated_at_run_time(language: str) -> None:
    translate = Translator(language)
    assert not [msgid for msgid in CODE_MSGIDS if translate(msgid) == msgid and msgid != "OK"]


@pytest.mark.parametrize("language", TRANSLATED_LANGUAGES)
def test_placeholders_match_between_msgid_and_translation(language: str) -> None:
    wrong = {entry.msgid: entry.msgstr for entry in CATALOGS[language].entries.values()
             if entry.msgstr and placeholders(entry.msgid) != placeholders(entry.msgstr)}
    assert not wrong


@pytest.mark.parametrize("language", TRANSLATED_LANGUAGES)
def test_catalog_header_says_whether_a_fluent_speaker_checked_it(language: str) -> None:
    catalog = CATALOGS[language]
    checked = catalog.header_fields()["X-Checked-By-Fluent-Speaker"]
    assert checked in ("yes", "no")
    if checked == "no":
        assert "machine-drafted, not checked by a fluent speaker" in catalog.header.comments
    assert Translator(language).checked_by_fluent_speaker is (checked == "yes")


@pytest.mark.parametrize("language, letters", [("se", "áčšđŋž"), ("smj", "áŋå")])
def test_sami_translations_use_sami_letters(language: str, letters: str) -> None:
    # Guards against a draft typed with plain ASCII stand-ins (c for č, d for đ, n for ŋ).
    text = " ".join(entry.msgstr for entry in CATALOGS[language].entries.values())
    assert set(letters) <= set(text)


@pytest.mark.parametrize("language", TRANSLATED_LANGUAGES)
def test_committed_mo_matches_its_po(language: str) -> None:
    path = extract.po_path(language)
    assert path.with_suffix(".mo").read_bytes() == compile_mo(read_po(path))


# --- the PO/MO tooling ------------------------------------------------------------------------

def test_merge_keeps_translations_adds_new_and_marks_removed_obsolete() -> None:
    old = Catalog(Entry("", "Language: fi\n"), {
        "Hej": Entry("Hej", "Moi"), "Borta": Entry("Borta", "Poissa"), "Tom": Entry("Tom", "")})
    found = [extract.Found("Hej", "kiosk/a.py:1", False), extract.Found("Ny {n}", "kiosk/a.py:2", True)]
    merged = extract.merge(old, found).entries
    assert merged["Hej"].msgstr == "Moi" and not merged["Hej"].obsolete
    assert merged["Ny {n}"].msgstr == "" and merged["Ny {n}"].flags == ["python-brace-format"]
    assert merged["Borta"].obsolete and merged["Borta"].msgstr == "Poissa"
    assert "Tom" not in merged
    assert merged["Hej"].references == ["kiosk/a.py"]


def test_po_round_trip_and_mo_read_by_gettext(tmp_path: Path) -> None:
    catalog = Catalog(Entry("", "Language: se\nContent-Type: text/plain; charset=UTF-8\n", ["a comment"]), {
        'Säg "hej"\n': Entry('Säg "hej"\n', 'Dadja "bures"\n', ["note"], ["kiosk/x.py:3"]),
        "Otolkad": Entry("Otolkad", "Fuzzy", flags=["fuzzy"]),
        "Gammal": Entry("Gammal", "Boares", obsolete=True)})
    path = tmp_path / "se.po"
    path.write_text(format_po(catalog), encoding="utf-8")
    again = read_po(path)
    assert format_po(again) == format_po(catalog)
    (tmp_path / "se.mo").write_bytes(compile_mo(again))
    with open(tmp_path / "se.mo", "rb") as file:
        translations = gettext.GNUTranslations(file)
    assert translations.gettext('Säg "hej"\n') == 'Dadja "bures"\n'
    assert translations.gettext("Otolkad") == "Otolkad"  # fuzzy: not used
    assert translations.gettext("Gammal") == "Boares"  # obsolete but translated: kept on purpose
    assert translations.info()["language"] == "se"


def test_the_scan_reports_f_strings(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(extract, "PROJECT_ROOT", tmp_path)
    source = tmp_path / "screen.py"
    source.write_text('x = 1\nself.tr(f"Fack {x}")\nN_("Hej")\nprint("not me")\n', encoding="utf-8")
    problems: list[str] = []
    found = extract.scan_file(source, problems)
    assert [item.msgid for item in found] == ["Hej"]
    assert problems and "screen.py:2" in problems[0]


# --- the Translator -----------------------------------------------------------------------------

def test_translates_with_placeholders_and_keeps_the_old_call_form() -> None:
    assert Translator("fi")("Fack {compartment}", compartment="A3") == "Lokero A3"
    assert Translator("sv")("Fack {compartment}", compartment="A3") == "Fack A3"


def test_a_missing_string_falls_back_to_swedish_not_a_key() -> None:
    for language in LANGUAGE_NAMES:
        assert Translator(language)("Den här meningen finns inte i någon katalog.") == \
            "Den här meningen finns inte i någon katalog."
        assert Translator(language)("Saknas {n}", n=2) == "Saknas 2"


def test_a_broken_translation_falls_back_to_swedish_for_that_string() -> None:
    translator = Translator("en")
    translator._catalog._catalog["Fack {compartment}"] = "Compartment {door}"  # a translator's slip
    assert translator("Fack {compartment}", compartment="B2") == "Fack B2"


def test_unknown_language_shows_swedish() -> None:
    translator = Translator("xx")
    assert translator.language == "sv"
    assert translator("Hämta paket") == "Hämta paket"


def test_available_languages_are_named_in_their_own_language() -> None:
    languages = available_languages()
    assert [language.code for language in languages] == ["sv", "en", "fi", "fit", "se", "smj"]
    assert [language.name for language in languages] == [
        "Svenska", "English", "Suomi", "Meänkieli", "Davvisámegiella", "Julevsámegiella"]
    assert languages[0].checked_by_fluent_speaker is True
    unchecked = {language.code for language in languages if not language.checked_by_fluent_speaker}
    assert {"fit", "se", "smj"} <= unchecked


def test_every_language_translates_something() -> None:
    for language in TRANSLATED_LANGUAGES:
        translator = Translator(language)
        assert translator.language == language
        assert translator("Hämta paket") != "Hämta paket", language


# --- fonts -----------------------------------------------------------------------------------

REQUIRED_GLYPHS = "åäöÅÄÖ" + SAMI_LETTERS + "•●”…"


def render(font: ImageFont.FreeTypeFont, text: str) -> bytes:
    image = Image.new("L", (120, 120))
    ImageDraw.Draw(image).text((20, 20), text, font=font, fill=255)
    return image.tobytes()


@pytest.mark.parametrize("path", [FONT_REGULAR, FONT_BOLD], ids=["regular", "bold"])
def test_font_has_every_required_glyph(path: Path) -> None:
    font = ImageFont.truetype(str(path), 48)
    notdef = render(font, "\ue000")  # a private-use code point: the font draws its .notdef box
    missing = [ch for ch in REQUIRED_GLYPHS if not any(render(font, ch)) or render(font, ch) == notdef]
    assert not missing, f"{path.name} lacks {missing}"


def test_glyph_check_notices_a_missing_glyph() -> None:
    font = ImageFont.truetype(str(FONT_REGULAR), 48)
    assert render(font, "\U0001F9FF") == render(font, "\ue000")  # a nazar amulet: not in DejaVu


def test_fonts_ship_with_their_license() -> None:
    assert (FONT_REGULAR.parent / "LICENSE-DejaVu.txt").read_text(encoding="utf-8").startswith("Copyright")
