"""A code typed on the keypad, one digit at a time: what the pickup, counter and booking
keypads share. When typing is allowed at all (phase, pause) stays with each presenter."""
from __future__ import annotations

from kiosk.services.errors import N_plural

MASK, EMPTY = "•", "_"
CODE_LENGTH_TEXT = N_plural("Koden har {count} siffra.", "Koden har {count} siffror.", "count")  # too few typed


class CodeEntry:
    def __init__(self, length: int, *, masked: bool = True) -> None:
        self.length = length
        self.masked = masked  # a staff PIN: show how many digits, never which
        self._digits = ""

    @property
    def digits(self) -> str:
        return self._digits

    @property
    def complete(self) -> bool:
        return len(self._digits) == self.length

    @property
    def shown(self) -> str:
        """"• • _ _" (masked) or "1 2 _ _": one place per digit of the code."""
        typed = MASK * len(self._digits) if self.masked else self._digits
        return " ".join(typed + EMPTY * (self.length - len(self._digits)))

    @property
    def shown_parts(self) -> tuple[str, str]:
        """("1 2 ", "_ _ _ _"): what `shown` draws as typed, and the places still empty, which a
        screen draws dimmed so that no empty place looks like input."""
        shown, typed = self.shown, len(self._digits)
        cut = min(len(shown), 2 * typed)  # one character and one space per typed digit
        return shown[:cut], shown[cut:]

    def press(self, digit: str) -> bool:
        """Adds the digit; False (and nothing changes) for a non-digit or a full code."""
        if not digit.isdigit() or len(self._digits) >= self.length:
            return False
        self._digits += digit
        return True

    def erase(self) -> bool:
        """Removes the last digit; False when there was none."""
        if not self._digits:
            return False
        self._digits = self._digits[:-1]
        return True

    def take(self) -> str:
        """The code typed, leaving the entry empty for the next attempt."""
        code, self._digits = self._digits, ""
        return code

    def clear(self) -> None:
        self._digits = ""
