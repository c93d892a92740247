"""Speech output through espeak-ng, in the UI language, never blocking the caller.

Voice map (EN 301 549 5.1.3.14: the voice follows the UI language; see docs/speech.md):

    sv -> sv     en -> en     fi -> fi     smj -> smj (Lule Sámi)
    fit (Meänkieli) -> fi     espeak-ng has no Meänkieli; Finnish is its closest relative.
    se (North Sámi) -> smj    espeak-ng has no North Sámi; the Lule Sámi voice reads Sámi
                              letters (č, š, ŋ, á) as Sámi, where the Finnish one drops them.

One `Speech` per app. `say()` hands the text to a background thread that runs espeak-ng and
returns at once; a new `say()` or `stop()` kills what is playing. When espeak-ng or the audio
device is missing, the problem is logged once (every line espeak-ng wrote, none cut) and
`on_unavailable` is told at each failure, so the screen can say why nothing is heard; the
kiosk stays silent rather than crashing.
`reset()` belongs at the end of every session: volume back to default (EN 301 549 requires
it) and the last text forgotten, so "repeat" never reads the previous person's screen.
"""
from __future__ import annotations

import logging
import queue
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Callable

from kiosk.services.errors import N_, N_plural

log = logging.getLogger(__name__)

VOICES = {"sv": "sv", "en": "en", "fi": "fi", "fit": "fi", "se": "smj", "smj": "smj"}
MIN_VOLUME, MAX_VOLUME, DEFAULT_VOLUME = 1, 10, 5  # steps the user can hear apart
AMPLITUDE_PER_STEP = 20  # espeak-ng -a runs 0..200 with 100 as its normal; step 5 = 100
RATE = 150  # words per minute; espeak-ng's 175 is fast for many elderly listeners


class SpeechUnavailable(RuntimeError):
    """espeak-ng is missing or failed; only `wav()` raises it, speaking degrades to silence."""


