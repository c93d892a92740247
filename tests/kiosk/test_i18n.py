"""Catalogs, the extraction tool, the Translator and the fonts that must draw every language."""
from __future__ import annotations

import gettext
import string
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from kiosk.i18n import LANGUAGE_NAMES, TRANSLATED_LANGUAGES, Translator, available_languages, extract
from kiosk.i18n.fonts import FONT_BOLD, FONT_REGULAR
from sync import catalogs
from sync.catalogs import Message, forms, is_translated, key_of

CATALOGS = {language: catalogs.read_catalog(extract.po_path(language)) for language in TRANSLATED_LANGUAGES}
FOUND, PROBLEMS = extract.scan()
CODE_MSGIDS = sorted({key_of(item.msgid) for item in FOUND})  # a plural by its singular
PLURALS = sorted({item.msgid for item in FOUND if isinstance(item.msgid, tuple)})
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
    catalog = CATALOGS[language]
    entries = {key_of(message.id): message for message in [*catalog.obsolete.values(), *list(catalog)[1:]]}
    missing = [msgid for msgid in CODE_MSGIDS if msgid not in entries]
    untranslated = [msgid for msgid in CODE_MSGIDS if msgid in entries and not is_translated(entries[msgid])]
    assert not missing, f"run `python -m kiosk.i18n.extract` and translate; missing in {language}: {missing}"
    assert not untranslated, f"translate in kiosk/i18n/{language}/LC_MESSAGES/servicepunkt.po: {untranslated}"


@pytest.mark.parametrize("language", TRANSLATED_LANGUAGES)
def test_every_msgid_in_the_code_is_translated_at_run_time(language: str) -> None:
    translate = Translator(language)
    singulars = set(CODE_MSGIDS) - {singular for singular, _ in PLURALS}
    assert not [msgid for msgid in singulars if translate(msgid) == msgid and msgid != "OK"]
    assert not [plural for singular, plural in PLURALS if translate.ngettext(singular, plural, 5) == plural]


@pytest.mark.parametrize("language", TRANSLATED_LANGUAGES)
def test_placeholders_match_between_msgid_and_translation(language: str) -> None:
    catalog = CATALOGS[language]
    wrong = {key_of(message.id): form for message in [*list(catalog)[1:], *catalog.obsolete.values()]
             for form in forms(message.string)
             if form and placeholders(forms(message.id)[-1]) != placeholders(form)}
    assert not wrong


@pytest.mark.parametrize("language", TRANSLATED_LANGUAGES)
def test_catalog_header_says_whether_a_fluent_speaker_checked_it(language: str) -> None:
    catalog = CATALOGS[language]
    checked = catalog.header("X-Checked-By-Fluent-Speaker")
    assert checked in ("yes", "no")
    if checked == "no":
        assert "# machine-drafted, not checked by a fluent speaker" in catalog.header_comment.splitlines()
    assert Translator(language).checked_by_fluent_speaker is (checked == "yes")


@pytest.mark.parametrize("language, letters", [("se", "áčšđŋž"), ("smj", "áŋå")])
def test_sami_translations_use_sami_letters(language: str, letters: str) -> None:
    # Guards against a draft typed with plain ASCII stand-ins (c for č, d for đ, n for ŋ).
    text = " ".join(" ".join(forms(message.string)) for message in list(CATALOGS[language])[1:])
    assert set(letters) <= set(text)


@pytest.mark.parametrize("language", TRANSLATED_LANGUAGES)
def test_committed_mo_matches_its_po(language: str) -> None:
    path = extract.po_path(language)
    assert path.with_suffix(".mo").read_bytes() == catalogs.mo_bytes(catalogs.read_catalog(path))


def test_the_extraction_is_up_to_date() -> None:
    assert extract.update(FOUND, write=False) == [], "run `python -m kiosk.i18n.extract`"


# --- the PO/MO tooling ------------------------------------------------------------------------

def test_merge_keeps_translations_adds_new_and_marks_removed_obsolete() -> None:
    old = catalogs.new_catalog(extract.KIOSK, "fi")
    for msgid, translation in [("Hej", "Moi"), ("Borta", "Poissa"), ("Tom", "")]:
        old[msgid] = Message(msgid, translation)
    found = [catalogs.Found("Hej", "kiosk/a.py:1"), catalogs.Found("Ny {n}", "kiosk/a.py:2"),
             catalogs.Found(("{n} dag", "{n} dagar"), "kiosk/b.py:3"), catalogs.Found("Hej", "kiosk/a.py:9")]
    merged = extract.merge(old, found, catalogs.PLURAL_FORMS["fi"])
    assert merged["Hej"].string == "Moi" and merged["Hej"].locations == [("kiosk/a.py", catalogs.NO_LINE)]
    assert merged["Ny {n}"].string == "" and merged["Ny {n}"].flags == {"python-brace-format"}
    assert merged["{n} dag"].string == ("", "")  # two empty forms: Finnish has two
    assert merged.obsolete["Borta"].string == "Poissa"
    assert "Tom" not in merged and "Tom" not in merged.obsolete
    assert [message.id for message in list(merged)[1:]] == ["Hej", "Ny {n}", ("{n} dag", "{n} dagar")]


