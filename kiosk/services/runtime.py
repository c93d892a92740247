"""The composition root: builds the database, drivers, services and sync worker from config.

The app and the CLI both build one `KioskRuntime`; nothing else constructs drivers or engines.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Callable

from typing import Any

from hardware.manager import DeviceManager
from kiosk.config import KioskConfig
from kiosk.services.devices import device_settings
from kiosk.services.directory import DIRECTORY_SCOPE, Directory, apply_directory_changes, drop_directory
from kiosk.services.parcels import ParcelService
from kiosk.services.usage import UsageRecorder
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
    card_reader: Any | None  # hardware.devices.card_reader.CardReader
    scanner: Any | None  # hardware.devices.scanner.BarcodeScanner
    sync_worker: SyncWorker | None
    _closers: list[Callable[[], None]] = field(default_factory=list)
    devices: DeviceManager | None = None  # health polls and device events
    printer: Any | None = None  # hardware.devices.printer.ReceiptPrinter
    directory: Directory | None = None  # video services, e-services, bookings (scope directory)
    usage: UsageRecorder | None = None  # anonymous "usage.visit" events

    def start(self) -> None:
        if self.sync_worker is not None:
            self.sync_worker.start()
        if self.devices is not None:
            self.devices.start()

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
    devices = DeviceManager(device_settings(config))
    closers.append(devices.stop)  # stops listeners, closes every port
    parcels = ParcelService(
        sessions=sessions,
        locker=devices.driver("locker"),
        compartments=config.locker.compartments,
        on_committed=worker.trigger if worker else (lambda: None),
    )
    return KioskRuntime(config, parcels, StaffDirectory(sessions), devices.driver("card_reader"),
                        devices.driver("scanner"), worker, closers, devices, devices.driver("printer"),
                        directory=Directory(sessions),
                        usage=UsageRecorder(sessions, worker.trigger if worker else (lambda: None)))


def build_sync_worker(config: KioskConfig, sessions) -> SyncWorker | None:
    if config.server is None:
        return None
    client = SyncClient(config.server.url, config.server.device_id, config.device_key_path)
    return SyncWorker(
        sessions,
        client,
        appliers={STAFF_SCOPE: apply_staff_changes, DIRECTORY_SCOPE: apply_directory_changes},
        on_refetch=drop_scope_cache,
        interval=config.server.sync_interval_s,
    )


def drop_scope_cache(session, scope: str) -> None:
    """The server invalidated our cursor: forget that scope's rows (never the outbox); the
    worker applies the new snapshot's first page in this same transaction."""
    if scope == DIRECTORY_SCOPE:
        drop_directory(session)
    if scope == STAFF_SCOPE:
        from sqlalchemy import delete

        from kiosk.store.models import StaffCard

        session.execute(delete(StaffCard))
