"""Read aloud on every screen in every language, through real espeak-ng to WAV files."""
from __future__ import annotations

import re
import wave
from pathlib import Path

import pytest

from kiosk.config import LANGUAGES
from kiosk.i18n import Translator
from kiosk.services.speech import VOICES, Speech
from kiosk.ui.presenters.spoken import spoken_text
from tests.ui.test_session import make_session

SCREENS = ("attract", "home", "pickup", "staff", "language", "help", "staff_receive", "staff_counter", "staff_returns")


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_screen_is_spoken_in_the_screen_language(language, parcels, sessions, tmp_path: Path) -> None:
    session = make_session(parcels, sessions)
    speech = Speech(language)
    assert speech.voice == VOICES[language]
    for screen in SCREENS:
        session.go(screen)
        text = spoken_text(session, Translator(language), "Lanthandeln")
        assert text.strip(), f"{screen} says nothing"
        command = speech.command(text)
        assert command[command.index("-v") + 1] == VOICES[language]
        path = speech.wav(text, tmp_path / f"{screen}-{language}.wav")
        with wave.open(str(path)) as audio:
            assert audio.getnframes() / audio.getframerate() > 1.0, f"{screen} in {language}: too short"


@pytest.mark.parametrize("language", LANGUAGES)
def test_code_entry_is_spoken_without_the_digits(language, parcels, sessions) -> None:
    session = make_session(parcels, sessions)
    session.go("pickup")
    tr = Translator(language)
    for digit in "405162":
        session.pickup.press_digit(digit)
        entered = session.pickup.code.digits
        said = spoken_text(session, tr, "Lanthandeln")
        assert entered not in said and not re.search(r"\d{2,}", said)