class Speech:
    def __init__(self, language: str = "sv", *, default_volume: int = DEFAULT_VOLUME,
                 rate: int = RATE, executable: str = "espeak-ng", record_to: Path | None = None,
                 on_unavailable: Callable[[], None] | None = None) -> None:
        """`record_to`: write each utterance to this WAV instead of the sound card (tests,
        screenshot runs without audio); everything else behaves the same. `on_unavailable` is
        called on the speech thread when an utterance could not be played."""
        self.language = language
        self.default_volume = _clamp(default_volume)
        self._volume = self.default_volume
        self._rate = rate
        self._executable = shutil.which(executable) or executable
        self._record_to = record_to
        self._last_text = ""
        self._lock = threading.Lock()
        self._generation = 0  # bumped by say/stop: older queued or running speech is stale
        self._process: subprocess.Popen | None = None
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._worker: threading.Thread | None = None
        self._warned = False
        self._on_unavailable = on_unavailable

    # --- language and volume ---------------------------------------------------------------

    @property
    def language(self) -> str:
        return self._language

    @language.setter
    def language(self, language: str) -> None:
        self._language = language if language in VOICES else "sv"

    @property
    def voice(self) -> str:
        return VOICES[self._language]

    @property
    def volume(self) -> int:
        return self._volume

    @volume.setter
    def volume(self, level: int) -> None:
        self._volume = _clamp(level)

    def volume_up(self) -> int:
        self.volume = self._volume + 1
        return self._volume

    def volume_down(self) -> int:
        self.volume = self._volume - 1
        return self._volume

    # --- speaking --------------------------------------------------------------------------

    def say(self, text: str) -> None:
        """Speaks text in the background, interrupting whatever is playing."""
        self._last_text = text
        with self._lock:
            self._generation += 1
            self._kill_locked()
            generation = self._generation
        if text.strip():
            self._ensure_worker()
            self._queue.put((generation, self.command(text)))

    def repeat(self) -> None:
        if self._last_text:
            self.say(self._last_text)

    def stop(self) -> None:
        with self._lock:
            self._generation += 1
            self._kill_locked()

    def reset(self) -> None:
        """End of a session: silence, default volume, and nothing left to repeat."""
        self.stop()
        self._volume = self.default_volume
        self._last_text = ""

    @property
    def speaking(self) -> bool:
        with self._lock:
            return self._process is not None and self._process.poll() is None

    def close(self) -> None:
        """Stops speech and the background thread (App.on_stop)."""
        self.stop()
        if self._worker is not None:
            self._queue.put(None)
            self._worker.join(timeout=5)
            self._worker = None

    def command(self, text: str, wav: Path | None = None) -> list[str]:
        """The espeak-ng command line; the text goes in as an argument after `--`-safe quoting."""
        target = wav or self._record_to
        output = ["-w", str(target)] if target else []
        # -b 1: the text is UTF-8. A leading space keeps text starting with "-" from being an option.
        return [self._executable, "-b", "1", "-v", self.voice, "-s", str(self._rate),
                "-a", str(self._volume * AMPLITUDE_PER_STEP), *output, " " + text]

    def wav(self, text: str, path: Path) -> Path:
        """Synthesises text to a WAV file and waits for it (tests, tools); raises SpeechUnavailable."""
        try:
            result = subprocess.run(self.command(text, wav=path), capture_output=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as error:
            raise SpeechUnavailable(f"espeak-ng could not run: {error}") from error
        if result.returncode != 0 or not path.exists() or path.stat().st_size == 0:
            raise SpeechUnavailable(result.stderr.decode(errors="replace").strip() or "no audio written")
        return path

    # --- background ------------------------------------------------------------------------

    def _kill_locked(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.kill()  # SIGKILL: espeak-ng holds no state worth a clean exit
        self._process = None

    def _ensure_worker(self) -> None:
        if self._worker is None or not self._worker.is_alive():
            self._worker = threading.Thread(target=self._run, name="speech", daemon=True)
            self._worker.start()

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            generation, command = item
            if generation == self._generation:  # a newer say/stop already superseded it
                self._play(generation, command)

    def _play(self, generation: int, command: list[str]) -> None:
        try:
            process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.PIPE)
        except OSError as error:
            self._unavailable(f"espeak-ng cannot run ({error}); speech is off")
            return
        with self._lock:
            if generation != self._generation:
                process.kill()
            else:
                self._process = process
        _, errors = process.communicate()
        # espeak-ng exits 0 even when it finds no sound card; its stderr tells.
        if process.returncode == 0 and errors.strip():
            self._unavailable(f"espeak-ng could not play: {whole_lines(errors)}")
        elif process.returncode not in (0, -9):  # -9: killed by stop/say, as intended
            detail = f": {whole_lines(errors)}" if errors.strip() else ""
            self._unavailable(f"espeak-ng failed with exit code {process.returncode}{detail}")

    def _unavailable(self, message: str) -> None:
        if not self._warned:
            self._warned = True
            log.warning(message)
        if self._on_unavailable is not None:
            self._on_unavailable()


def whole_lines(stderr: bytes) -> str:
    """espeak-ng's complaint on one log line: each distinct line once, in order, none cut.
    (The last 200 characters were logged before, which began mid-word: "ch file or directory".)"""
    lines = [line.strip() for line in stderr.decode(errors="replace").splitlines()]
    return " | ".join(dict.fromkeys(line for line in lines if line))


def _clamp(level: int) -> int:
    return max(MIN_VOLUME, min(MAX_VOLUME, int(level)))


# --- code entry --------------------------------------------------------------------------------

# Positions are spoken as words so that no digit ever appears in what is spoken during code
# entry (EN 301 549 5.1.3: masked entry); these words say where you are, not what you typed.
NUMBER_WORDS = (
    N_("noll"), N_("ett"), N_("två"), N_("tre"), N_("fyra"), N_("fem"), N_("sex"),
    N_("sju"), N_("åtta"), N_("nio"), N_("tio"), N_("elva"), N_("tolv"),
)
CODE_PROGRESS = N_("Siffra {entered} av {total} inskriven")
# {total} is a number word, so the form is chosen by `digits`, the number itself
CODE_EMPTY = N_plural("Ingen siffra inskriven. Koden har {total} siffra.",
                      "Ingen siffra inskriven. Koden har {total} siffror.", "digits")
CODE_PROGRESS_LONG = N_("En siffra till inskriven.")  # beyond the number words: no position


def spoken_code_progress(entered: int, total: int, tr: Callable[..., str]) -> str:
    """E.g. "Siffra tre av sex inskriven", translated by tr; never the digits themselves."""
    if total >= len(NUMBER_WORDS) or not 0 <= entered <= total:
        return tr(CODE_PROGRESS_LONG)
    words = {"total": tr(NUMBER_WORDS[total])}
    if entered == 0:
        return tr(CODE_EMPTY, digits=total, **words)
    return tr(CODE_PROGRESS, entered=tr(NUMBER_WORDS[entered]), **words)
