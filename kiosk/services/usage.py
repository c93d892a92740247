"""Anonymous usage of video calls and e-services, queued for the central server ("usage.visit"),
and the "video.call_started" that lets the server alert a service's on-duty contact.

The pilots exist to learn which services villagers use, when and in which language. One event
per visit: the service, how long, the language and display modes, how it ended. Nothing that
could name the person (the payload model has no field for it).
"""
from __future__ import annotations

from typing import Callable

from sqlalchemy.orm import Session, sessionmaker

from sync import protocol as p
from sync.outbox import enqueue

USAGE_EVENT = "usage.visit"
CALL_STARTED_EVENT = "video.call_started"


class UsageRecorder:
    def __init__(self, sessions: sessionmaker[Session], on_committed: Callable[[], None] = lambda: None) -> None:
        self._sessions = sessions
        self._on_committed = on_committed  # wakes the sync worker

    def record(self, visit: p.UsageVisit) -> None:
        self._enqueue(USAGE_EVENT, visit.model_dump())

    def visit_ended(self, *, kind: str, service_id: str, language: str, seconds: int, large_text: bool,
                    high_contrast: bool, speech: bool, outcome: str) -> None:
        """The UI's way in (it does not import sync): validates, then queues one usage.visit."""
        self.record(p.UsageVisit(kind=kind, service_id=service_id, language=language, duration_s=seconds,
                                 large_text=large_text, high_contrast=high_contrast, speech=speech,
                                 outcome=outcome))

    def call_started(self, service_id: str, booked: bool) -> None:
        """Someone is in a video room now: the server alerts the service's on-duty contact."""
        self._enqueue(CALL_STARTED_EVENT, p.VideoCallStarted(service_id=service_id, booked=booked).model_dump())

    def _enqueue(self, type_: str, payload: dict) -> None:
        with self._sessions.begin() as session:
            enqueue(session, type=type_, payload=payload)
        self._on_committed()
