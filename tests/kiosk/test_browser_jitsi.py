"""Jitsi room links, read back the way Jitsi Meet reads its URL fragment.

`jitsi_fragment` follows react/features/base/util/parseURLParams.ts step by step: split the
fragment on "&", each part on "=" (keeping the second piece), URI-decode, JSON-parse.
"""
from __future__ import annotations

import json
from urllib.parse import unquote, urlsplit

import pytest

from kiosk.services.jitsi import RoomUrlError, jitsi_language, meeting_url, origin_of


def jitsi_fragment(url: str) -> dict[str, object]:
    params = {}
    for part in urlsplit(url).fragment.split("&"):
        pieces = part.split("=")
        params[pieces[0]] = json.loads(unquote(pieces[1]))
    return params


@pytest.mark.parametrize("village", ["Kåbdalis", "Vuolle Sáll'te & Čoarvi = \"Ŋ\" #1", "Pajala"])
def test_the_fragment_names_the_kiosk_skips_prejoin_and_sets_the_language(village):
    url = meeting_url("https://meet.norrbotten.se/fk-kabdalis", village=village, language="fi")
    assert url.startswith("https://meet.norrbotten.se/fk-kabdalis#")
    assert jitsi_fragment(url) == {
        "userInfo.displayName": f"Servicepunkt {village}",
        "config.prejoinConfig.enabled": False,
        "config.defaultLanguage": "fi",
    }


@pytest.mark.parametrize("kiosk, jitsi", [("sv", "sv"), ("en", "en"), ("fi", "fi"),
                                          ("fit", "sv"), ("se", "sv"), ("smj", "sv")])
def test_languages_jitsi_lacks_fall_back_to_swedish(kiosk, jitsi):
    assert jitsi_language(kiosk) == jitsi
    url = meeting_url("https://meet.region.se/room", village="Å", language=kiosk)
    assert jitsi_fragment(url)["config.defaultLanguage"] == jitsi


def test_a_room_url_must_be_https_without_a_fragment():
    for room in ("http://meet.region.se/room", "https://meet.region.se/room#x=1", "meet.region.se"):
        with pytest.raises(RoomUrlError):
            meeting_url(room, village="Å", language="sv")
    assert origin_of("https://meet.region.se:8443/a#b") == "https://meet.region.se:8443"
    assert origin_of("https://meet.region.se/a") == "https://meet.region.se"
