"""Finds the translatable strings in kiosk/ and brings every kiosk catalog up to date.

    python -m kiosk.i18n.extract            # update .pot, .po and .mo files
    python -m kiosk.i18n.extract --check    # exit 1 if anything would change (CI)

The tooling (Babel's extractor, merging, stable output) is sync/catalogs.py, shared with the
server's catalogs; this module names the kiosk's domain. Mark a count with
`N_plural("… {n} sak …", "… {n} saker …", "n")` (see kiosk.i18n.PluralText).
"""
from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from kiosk.i18n import DOMAIN, LANGUAGE_NAMES, LOCALE_DIR, TRANSLATED_LANGUAGES
from sync import catalogs
from sync.catalogs import Found, MessageId, ProjectCatalog

SOURCE_ROOT = LOCALE_DIR.parent  # kiosk/
PROJECT_ROOT = SOURCE_ROOT.parent
KIOSK = catalogs.Domain(
    name=DOMAIN, source_root=SOURCE_ROOT, project_root=PROJECT_ROOT, locale_dir=LOCALE_DIR,
    language_names={language: LANGUAGE_NAMES[language] for language in TRANSLATED_LANGUAGES},
    description="Translatable strings of the Servicepunkt kiosk.", command="kiosk.i18n.extract")

__all__ = ["KIOSK", "Found", "merge", "po_path", "scan", "scan_file", "untranslated", "update"]


def po_path(language: str) -> Path:
    return KIOSK.po_path(language)


def scan_file(path: Path, problems: list[str]) -> list[Found]:
    return catalogs.scan_file(path, PROJECT_ROOT, problems)


def scan() -> tuple[list[Found], list[str]]:
    return catalogs.scan(KIOSK)


def merge(old: ProjectCatalog, found: Sequence[Found], plural_forms: str | None = None) -> ProjectCatalog:
    return catalogs.merge(old, found, plural_forms)


def update(found: Sequence[Found], *, write: bool = True) -> list[str]:
    return catalogs.update(KIOSK, found, write=write)


def untranslated(language: str) -> list[MessageId]:
    return catalogs.untranslated(KIOSK, language)


if __name__ == "__main__":
    sys.exit(catalogs.main(KIOSK))
