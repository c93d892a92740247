"""The keypad's code entry on its own: the presenters only decide when typing is allowed."""
from __future__ import annotations

import pytest

from kiosk.ui.presenters.keypad.code_entry import CodeEntry


def type_in(entry: CodeEntry, digits: str) -> list[bool]:
    return [entry.press(digit) for digit in digits]


def test_digits_are_added_until_the_code_is_full() -> None:
    entry = CodeEntry(4)
    assert type_in(entry, "12345") == [True, True, True, True, False]
    assert entry.digits == "1234" and entry.complete


@pytest.mark.parametrize("key", ["a", "", " ", "-"])
def test_a_key_that_is_no_digit_changes_nothing(key: str) -> None:
    entry = CodeEntry(4)
    type_in(entry, "7")
    assert not entry.press(key)
    assert entry.digits == "7" and not entry.complete


def test_erase_removes_the_last_digit_and_says_when_there_was_none() -> None:
    entry = CodeEntry(4)
    type_in(entry, "12")
    assert entry.erase() and entry.digits == "1"
    assert entry.erase() and entry.digits == ""
    assert not entry.erase() and entry.digits == ""


def test_take_hands_over_the_code_and_empties_the_entry() -> None:
    entry = CodeEntry(3)
    type_in(entry, "908")
    assert entry.take() == "908"
    assert entry.digits == "" and not entry.complete
    assert entry.take() == ""


def test_clear_empties_the_entry() -> None:
    entry = CodeEntry(3)
    type_in(entry, "90")
    entry.clear()
    assert entry.digits == "" and entry.shown == "_ _ _"


def test_a_masked_code_shows_how_many_digits_never_which() -> None:
    entry = CodeEntry(4)
    type_in(entry, "58")
    assert entry.shown == "• • _ _"
    assert "5" not in entry.shown and "8" not in entry.shown


def test_an_unmasked_code_shows_its_digits() -> None:
    entry = CodeEntry(6, masked=False)
    type_in(entry, "42")
    assert entry.shown == "4 2 _ _ _ _"


@pytest.mark.parametrize("length", [1, 4, 6, 8])
def test_every_place_of_the_code_is_shown(length: int) -> None:
    entry = CodeEntry(length)
    assert entry.shown.split(" ") == ["_"] * length
    type_in(entry, "9" * length)
    assert entry.shown.split(" ") == ["•"] * length and entry.complete
