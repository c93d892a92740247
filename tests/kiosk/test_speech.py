"""Speech through the real espeak-ng (installed by scripts/setup-system.sh), no mocks."""
from __future__ import annotations

import logging
import re
import shutil
import subprocess
import time
import wave
from pathlib import Path

import pytest

from kiosk.i18n import LANGUAGE_NAMES, Translator
from kiosk.services.speech import (
    DEFAULT_VOLUME,
    MAX_VOLUME,
    MIN_VOLUME,
    Speech,
    SpeechUnavailable,
    spoken_code_progress,
)

ESPEAK = shutil.which("espeak-ng")
needs_espeak = pytest.mark.skipif(ESPEAK is None, reason="espeak-ng missing: run `make setup`")

# Written out here, not read from speech.VOICES, so a wrong entry in the map fails the test.
EXPECTED_VOICE = {"sv": "sv", "en": "en", "fi": "fi", "fit": "fi", "se": "smj", "smj": "smj"}
SAMPLE = "Hämta paket"  # translated per language below, so each voice reads its own language


def wait_until(condition, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def reference_wav(voice: str, text: str, path: Path, amplitude: int = 100, rate: int = 150) -> bytes:
    """What espeak-ng itself writes for this voice, called independently of kiosk.services.speech."""
    subprocess.run([ESPEAK, "-v", voice, "-s", str(rate), "-a", str(amplitude), "-w", str(path), text], check=True)
    return path.read_bytes()


def long_text() -> str:
    # Long enough that synthesis to a file takes seconds even on a fast machine.
    return " ".join(["Det här är en lång mening som tar tid att läsa upp."] * 1500)


# --- voices ------------------------------------------------------------------------------------

def test_every_ui_language_has_a_voice_and_espeak_has_it() -> None:
    assert set(EXPECTED_VOICE) == set(LANGUAGE_NAMES)
    for language, voice in EXPECTED_VOICE.items():
        assert Speech(language).voice == voice
    if ESPEAK:
        listed = subprocess.run([ESPEAK, "--voices"], capture_output=True, text=True, check=True).stdout
        rows = [line.split() for line in listed.splitlines()[1:]]
        names = {row[1] for row in rows} | {row[4].rsplit("/", 1)[-1] for row in rows}  # language, file
        assert set(EXPECTED_VOICE.values()) <= names


@needs_espeak
@pytest.mark.parametrize("language", sorted(EXPECTED_VOICE))
def test_wav_per_language_is_speech_in_the_expected_voice(language: str, tmp_path: Path) -> None:
    text = Translator(language)(SAMPLE)
    path = Speech(language).wav(text, tmp_path / f"{language}.wav")
    with wave.open(str(path)) as audio:
        assert audio.getnframes() > audio.getframerate() // 4  # over a quarter of a second
    expected = reference_wav(EXPECTED_VOICE[language], text, tmp_path / "reference.wav")
    assert path.read_bytes() == expected
    if EXPECTED_VOICE[language] != "sv":  # and the voice matters: Swedish reads it differently
        assert path.read_bytes() != reference_wav("sv", text, tmp_path / "swedish.wav")


@needs_espeak
def test_volume_changes_the_amplitude_espeak_is_given(tmp_path: Path) -> None:
    speech = Speech("sv")
    speech.volume_up()
    louder = speech.wav("Hej", tmp_path / "louder.wav").read_bytes()
    assert louder == reference_wav("sv", "Hej", tmp_path / "ref.wav", amplitude=120)
    assert louder != reference_wav("sv", "Hej", tmp_path / "ref100.wav", amplitude=100)


# --- volume ------------------------------------------------------------------------------------

def test_volume_is_bounded_and_reset_returns_to_default() -> None:
    speech = Speech("sv", default_volume=4)
    for _ in range(20):
        speech.volume_up()
    assert speech.volume == MAX_VOLUME
    for _ in range(20):
        speech.volume_down()
    assert speech.volume == MIN_VOLUME > 0  # never silent by accident: the user would think it broken
    speech.reset()
    assert speech.volume == 4
    assert Speech("sv").volume == DEFAULT_VOLUME


# --- playing in the background -----------------------------------------------------------------

@needs_espeak
def test_say_returns_at_once_and_stop_kills_espeak(tmp_path: Path) -> None:
    sink = tmp_path / "out.wav"
    speech = Speech("sv", record_to=sink)
    try:
        speech.say(long_text())
        assert wait_until(lambda: speech.speaking and sink.exists()), "espeak-ng never started"
        speech.stop()
        assert not speech.speaking
        time.sleep(0.2)  # SIGKILL is delivered asynchronously
        size = sink.stat().st_size
        time.sleep(0.5)
        assert sink.stat().st_size == size, "espeak-ng kept writing after stop()"
    finally:
        speech.close()


@needs_espeak
def test_say_interrupts_what_is_playing_and_repeat_says_it_again(tmp_path: Path) -> None:
    sink = tmp_path / "out.wav"
    speech = Speech("sv", record_to=sink)
    short = speech.wav("Hej igen", tmp_path / "short.wav").read_bytes()
    try:
        speech.say(long_text())
        assert wait_until(lambda: speech.speaking)
        speech.say("Hej igen")
        assert wait_until(lambda: not speech.speaking and sink.exists() and sink.read_bytes() == short)
        sink.unlink()
        speech.repeat()
        assert wait_until(lambda: sink.exists() and sink.read_bytes() == short)
    finally:
        speech.close()


@needs_espeak
def test_reset_forgets_the_last_text(tmp_path: Path) -> None:
    sink = tmp_path / "out.wav"
    speech = Speech("sv", record_to=sink)
    try:
        speech.say("Ditt fack är A3")
        assert wait_until(lambda: sink.exists() and not speech.speaking)
        speech.reset()
        sink.unlink()
        speech.repeat()  # the next person must not hear the previous person's screen
        time.sleep(0.5)
        assert not sink.exists()
    finally:
        speech.close()


def test_missing_espeak_logs_once_and_stays_silent(tmp_path: Path, caplog) -> None:
    speech = Speech("sv", executable=str(tmp_path / "no-such-espeak-ng"))
    with caplog.at_level(logging.WARNING, logger="kiosk.services.speech"):
        for _ in range(3):
            speech.say("Hej")  # no exception
            assert wait_until(lambda: caplog.records)  # the background thread tried and logged
            speech.repeat()
            time.sleep(0.1)
        speech.close()
    assert len([record for record in caplog.records if "espeak-ng" in record.getMessage()]) == 1
    with pytest.raises(SpeechUnavailable):
        speech.wav("Hej", tmp_path / "x.wav")


@needs_espeak
def test_no_sound_card_logs_once_and_does_not_crash(caplog) -> None:
    probe = subprocess.run([ESPEAK, "-v", "sv", "."], capture_output=True, text=True)
    if not probe.stderr.strip():
        pytest.skip("this machine has working audio output")
    speech = Speech("sv")
    with caplog.at_level(logging.WARNING, logger="kiosk.services.speech"):
        for text in ("Hej", "Hej igen"):
            speech.say(text)
            assert wait_until(lambda: not speech.speaking)
            time.sleep(0.2)
        speech.close()
    assert len([record for record in caplog.records if "could not play" in record.getMessage()]) == 1


# What espeak-ng 1.51 writes on a machine without a sound card (captured on this project's CI
# machine), then exits 0: the kiosk's only sign that nothing was heard.
NO_CARD_STDERR = """ALSA lib confmisc.c:855:(parse_card) cannot find card '0'
ALSA lib conf.c:5180:(_snd_config_evaluate) function snd_func_card_inum returned error: No such file or directory
ALSA lib confmisc.c:422:(snd_func_concat) error evaluating strings
ALSA lib conf.c:5180:(_snd_config_evaluate) function snd_func_concat returned error: No such file or directory
ALSA lib confmisc.c:1334:(snd_func_refer) error evaluating name
ALSA lib conf.c:5180:(_snd_config_evaluate) function snd_func_refer returned error: No such file or directory
ALSA lib conf.c:5703:(snd_config_expand) Evaluate error: No such file or directory
ALSA lib pcm.c:2666:(snd_pcm_open_noupdate) Unknown PCM default
error: No such file or directory
"""


def test_speech_that_cannot_play_logs_whole_lines_and_tells_the_screen(tmp_path: Path, caplog) -> None:
    """The log used to keep the last 200 characters ("ch file or directory"), and the screen
    never knew: a resident pressed Read aloud and heard nothing, with no word why."""
    (tmp_path / "stderr.txt").write_text(NO_CARD_STDERR * 2)  # espeak-ng tries twice, as here
    fake = tmp_path / "espeak-ng"
    fake.write_text(f"#!/bin/sh\ncat {tmp_path / 'stderr.txt'} >&2\nexit 0\n")
    fake.chmod(0o755)
    told = []
    speech = Speech("sv", executable=str(fake), on_unavailable=lambda: told.append(True))
    with caplog.at_level(logging.WARNING, logger="kiosk.services.speech"):
        for text in ("Hej", "Hej igen"):
            speech.say(text)
            assert wait_until(lambda wanted=1 if text == "Hej" else 2: len(told) >= wanted)
        speech.close()
    [logged] = [record.getMessage() for record in caplog.records]
    parts = logged.removeprefix("espeak-ng could not play: ").split(" | ")
    assert parts == list(dict.fromkeys(NO_CARD_STDERR.splitlines()))  # every line once, none cut
    assert len(told) == 2  # each failed utterance is told; the screen decides what to show


# --- code entry ---------------------------------------------------------------------------------

@pytest.mark.parametrize("language", sorted(LANGUAGE_NAMES))
def test_code_progress_never_contains_a_digit(language: str) -> None:
    tr = Translator(language)
    spoken = [spoken_code_progress(entered, total, tr) for total in (4, 6, 8, 12, 20) for entered in range(total + 1)]
    assert all(spoken)
    assert not [text for text in spoken if re.search(r"[0-9]", text)]
    assert len(set(spoken)) > 10  # it does say where you are, differently at each step


def test_code_progress_reads_like_the_design() -> None:
    assert spoken_code_progress(3, 6, Translator("sv")) == "Siffra tre av sex inskriven"
    assert spoken_code_progress(3, 6, Translator("en")) == "Digit three of six entered"
    assert spoken_code_progress(0, 6, Translator("sv")) == "Ingen siffra inskriven. Koden har sex siffror."


def test_the_voice_follows_a_language_switch_and_keeps_the_volume() -> None:
    speech = Speech("sv")
    speech.volume_up()
    speech.language = "se"
    assert (speech.voice, speech.volume) == ("smj", DEFAULT_VOLUME + 1)
    speech.language = "xx"  # unknown: Swedish, never an espeak-ng error
    assert speech.voice == "sv"
