"""Start-up in the background: the window shows and answers touches first, then the runtime
(database, migrations, serial ports, sync worker) is built on a thread.

Building the runtime imports SQLAlchemy, Alembic and the sync client and opens every port,
which took longer than starting Kivy itself. Until it is ready the presenters hold `Deferred`
stand-ins: a call made on a worker thread waits for the real service (a person typing a code
needs longer than the start-up does), and the home screen says honestly that parcels are
still starting.
"""
from __future__ import annotations

import logging
import threading
from typing import Any, Callable

from kiosk.early_config import ConfigError
from kiosk.services.errors import N_, UserFacingError

log = logging.getLogger(__name__)
STILL_STARTING = N_("Paketskåpet startar fortfarande. Försök igen om en liten stund.")
WAIT_ON_WORKER_S = 60.0


class ServicesNotReady(UserFacingError):
    def __init__(self) -> None:
        super().__init__(STILL_STARTING)


class Deferred:
    """Stands in for one service of the runtime until it is built.

    Attribute access on a worker thread waits for the runtime; on the main thread it never
    blocks (a frozen screen is worse than a clear message) and raises ServicesNotReady."""

    def __init__(self, ready: threading.Event, resolve: Callable[[], Any], name: str) -> None:
        self._ready, self._resolve, self._name = ready, resolve, name

    def __getattr__(self, attribute: str) -> Any:
        on_main = threading.current_thread() is threading.main_thread()
        if not self._ready.wait(0 if on_main else WAIT_ON_WORKER_S):
            raise ServicesNotReady()
        service = self._resolve()
        if service is None:
            raise ServicesNotReady()  # the runtime failed to build; the app is stopping
        return getattr(service, attribute)

    def __repr__(self) -> str:
        return f"<Deferred {self._name} ready={self._ready.is_set()}>"


class RuntimeStarter:
    """Builds the runtime on one thread and hands it to `deliver` (which must hop to the main
    thread itself). Whoever stops the app calls `close()`: it waits for a build under way and
    closes what was built, so no port or thread outlives the app."""

    def __init__(self, build: Callable[[], Any], deliver: Callable[[Any, BaseException | None], None]) -> None:
        self._build, self._deliver = build, deliver
        self.ready = threading.Event()
        self.runtime: Any = None
        self._lock = threading.Lock()
        self._closed = False
        self._thread: threading.Thread | None = None

    def deferred(self, name: str) -> Deferred:
        return Deferred(self.ready, lambda: getattr(self.runtime, name, None), name)

    @property
    def started(self) -> bool:
        return self._thread is not None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="kiosk-startup", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            runtime = self._build()
        except BaseException as error:  # reported to the app, which stops with this error
            if isinstance(error, ConfigError):  # the message says it all; a traceback would bury it
                log.error("the kiosk runtime could not be built: %s", error)
            else:
                log.exception("the kiosk runtime could not be built")
            self.ready.set()  # waiting callers get ServicesNotReady instead of hanging
            self._deliver(None, error)
            return
        with self._lock:
            if self._closed:  # the app stopped while we were building
                runtime.close()
                return
            self.runtime = runtime
        self.ready.set()
        self._deliver(runtime, None)

    def close(self, timeout: float = 30.0) -> None:
        with self._lock:
            self._closed = True
            runtime, self.runtime = self.runtime, None
        # Workers waiting for a runtime that will not come get ServicesNotReady now: the
        # interpreter joins them at exit, and a stop must not wait out their minute.
        self.ready.set()
        if runtime is not None:
            runtime.close()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)
