"""Recipients' phone numbers as staff type them on a keypad, normalised to E.164.

A Swedish mobile number is typed the way it is written, 070-123 45 67: the leading 0 becomes
+46. A foreign number is typed with 00 for the plus sign (the keypad has no +).

The number gets the pickup SMS, so a Swedish number must be a mobile one: 07 followed by 0, 2,
3, 6 or 9 and seven more digits (PTS's numbering plan). A landline was accepted before: a
clerk who took the "07_" on the screen for typed digits and went on with 01234567 saved
+461234567, and an SMS was queued to a number that cannot receive one.
"""
from __future__ import annotations

import re

from kiosk.services.errors import N_, UserFacingError
from sync.protocol import E164_PATTERN

_SWEDISH_MOBILE = re.compile(r"^\+467[02369][0-9]{7}$")
_E164 = re.compile(E164_PATTERN)
INVALID_PHONE = N_("Telefonnumret {number} verkar inte stämma. Skriv till exempel 0701234567.")
NOT_A_MOBILE = N_("{number} är inget mobilnummer. Ett svenskt mobilnummer har 10 siffror och börjar "
                  "med 070, 072, 073, 076 eller 079.")


def normalise_phone(typed: str) -> str:
    """'070-123 45 67' -> '+46701234567'; raises UserFacingError for anything that cannot
    receive the SMS: not a number at all, or a Swedish number that is not a mobile."""
    text = re.sub(r"[\s\-()]", "", typed)
    if text.startswith("00"):
        text = "+" + text[2:]
    elif text.startswith("0"):
        text = "+46" + text[1:]
    shown = typed.strip() or "-"
    if not _E164.match(text):
        raise UserFacingError(INVALID_PHONE, number=shown)
    if text.startswith("+46") and not _SWEDISH_MOBILE.match(text):
        raise UserFacingError(NOT_A_MOBILE, number=shown)
    return text
