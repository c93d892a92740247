"""The composition root: builds the database, drivers, services and sync worker from config.

The app and the CLI both build one `KioskRuntime`; nothing else constructs drivers or engines.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Callable

from hardware.devices.card_reader import PN532Reader
from hardware.devices.locker import KerongLocker
from hardware.devices.scanner import SerialScanner
from kiosk.config import KioskConfig
from kiosk.services.parcels import ParcelService
from kiosk.services.staff import STAFF_SCOPE, StaffDirectory, apply_staff_changes
from kiosk.store import db
from sync.client import SyncClient
from sync.worker import SyncWorker

log = logging.getLogger(__name__)


@dataclass
class KioskRuntime:
    config: KioskConfig
    parcels: ParcelService
    staff: StaffDirectory
    card_reader: PN532Reader | None
    scanner: SerialScanner | None
    sync_worker: SyncWorker | None
    _closers: list[Callable[[], None]] = field(default_factory=list)

    def start(self) -> None:
        if self.sync_worker is not None:
            self.sync_worker.start()

    def close(self) -> None:
        """Stops threads and closes ports; safe to call twice."""
        while self._closers:
            closer = self._closers.pop()
            try:
                closer()
            except Exception:  # closing must go on for the others
                log.exception("error while shutting down")


def open_database(config: KioskConfig):
    engine = db.create_kiosk_engine(config.database_path)
    db.upgrade(engine)
    return engine, db.session_factory(engine)


def build_runtime(config: KioskConfig) -> KioskRuntime:
    if config.locker is None:
        raise ValueError("the configuration has no [locker] section")
    engine, sessions = open_database(config)
    closers: list[Callable[[], None]] = [engine.dispose]
    worker = build_sync_worker(config, sessions)
    if worker is not None:
        closers.append(worker.stop)
    locker = KerongLocker(
        config.locker.port,
        baudrate=config.locker.baudrate or 19200,
        hook_closed_bit=config.locker.hook_closed_bit,
    )
    closers.append(locker.close)
    parcels = ParcelService(
        sessions=sessions,
        locker=locker,
        compartments=config.locker.compartments,
        on_committed=worker.trigger if worker else (lambda: None),
    )
    card_reader = PN532Reader(config.card_reader.port) if config.card_reader else None
    scanner = SerialScanner(config.scanner.port) if config.scanner else None
    closers += [device.stop for device in (card_reader, scanner) if device is not None]
    return KioskRuntime(config, parcels, StaffDirectory(sessions), card_reader, scanner, worker, closers)


def build_sync_worker(config: KioskConfig, sessions) -> SyncWorker | None:
    if config.server is None:
        return None
    client = SyncClient(config.server.url, config.server.device_id, config.device_key_path)
    return SyncWorker(
        sessions,
        client,
        appliers={STAFF_SCOPE: apply_staff_changes},
        interval=config.server.sync_interval_s,
    )
