from tests.kiosk.conftest import locker, locker_bus, parcels, sessions  # noqa: F401  (shared real parts)
