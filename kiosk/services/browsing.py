"""One locked-down browser at a time for the resident: a video call or an e-service.

Builds the BrowserPolicy for each kind of visit and owns the running BrowserSession, so the UI
only says "call this room", "open this e-service" and "end". Starting and ending take seconds
(Chromium launches, a profile is wiped): callers run them on a worker thread.
"""
from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Callable
from urllib.parse import urlsplit

from kiosk.services.browser import (
    BrowserPolicy, BrowserSession, BrowserUnavailable, EndReason, LaunchOptions,
)
from kiosk.services.errors import N_, UserFacingError
from kiosk.services.jitsi import meeting_url, origin_of
from kiosk.services.localtime import SERVICE_POINT_TIME
# For the screens, which do not import the wire format (or the directory's SQLAlchemy) themselves:
from sync.directory_terms import E_SERVICE_CATEGORIES  # noqa: F401  (re-exported)

if TYPE_CHECKING:  # the wire models are pydantic, which the first screen does without
    from sync import protocol as p

log = logging.getLogger(__name__)
E_SERVICE_IDLE_S = 180.0  # a form left alone this long is abandoned: end it, wipe it
NO_BROWSER = N_("Det går inte att öppna just nu. Fråga personalen i butiken.")
LOCAL_TIME = SERVICE_POINT_TIME  # opening hours and meetings are local times


def video_policy(room_url: str, *, village: str, language: str) -> BrowserPolicy:
    """The room only, with camera and microphone; no idle timeout (people talk, not touch)."""
    url = meeting_url(room_url, village=village, language=language)
    host = urlsplit(room_url).hostname or ""
    return BrowserPolicy(start_url=url, allowed_domains=(host,), media_origins=(origin_of(room_url),),
                         language=language)


def e_service_policy(service: p.EServiceData, *, language: str = "sv") -> BrowserPolicy:
    """The e-service's domains only; no camera or microphone; ends when left alone."""
    return BrowserPolicy(start_url=service.start_url, allowed_domains=tuple(service.allowed_domains),
                         idle_timeout=E_SERVICE_IDLE_S, language=language)


class BrowserLauncher:
    def __init__(self, options_for: Callable[[], LaunchOptions] = LaunchOptions) -> None:
        """`options_for()` gives the launch options at each start (the window may have moved)."""
        self._options_for = options_for
        self._lock = threading.Lock()
        self._session: BrowserSession | None = None

    @property
    def active(self) -> bool:
        session = self._session
        return session is not None and not session.ended

    def start(self, policy: BrowserPolicy, on_end: Callable[[EndReason], None]) -> None:
        """Ends any previous session, then starts this one. Raises UserFacingError."""
        self.end()
        session = BrowserSession(policy, self._options_for(), on_end=on_end)
        with self._lock:
            self._session = session
        try:
            session.start()
        except BrowserUnavailable as error:
            log.error("browser did not start: %s", error)
            raise UserFacingError(NO_BROWSER) from error

    def end(self) -> None:
        with self._lock:
            session, self._session = self._session, None
        if session is not None:
            session.end(EndReason.DONE)
