"""Jitsi room links, read back the way Jitsi Meet reads its URL fragment.

`jitsi_fragment` follows react/features/base/util/parseURLParams.ts step by step: split the
fragment on "&", each part on "=" (keeping the second piece), URI-decode, JSON-parse.
"""
from __future__ import annotations

import json
from urllib.parse import unquote, urlsplit

import pytest

from kiosk.services.jitsi import (
    RoomTemplateError, check_room_template, jitsi_language, meeting_url, origin_of, room_url,
)


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


def test_the_room_comes_from_the_template_with_the_service_point_made_url_safe():
    template = "https://meet.region.se/halsocentral-{service_point}"
    assert room_url(template, service_point="kåbdalis 1") == \
        "https://meet.region.se/halsocentral-k%C3%A5bdalis%201"
    assert room_url("https://meet.region.se/fixed", service_point="x") == "https://meet.region.se/fixed"
    assert origin_of("https://meet.region.se:8443/a#b") == "https://meet.region.se:8443"


@pytest.mark.parametrize("template, problem", [
    ("http://meet.region.se/{service_point}", "https"),
    ("https://meet.region.se/{village}", "unknown placeholder {village}"),
    ("https://meet.region.se/{service_point", "template"),
    ("https://meet.region.se/room#config.x=1", "fragment"),
    ("meet.region.se/room", "https"),
])
def test_bad_templates_are_refused_with_the_reason(template, problem):
    with pytest.raises(RoomTemplateError, match=problem.replace("{", r"\{").replace("}", r"\}")):
        check_room_template(template)
