"""A recipient's phone number on the drop-off keypad: the digits typed, the places still empty,
and the number read back in groups before it is saved.

The empty places are underscores drawn dimmed, never digits: the screen used to show "07_" in
the same bold type as the input, and a clerk who took the 07 for typed went on with 01234567.
"""
from __future__ import annotations

SLOT = "_"
SWEDISH_SLOTS = "___-___ __ __"  # 070-123 45 67, the way Swedes write a mobile number
GAP = "\u2009"  # a thin space between empty places: underscores side by side draw one line
FOREIGN_PREFIX = "00"  # the keypad has no "+": a foreign number starts with 00


def shown_parts(digits: str) -> tuple[str, str]:
    """(typed, empty): the digits grouped as far as typed, and the places still to fill, which
    the screen draws dimmed. A foreign number (00…) has no fixed length: no empty places."""
    if digits.startswith(FOREIGN_PREFIX):
        rest = _in_threes(digits[len(FOREIGN_PREFIX):])
        return f"{FOREIGN_PREFIX} {rest}".rstrip(), ""
    typed: list[str] = []
    used = 0
    for place, char in enumerate(SWEDISH_SLOTS):
        if used == len(digits):  # a separator too is drawn dimmed until the digit after it
            return "".join(typed), _apart(SWEDISH_SLOTS[place:])
        if char == SLOT:
            typed.append(digits[used])
            used += 1
        else:
            typed.append(char)
    return "".join(typed) + digits[used:], ""  # a digit too many: shown, and refused on OK


def _apart(empty: str) -> str:
    return "".join(char + GAP if char == SLOT else char for char in empty).rstrip(GAP)


def read_back(e164: str) -> str:
    """'+46701234567' -> '070-123 45 67'; a foreign number as '+358 401 234 567'."""
    if e164.startswith("+46"):
        typed, _empty = shown_parts("0" + e164[3:])
        return typed
    return "+" + _in_threes(e164.lstrip("+"))


def _in_threes(digits: str) -> str:
    return " ".join(digits[i:i + 3] for i in range(0, len(digits), 3))
