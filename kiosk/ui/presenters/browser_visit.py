"""What video calls and e-services share: the network they need, and a visit in the locked-down
browser that starts, runs beside the kiosk's own "End" strip, and ends however it ends."""
from __future__ import annotations

import time
from datetime import datetime
from typing import Callable

from kiosk.services.browser import BrowserPolicy, EndReason
from kiosk.services.browsing import LOCAL_TIME as LOCAL
from kiosk.services.browsing import BrowserLauncher
from kiosk.services.errors import N_
from kiosk.ui.presenters.base import Message, Presenter, Runner

CHOOSING, STARTING, IN_BROWSER = "choosing", "starting", "in_browser"
ENDED_TEXTS = {
    EndReason.DONE: N_("Avslutat. Inget av det du gjorde finns kvar på skärmen."),
    EndReason.IDLE: N_("Avslutat eftersom ingen rörde skärmen på en stund."),
    EndReason.EXITED: N_("Det stängdes oväntat. Du kan försöka igen."),
    EndReason.CRASHED: N_("Det stängdes oväntat. Du kan försöka igen."),
    EndReason.HUNG: N_("Det slutade svara och stängdes. Du kan försöka igen."),
    EndReason.FAILED: N_("Det går inte att öppna just nu. Fråga personalen i butiken."),
}
STARTING_TEXT = N_("Öppnar …")
OFFLINE_SINCE = N_("Det här behöver internet, och anslutningen fungerar inte just nu. "
                   "Senast ansluten {when}.")
OFFLINE_NEVER = N_("Det här behöver internet, och anslutningen fungerar inte just nu.")
UNEXPECTED = N_("Något gick fel. Försök igen eller fråga personalen.")
Post = Callable[..., None]  # hands a call to the main thread (bridge.call_on_main)
# Told of every visit that ends: (kind, service id, seconds, outcome); the app adds language
# and display modes and queues the anonymous usage event.
VisitEnded = Callable[[str, str, int, str], None]


def local_when(moment: datetime, now: datetime) -> Message:
    """"i dag kl. 14:30", "i morgon kl. 08:00", else "3/12 kl. 08:00", in Swedish local time
    (the service point's clock, whatever zone the kiosk's system is set to)."""
    moment, now = moment.astimezone(LOCAL), now.astimezone(LOCAL)
    time_text = moment.strftime("%H:%M")
    days = (moment.date() - now.date()).days
    if days == 0:
        return Message.of(N_("i dag kl. {time}"), time=time_text)
    if days == 1:
        return Message.of(N_("i morgon kl. {time}"), time=time_text)
    return Message.of(N_("{day}/{month} kl. {time}"), day=moment.day, month=moment.month, time=time_text)


class BrowserVisitPresenter(Presenter):
    def __init__(self, launcher: BrowserLauncher, run: Runner, post: Post,
                 clock: Callable[[], datetime], on_visit_end: VisitEnded | None = None,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self._launcher, self._run, self._post, self._clock = launcher, run, post, clock
        self._monotonic = monotonic  # a visit's duration: not moved by the wall clock's corrections
        self.on_visit_end = on_visit_end
        self.on_visit_start: Callable[[str, str], None] | None = None  # (kind, service id)
        self._visit: tuple[str, str, float] | None = None  # kind, service id, monotonic start
        self.online = True
        self.last_online: datetime | None = None
        self.phase = CHOOSING
        self.message: Message | None = None

    @property
    def in_browser(self) -> bool:
        return self.phase in (STARTING, IN_BROWSER)

    def set_online(self, online: bool, last_online: datetime | None) -> None:
        """Polled every few seconds; redraws only when what the notice says would change."""
        visible_change = online != self.online or (not online and last_online != self.last_online)
        self.online, self.last_online = online, last_online
        if visible_change:
            self.changed()

    @property
    def offline_message(self) -> Message | None:
        if self.online:
            return None
        if self.last_online is None:
            return Message.of(OFFLINE_NEVER, "error")
        when = local_when(self.last_online, self._clock())
        return Message.of(OFFLINE_SINCE, "error", when=when)

    def open_browser(self, policy: BrowserPolicy, kind: str, service_id: str) -> None:
        if self.in_browser:
            return
        self._visit = (kind, service_id, self._monotonic())
        self.phase, self.message = STARTING, Message.of(STARTING_TEXT)
        self.changed()
        on_end = lambda reason: self._post(self._ended, reason)  # noqa: E731 (watchdog thread)
        self._run(lambda: self._launcher.start(policy, on_end), self._opened, self._failed)

    def finish(self) -> None:
        """The resident's one touch: End call / Done. The profile is wiped by the launcher."""
        if not self.in_browser:
            return
        self.phase, self.message = CHOOSING, Message.of(ENDED_TEXTS[EndReason.DONE], "success")
        self._visit_ended(EndReason.DONE.value)
        self.changed()
        self._run(self._launcher.end, lambda _r: None, lambda _e: None)

    def back(self) -> bool:
        """Back within this screen; True if handled (else the session leaves the screen)."""
        if self.in_browser:
            self.finish()
            return True
        return False

    def reset(self) -> None:
        """The visit ends (idle, Done, new person): nothing of it may stay on screen."""
        if self.in_browser:
            self._visit_ended("reset")
            self._run(self._launcher.end, lambda _r: None, lambda _e: None)
        self.phase, self.message = CHOOSING, None
        self.changed()

    def _opened(self, _result: object) -> None:
        if self.phase == STARTING:
            self.phase, self.message = IN_BROWSER, None
            if self._visit is not None and self.on_visit_start is not None:
                self.on_visit_start(*self._visit[:2])
            self.changed()
        else:  # ended or reset while it was starting: do not leave it running
            self._run(self._launcher.end, lambda _r: None, lambda _e: None)

    def _failed(self, error: BaseException) -> None:
        self._visit_ended(EndReason.FAILED.value)
        self.phase, self.message = CHOOSING, Message.from_error(error, UNEXPECTED)
        self.changed()

    def _ended(self, reason: EndReason) -> None:
        """The browser ended by itself (crash, hang, idle) or by finish(): take the screen back."""
        if self.phase != IN_BROWSER:
            return
        self.phase = CHOOSING
        self.message = Message.of(ENDED_TEXTS[reason], "success" if reason is EndReason.DONE else "error")
        self._visit_ended(reason.value)
        self.changed()

    def _visit_ended(self, outcome: str) -> None:
        visit, self._visit = self._visit, None
        if visit is not None and self.on_visit_end is not None:
            kind, service_id, started = visit
            self.on_visit_end(kind, service_id, round(self._monotonic() - started), outcome)
