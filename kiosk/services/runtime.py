"""The composition root: builds the database, drivers, services and sync worker from config.

The app and the CLI both build one `KioskRuntime`; nothing else constructs drivers or engines.
Importing this module is cheap: SQLAlchemy, Alembic, the sync client and the drivers are
imported when a runtime is built (the app does that on a thread, after its first frame).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from hardware.devices.card_reader import CardReader
    from hardware.devices.printer import ReceiptPrinter
    from hardware.devices.scanner import BarcodeScanner
    from hardware.manager import DeviceManager
    from kiosk.config import KioskConfig
    from kiosk.services.parcels import ParcelService
    from kiosk.services.directory import Directory
    from kiosk.services.staff import StaffDirectory
    from kiosk.services.usage import UsageRecorder
    from sync.worker import SyncWorker

log = logging.getLogger(__name__)
ITEM_SENSOR_PROTOCOLS = ("kerong",)  # WKLY boards have no item sensor: doors settle on closed
CODE_KEY_FILE = "pickup_code_key"  # in the data dir, beside the database (kiosk/services/pickup_codes/hashing.py)


@dataclass
class KioskRuntime:
    config: KioskConfig
    parcels: ParcelService
    staff: StaffDirectory
    card_reader: CardReader | None
    scanner: BarcodeScanner | None
    sync_worker: SyncWorker | None
    _closers: list[Callable[[], None]] = field(default_factory=list)
    devices: DeviceManager | None = None  # health polls and device events
    printer: ReceiptPrinter | None = None
    reconciled: Any | None = None  # kiosk.services.upkeep.Reconciled, after start()
    directory: Directory | None = None  # video services, e-services, bookings (scope directory)
    usage: UsageRecorder | None = None  # anonymous "usage.visit" events

    def start(self) -> None:
        self.reconciled = self.parcels.upkeep.reconcile()  # doors a stop interrupted, from the sensors
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
    from kiosk.store import db

    engine = db.create_kiosk_engine(config.database_path)
    db.upgrade(engine)
    return engine, db.session_factory(engine)


def build_runtime(config: KioskConfig) -> KioskRuntime:
    if config.locker is None:
        raise ValueError("the configuration has no [locker] section")
    from hardware.manager import DeviceManager
    from kiosk.services.pickup_codes.index import attach_key
    from kiosk.services.pickup_codes.hashing import load_or_create_key
    from kiosk.services.devices import device_settings
    from kiosk.services.directory import Directory
    from kiosk.services.parcels import ParcelService
    from kiosk.services.staff import StaffDirectory
    from kiosk.services.usage import UsageRecorder

    engine, sessions = open_database(config)
    closers: list[Callable[[], None]] = [engine.dispose, sessions.close]  # run last to first
    worker = build_sync_worker(config, sessions)
    if worker is not None:
        closers.append(worker.stop)
    devices = DeviceManager(device_settings(config))
    closers.append(devices.stop)  # stops listeners, closes every port
    code_key = load_or_create_key(config.data_dir / CODE_KEY_FILE)
    attach_key(sessions, code_key)
    parcels = ParcelService(
        sessions=sessions,
        locker=devices.driver("locker"),
        compartments=config.locker.compartments,
        on_committed=worker.trigger if worker else (lambda: None),
        item_sensors=config.locker.protocol in ITEM_SENSOR_PROTOCOLS,
        left_open_after_s=config.locker.door_left_open_s,
        code_key=code_key,
    )
    return KioskRuntime(config, parcels, StaffDirectory(sessions), devices.card_reader(),
                        devices.scanner(), worker, closers, devices, devices.printer(),
                        directory=Directory(sessions),
                        usage=UsageRecorder(sessions, worker.trigger if worker else (lambda: None)))


def build_sync_worker(config: KioskConfig, sessions) -> SyncWorker | None:
    if config.server is None:
        return None
    from kiosk.services.directory import DIRECTORY_SCOPE, apply_directory_changes
    from kiosk.services.staff import STAFF_SCOPE, apply_staff_changes
    from kiosk.services.upkeep import apply_parcel_changes
    from sync.client import SyncClient
    from sync.protocol import SCOPE_PARCELS
    from sync.worker import SyncWorker

    client = SyncClient(config.server.url, config.server.device_id, config.device_key_path)
    return SyncWorker(
        sessions,
        client,
        appliers={STAFF_SCOPE: apply_staff_changes, SCOPE_PARCELS: apply_parcel_changes,
                  DIRECTORY_SCOPE: apply_directory_changes},
        on_refetch=drop_scope_cache,
        interval=config.server.sync_interval_s,
    )


def drop_scope_cache(session, scope: str) -> None:
    """The server invalidated our cursor: forget that scope's rows (never the outbox); the
    worker applies the new snapshot's first page in this same transaction."""
    from kiosk.services.directory import DIRECTORY_SCOPE, drop_directory
    from kiosk.services.preadvice import drop_pre_advice
    from kiosk.services.staff import STAFF_SCOPE
    from sync.protocol import SCOPE_PARCELS

    if scope == SCOPE_PARCELS:
        drop_pre_advice(session)
    if scope == DIRECTORY_SCOPE:
        drop_directory(session)
    if scope == STAFF_SCOPE:
        from sqlalchemy import delete

        from kiosk.store.models import StaffCard

        session.execute(delete(StaffCard))
