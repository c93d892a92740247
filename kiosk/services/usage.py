"""Anonymous usage of video calls and e-services, queued for the central server ("usage.visit").

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


class UsageRecorder:
    def __init__(self, sessions: sessionmaker[Session], on_committed: Callable[[], None] = lambda: None) -> None:
        self._sessions = sessions
        self._on_committed = on_committed  # wakes the sync worker

    def record(self, visit: p.UsageVisit) -> None:
        with self._sessions.begin() as session:
            enqueue(session, type=USAGE_EVENT, payload=visit.model_dump())
        self._on_committed()