def test_an_obsolete_translation_comes_back_with_its_string() -> None:
    old = catalogs.new_catalog(extract.KIOSK, "se")
    old.obsolete["{n} dag"] = Message(("{n} dag", "{n} dagar"), ("{n} beaivi", "{n} beaivvi", "{n} beaivvit"))
    merged = extract.merge(old, [catalogs.Found(("{n} dag", "{n} dagar"), "kiosk/a.py:1")])
    assert merged["{n} dag"].string == ("{n} beaivi", "{n} beaivvi", "{n} beaivvit")


def test_a_sentence_that_becomes_a_plural_keeps_its_old_text_as_the_singular() -> None:
    old = catalogs.new_catalog(extract.KIOSK, "smj")
    old["Fack {x} är öppet."] = Message("Fack {x} är öppet.", "Skáhppe {x} la rabás.")
    found = [catalogs.Found(("Fack {x} är öppet.", "Fack {x} är öppna."), "kiosk/a.py:1")]
    merged = extract.merge(old, found, catalogs.PLURAL_FORMS["smj"])
    assert merged["Fack {x} är öppet."].string == ("Skáhppe {x} la rabás.", "", "")
    assert not is_translated(merged["Fack {x} är öppet."])


def test_po_round_trip_and_mo_read_by_gettext(tmp_path: Path) -> None:
    catalog = catalogs.new_catalog(extract.KIOSK, "se")
    catalog['Säg "hej"\n'] = Message('Säg "hej"\n', 'Dadja "bures"\n', user_comments=["note"],
                                     locations=[("kiosk/x.py", None)])
    catalog["Otolkad"] = Message("Otolkad", "Fuzzy", flags=["fuzzy"])
    catalog["{n} dag"] = Message(("{n} dag", "{n} dagar"), ("{n} beaivi", "{n} beaivvi", "{n} beaivvit"))
    catalog["Halv {n}"] = Message(("Halv {n}", "Halva {n}"), ("Bealli {n}", "", ""))
    catalog.obsolete["Gammal"] = Message("Gammal", "Boares")
    path = tmp_path / "se.po"
    path.write_bytes(catalogs.po_bytes(catalog))
    again = catalogs.read_catalog(path)
    assert catalogs.po_bytes(again) == path.read_bytes()
    (tmp_path / "se.mo").write_bytes(catalogs.mo_bytes(again))
    with open(tmp_path / "se.mo", "rb") as file:
        translations = gettext.GNUTranslations(file)
    assert translations.gettext('Säg "hej"\n') == 'Dadja "bures"\n'
    assert translations.gettext("Otolkad") == "Otolkad"  # fuzzy: not used
    assert translations.gettext("Gammal") == "Boares"  # obsolete but translated: kept on purpose
    assert [translations.ngettext("{n} dag", "{n} dagar", n) for n in (1, 2, 3)] == \
        ["{n} beaivi", "{n} beaivvi", "{n} beaivvit"]  # the Sámi dual
    assert translations.ngettext("Halv {n}", "Halva {n}", 2) == "Halva {n}"  # half translated: Swedish
    assert translations.info()["language"] == "se"
    assert translations.info()["x-checked-by-fluent-speaker"] == "no"  # Babel would drop this field


def test_the_po_header_is_ours_not_babels(tmp_path: Path) -> None:
    text = catalogs.po_bytes(catalogs.new_catalog(extract.KIOSK, "smj")).decode()
    assert '"Plural-Forms: nplurals=3; plural=(n==1 ? 0 : n==2 ? 1 : 2);\\n"' in text
    assert "POT-Creation-Date" not in text and "Generated-By" not in text and "#, fuzzy" not in text


def test_the_scan_reports_f_strings(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(extract, "PROJECT_ROOT", tmp_path)
    source = tmp_path / "screen.py"
    source.write_text('x = 1\nself.tr(f"Fack {x}")\nN_("Hej")\nprint("not me")\n', encoding="utf-8")
    problems: list[str] = []
    found = extract.scan_file(source, problems)
    assert [item.msgid for item in found] == ["Hej"]
    assert problems and "screen.py:2" in problems[0]


def test_the_scan_takes_literal_arguments_only(tmp_path: Path, monkeypatch) -> None:
    # Babel's extractor alone would take "home" for a msgid here.
    monkeypatch.setattr(extract, "PROJECT_ROOT", tmp_path)
    source = tmp_path / "screen.py"
    source.write_text('tr(TITLES["home"])\nself.tr("Hej {n}", n=1)\nN_plural("{n} dag", "{n} dagar", "n")\n',
                      encoding="utf-8")
    found = extract.scan_file(source, [])
    assert [(item.msgid, item.reference) for item in found] == [
        ("Hej {n}", "screen.py:2"), (("{n} dag", "{n} dagar"), "screen.py:3")]


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
