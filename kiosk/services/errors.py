"""Errors a resident or a member of staff can be shown.

The message is a Swedish source string (the UI's source language); the UI translates it
through gettext at display time, so services never depend on the current language.
"""
from __future__ import annotations

from kiosk.i18n import N_plural, source_text

__all__ = ["N_", "N_plural", "UserFacingError"]


def N_(message: str) -> str:
    """Marks a string for translation without translating it here (gettext convention)."""
    return message


class UserFacingError(Exception):
    def __init__(self, message: str, **params: object) -> None:
        super().__init__(source_text(message, **params))
        self.message = message
        self.params = params
