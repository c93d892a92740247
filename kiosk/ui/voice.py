"""The app's voice: the speech service in the current language, reset after every visit."""
from __future__ import annotations

import logging

log = logging.getLogger(__name__)

try:
    from kiosk.services.speech import Speech, spoken_code_progress
except ImportError:  # TEMPORARY while kiosk/services/speech.py is being written
    Speech = None

    def spoken_code_progress(entered: int, total: int, tr) -> str:
        return tr("Siffra {entered} av {total} inskriven", entered=entered, total=total)


class Voice:
    """Holds one Speech per language switch; every call is safe when speech is unavailable."""

    def __init__(self, language: str) -> None:
        self._speech = None
        self.set_language(language)

    def set_language(self, language: str) -> None:
        if self._speech is not None:
            self._speech.stop()
        self._speech = Speech(language) if Speech is not None else None

    def say(self, text: str) -> None:
        if self._speech is not None:
            self._speech.say(text)

    def stop(self) -> None:
        if self._speech is not None:
            self._speech.stop()

    def volume_up(self) -> None:
        if self._speech is not None:
            self._speech.volume_up()

    def volume_down(self) -> None:
        if self._speech is not None:
            self._speech.volume_down()

    def reset(self) -> None:
        if self._speech is not None:
            self._speech.reset()
