"""Brings the server's catalogs (domain servicepunkt-server) up to date with notify/messages.py.

    python -m sync.server.notify.extract            # update .pot, .po and .mo files
    python -m sync.server.notify.extract --check    # exit 1 if anything would change (CI)

The tooling is sync/catalogs.py, shared with the kiosk's `python -m kiosk.i18n.extract`.
"""
from __future__ import annotations

import sys
from pathlib import Path

from sync import catalogs
from sync.server.notify.messages import DOMAIN, LOCALE_DIR

NOTIFY_ROOT = Path(__file__).parent
PROJECT_ROOT = NOTIFY_ROOT.parents[2]
# Each language's name in that language, for a new catalog's first comment.
LANGUAGE_NAMES = {"en": "English", "fi": "Suomi", "fit": "Meänkieli", "se": "Davvisámegiella",
                  "smj": "Julevsámegiella"}
SERVER = catalogs.Domain(
    name=DOMAIN, source_root=NOTIFY_ROOT, project_root=PROJECT_ROOT, locale_dir=LOCALE_DIR,
    language_names=LANGUAGE_NAMES, description="The central server's SMS, e-mail and page texts.",
    command="sync.server.notify.extract")

if __name__ == "__main__":
    sys.exit(catalogs.main(SERVER))
