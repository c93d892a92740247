"""Video calls: the region's video services with their opening hours, "Call" into a service's
room, and "I have a booked meeting": the booking code on the keypad opens the booked room."""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from kiosk.services.browsing import BrowserLauncher, video_policy
from kiosk.services.errors import N_
from kiosk.services.outcomes import BookingStatus
from kiosk.ui.presenters.base import Message, Runner
from kiosk.ui.presenters.browser_visit import (
    CHOOSING, UNEXPECTED, BrowserVisitPresenter, Post, local_when,
)
from kiosk.ui.presenters.keypad.code_entry import CODE_LENGTH_TEXT, CodeEntry

if TYPE_CHECKING:  # the directory imports SQLAlchemy: not on the start-up path
    from kiosk.services.directory import BookingLookup, Directory, VideoService

BOOKING = "booking"  # a phase of its own besides CHOOSING / STARTING / IN_BROWSER
CODE_LENGTH = 6
OPEN_NOW = N_("Öppet nu – tryck för att ringa")
OPENS = N_("Stängt. Öppnar {when}")
CLOSED = N_("Stängt")
NOT_OPEN = N_("{service} har stängt nu. Öppnar {when}.")
NOT_OPEN_NO_TIME = N_("{service} har stängt nu.")
NO_SERVICES = N_("Inga videotjänster finns här ännu. Fråga personalen.")
BOOKING_HINT = N_("Skriv koden från din bokning.")
BOOKING_EARLY = N_("Ditt möte börjar {when}. Kom tillbaka en stund innan.")
BOOKING_OVER = N_("Mötet med den koden är redan slut.")
BOOKING_UNKNOWN = N_("Det finns ingen bokning med den koden här. Kontrollera koden.")
BOOKING_PAUSED = N_("Fel kod för många gånger. Vänta en minut och försök igen.")
# Six digits are guessable by someone with time: after this many wrong codes the keypad
# pauses, so trying the codes of other people's meetings takes days, not minutes.
MAX_WRONG_CODES, PAUSE_S = 5, 60.0


@dataclass(frozen=True)
class ServiceTile:
    id: str
    names: dict[str, str]
    subtitle: Message
    open_now: bool


def pick(texts: dict[str, str], language: str) -> str:
    """The text in the resident's language, else Swedish (always present, the server checks)."""
    return texts.get(language) or texts["sv"]


class VideoPresenter(BrowserVisitPresenter):
    def __init__(self, directory: Directory | None, launcher: BrowserLauncher, run: Runner, post: Post,
                 clock, *, village: str, on_visit_end=None, monotonic=time.monotonic) -> None:
        super().__init__(launcher, run, post, clock, on_visit_end, monotonic)
        self.code = CodeEntry(CODE_LENGTH, masked=False)  # shown: a booking code opens no door
        self._wrong_codes = 0
        self._paused_until = 0.0
        self._directory = directory
        self._loads = 0
        self.village = village
        self.language = "sv"
        self.services: list[VideoService] = []

    @property
    def tiles(self) -> list[ServiceTile]:
        now = self._clock()
        return [ServiceTile(s.data.id, s.data.name, _subtitle(s, now), s.opening.open_now)
                for s in self.services]

    def load(self) -> None:
        if self._directory is None:
            return
        self._loads += 1
        generation = self._loads  # a reset or a newer load makes this answer stale
        self._run(lambda: self._directory.video_services(), lambda found: self._loaded(found, generation),
                  lambda error: self._show(Message.from_error(error, UNEXPECTED)))

    def _loaded(self, services: list[VideoService], generation: int) -> None:
        if generation != self._loads:
            return
        self.services = services
        if not services and self.message is None:
            self.message = Message.of(NO_SERVICES)
        elif services and self.message is not None and self.message.text == NO_SERVICES:
            self.message = None  # the directory arrived after the first look: no stale "none here"
        self.changed()

    def call(self, service_id: str) -> None:
        service = next((s for s in self.services if s.data.id == service_id), None)
        if service is None or self.offline_message is not None:
            self._show(self.offline_message)
            return
        if not service.opening.open_now:
            self._show(self._closed_message(service))
            return
        self._open_room(service.data.room_url, "video", service.data.id)

    def _closed_message(self, service: VideoService) -> Message:
        name = pick(service.data.name, self.language)
        if service.opening.next_opening is None:
            return Message.of(NOT_OPEN_NO_TIME, "error", service=name)
        return Message.of(NOT_OPEN, "error", service=name,
                          when=local_when(service.opening.next_opening, self._clock()))

    def _open_room(self, room_url: str, kind: str, service_id: str) -> None:
        self.open_browser(video_policy(room_url, village=self.village, language=self.language), kind, service_id)

    # -- booked meetings --------------------------------------------------------------------

    def open_booking(self) -> None:
        if self.offline_message is not None:
            self._show(self.offline_message)
            return
        self.phase, self.message = BOOKING, Message.of(BOOKING_HINT)
        self.code.clear()
        self.changed()

    def close_booking(self) -> None:
        if self.phase == BOOKING:
            self.phase, self.message = CHOOSING, None
            self.code.clear()
            self.changed()

    def press_digit(self, digit: str) -> None:
        if self.phase == BOOKING and self.code.press(digit):
            self.message = Message.of(BOOKING_HINT)
            self.changed()

    def erase(self) -> None:
        if self.phase == BOOKING and self.code.erase():
            self.changed()

    def submit(self) -> None:
        if self.phase != BOOKING or self._directory is None:
            return
        if self._monotonic() < self._paused_until:
            self.code.clear()
            self._show(Message.of(BOOKING_PAUSED, "error"))
            return
        if not self.code.complete:
            self._show(Message.of(CODE_LENGTH_TEXT, "error", count=self.code.length))
            return
        code = self.code.take()
        self._run(lambda: self._directory.find_booking(code), self._booking_found,
                  lambda error: self._show(Message.from_error(error, UNEXPECTED)))

    def _booking_found(self, lookup: BookingLookup) -> None:
        if lookup.status is BookingStatus.UNKNOWN:
            self._wrong_codes += 1
            if self._wrong_codes >= MAX_WRONG_CODES:
                self._wrong_codes, self._paused_until = 0, self._monotonic() + PAUSE_S
                self._show(Message.of(BOOKING_PAUSED, "error"))
                return
        if lookup.status is BookingStatus.NOW:
            self.phase = CHOOSING
            self._open_room(lookup.appointment.room_url, "booked_video", lookup.appointment.service_id)
        elif lookup.status is BookingStatus.EARLY:
            self._show(Message.of(BOOKING_EARLY, "error",
                                  when=local_when(lookup.appointment.starts_at, self._clock())))
        elif lookup.status is BookingStatus.OVER:
            self._show(Message.of(BOOKING_OVER, "error"))
        else:
            self._show(Message.of(BOOKING_UNKNOWN, "error"))

    def back(self) -> bool:
        if self.phase == BOOKING:
            self.close_booking()
            return True
        return super().back()

    def reset(self) -> None:
        self.code.clear()
        super().reset()
        self.load()

    def _show(self, message: Message | None) -> None:
        self.message = message
        self.changed()


def _subtitle(service: VideoService, now: datetime) -> Message:
    if service.opening.open_now:
        return Message.of(OPEN_NOW, "success")
    if service.opening.next_opening is None:
        return Message.of(CLOSED)
    return Message.of(OPENS, when=local_when(service.opening.next_opening, now))

