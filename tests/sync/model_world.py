"""The parts of the fault-17 model (test_model.py): a server world shared by all examples, and
a kiosk that can crash and restart from its SQLite file.

One server and proxy serve every example (starting them per example would cost more than the
example). Each example gets its own service point and kiosk, so nothing it checks (events,
parcels, staff, config) is shared with another example.
"""
from __future__ import annotations

import itertools
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine, event, text
from sqlalchemy.orm import Session, sessionmaker

from sync.client import SyncClient, enroll, generate_device_key
from sync.outbox import OutboxBase
from sync.server.db.engine import make_engine, make_session_factory, upgrade
from sync.worker import SyncWorker
from tests.sync.faultproxy import FaultProxy, always
from tests.sync.helpers import Central
from tests.sync.kioskside import KIOSK_STAFF, make_worker

BATCH_SIZE = 7  # small, so a few parcels make several batches
# Short, as a STALL_RESPONSE costs this much wall time; a loaded machine can exceed it now and
# then, which the faults' rounds tolerate (a failed round is one of their outcomes).
MODEL_TIMEOUT = (2.0, 0.75)
# For the check after quiescence, whose one clean round must succeed: no fault stalls a reply
# there, so only a slow machine can be slow, and that is not what the model looks for.
PATIENT_TIMEOUT = (5.0, 30.0)


class World:
    """A central server (SQLite file) behind a fault proxy, for the whole test."""

    def __init__(self) -> None:
        # In memory where there is /dev/shm: the model's crashes are rollbacks, not lost
        # writes (test_kill.py SIGKILLs real processes), so fsync would only cost time.
        shm = Path("/dev/shm")
        self.tmp = Path(tempfile.mkdtemp(prefix="sync-model-", dir=shm if shm.is_dir() else None))
        url = f"sqlite:///{self.tmp / 'central.db'}"
        upgrade(url)
        self.central = Central(url).start()
        self.proxy = FaultProxy(self.server_port()).start()
        self._numbers = itertools.count(1)

    def server_port(self) -> int:
        return self.central.live.sock.getsockname()[1]

    def restart_server(self) -> None:
        self.central.live.stop()
        self.central.start()
        self.proxy.upstream_port = self.server_port()

    def next_number(self) -> int:
        return next(self._numbers)

    def reset_link(self) -> None:
        self.proxy.plan, self.proxy.down = always(), False
        self.proxy.delayed.clear()

    def close(self) -> None:
        self.proxy.close()
        self.central.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


class KioskCrash(BaseException):
    """A power cut: a BaseException, so no `except Exception` of the kiosk's code runs on."""


class CrashSwitch:
    """Cuts the power at a commit: the n-th from now, or the first that writes a given table
    (outbox: verdicts; kiosk_staff: a pull page; sync_cursors; sync_state). That commit is
    rolled back, as SQLite does with a transaction its process did not finish, and so is
    every commit after it: the process is dead.

    Engine events, not Session ones: the ORM flushes its UPDATEs inside Session.commit(), so
    only the connection's own commit sees every statement of the transaction."""

    def __init__(self, engine: Engine) -> None:
        self.countdown: int | None = None
        self.table: str | None = None
        self.crashed = False
        self._written: set[str] = set()
        event.listen(engine, "before_cursor_execute", self._before_execute)
        event.listen(engine, "commit", self._commit)
        event.listen(engine, "rollback", self._forget)

    def arm(self, at: int | str) -> None:
        """At the n-th commit from now (int) or the first commit writing table `at` (str)."""
        self.countdown, self.table = (at, None) if isinstance(at, int) else (None, at)

    def _before_execute(self, _conn, _cursor, statement: str, *_args: object) -> None:
        match = _WRITE.match(statement)
        if match:
            self._written.add(match.group(1).lower())

    def _commit(self, _connection: object) -> None:
        if self.countdown is not None:
            self.countdown -= 1
            self.crashed = self.crashed or self.countdown <= 0
        if self.table is not None and self.table in self._written:
            self.crashed = True
        self._forget()
        if self.crashed:
            raise KioskCrash("power cut")

    def _forget(self, *_args: object) -> None:
        self._written.clear()


_WRITE = re.compile(r'\s*(?:INSERT(?: OR \w+)? INTO|UPDATE|DELETE FROM)\s+"?(\w+)', re.IGNORECASE)


WorkerFactory = Callable[[sessionmaker[Session], SyncClient], SyncWorker]


def default_worker(sessions: sessionmaker[Session], client: SyncClient) -> SyncWorker:
    return make_worker(sessions, client, batch_size=BATCH_SIZE)


class Kiosk:
    """One kiosk: its SQLite file, key and device id survive a crash; everything in memory
    (engine, token, adaptive batch size, worker) is rebuilt by `restart`."""

    def __init__(self, world: World, work: Path, service_point: str,
                 worker_factory: WorkerFactory = default_worker) -> None:
        self.world, self.work = world, work
        self.key = work / "key"
        generate_device_key(self.key)
        code = world.central.add_kiosk(service_point)
        self.device_id = enroll(world.central.url, code, self.key, install_id=work.name).device_id
        self.db_url = f"sqlite:///{work / 'kiosk.db'}"
        self._worker_factory = worker_factory
        self._open(create=True)

    def _open(self, create: bool = False) -> None:
        self.engine = make_engine(self.db_url)
        if create:
            OutboxBase.metadata.create_all(self.engine)
            KIOSK_STAFF.metadata.create_all(self.engine)
        self.sessions = make_session_factory(self.engine)
        self.crash = CrashSwitch(self.engine)
        self._connect(MODEL_TIMEOUT)

    def _connect(self, timeout: tuple[float, float]) -> None:
        self.client = SyncClient(self.world.proxy.url, self.device_id, self.key, timeout=timeout)
        self.worker = self._worker_factory(self.sessions, self.client)

    def be_patient(self) -> None:
        """A new client and worker with PATIENT_TIMEOUT, as after a restart without a crash."""
        self.client.close()
        self._connect(PATIENT_TIMEOUT)

    def restart(self) -> None:
        """The process came back after a crash: reopen everything from disk."""
        self.close()
        self._open()
        with self.engine.connect() as connection:
            assert connection.execute(text("PRAGMA integrity_check")).scalar() == "ok"

    def close(self) -> None:
        self.client.close()
        self.engine.dispose()
