"""Jitsi Meet room links for the kiosk: the right room, the kiosk's name, no join page.

Jitsi Meet reads settings from the URL fragment (handbook, "User Guide (advanced)"): `&`
separates `key=value` pairs; each value is URI-decoded and then parsed as JSON
(react/features/base/util/parseURLParams.ts), so a string must carry its JSON quotes and be
percent-encoded whole (a raw `&`, `=` or `#` in a village name would cut it). Keys used:

    userInfo.displayName          the name the other side sees: "Servicepunkt <village>"
    config.prejoinConfig.enabled  false: straight into the room (nobody can tick a join page)
    config.defaultLanguage        the kiosk's language when Jitsi has it (lang/languages.json
                                  has sv, en, fi; not Meänkieli or the Sámi languages), else sv

The fragment never reaches the server: it only configures the web app in the browser. The
room URL itself comes from the directory (the server fills in the room template per point).
"""
from __future__ import annotations

import json
from urllib.parse import quote, urlsplit

# Of the kiosk's languages, the ones Jitsi Meet ships a translation for.
JITSI_LANGUAGES = frozenset({"sv", "en", "fi"})
FALLBACK_LANGUAGE = "sv"


class RoomUrlError(ValueError):
    """Not an https room URL."""


def jitsi_language(kiosk_language: str) -> str:
    return kiosk_language if kiosk_language in JITSI_LANGUAGES else FALLBACK_LANGUAGE


def meeting_url(room: str, *, village: str, language: str) -> str:
    """`room` (an https room URL) with the fragment that names the kiosk and skips prejoin."""
    parts = urlsplit(room)
    if parts.scheme != "https" or not parts.hostname or parts.fragment:
        raise RoomUrlError(f"not a room URL: {room!r}")
    settings = {
        "userInfo.displayName": f"Servicepunkt {village}".strip(),
        "config.prejoinConfig.enabled": False,
        "config.defaultLanguage": jitsi_language(language),
    }
    return room + "#" + "&".join(f"{key}={_fragment_value(value)}" for key, value in settings.items())


def origin_of(url: str) -> str:
    """The origin camera and microphone are granted to: scheme://host[:port]."""
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname}{port}"


def _fragment_value(value: object) -> str:
    return quote(json.dumps(value, ensure_ascii=False), safe="")
