"""Recipients' phone numbers as staff type them on a keypad, normalised to E.164.

A Swedish mobile number is typed the way it is written, 070-123 45 67: the leading 0 becomes
+46. A foreign number is typed with 00 for the plus sign (the keypad has no +).
"""
from __future__ import annotations

import re

from kiosk.services.errors import N_, UserFacingError
from sync.protocol import E164_PATTERN

# Swedish national significant numbers are 7 to 9 digits; mobiles are 07x + 7 digits.
_SWEDISH = re.compile(r"^\+46[1-9][0-9]{6,8}$")
_SWEDISH_MOBILE = re.compile(r"^\+467[02369][0-9]{7}$")
_E164 = re.compile(E164_PATTERN)
INVALID_PHONE = N_("Telefonnumret {number} verkar inte stämma. Skriv till exempel 0701234567.")


def normalise_phone(typed: str) -> str:
    """'070-123 45 67' -> '+46701234567'; raises UserFacingError for anything not a number."""
    text = re.sub(r"[\s\-()]", "", typed)
    if text.startswith("00"):
        text = "+" + text[2:]
    elif text.startswith("0"):
        text = "+46" + text[1:]
    if not _looks_valid(text):
        raise UserFacingError(INVALID_PHONE, number=typed.strip() or "-")
    return text


def _looks_valid(number: str) -> bool:
    if not _E164.match(number):
        return False
    if number.startswith("+467"):
        return bool(_SWEDISH_MOBILE.match(number))
    if number.startswith("+46"):
        return bool(_SWEDISH.match(number))
    return True
