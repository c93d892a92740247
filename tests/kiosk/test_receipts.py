"""The drop-off slip on the ESC/POS printer simulator over a pty: what it says, what it never
says (the code), and a clear message when the printer cannot print."""
from __future__ import annotations

from datetime import datetime

import pytest

from hardware.devices.printer import EscPosPrinter
from hardware.sim.printer import PrinterSim
from hardware.sim.pty import PtyHarness
from kiosk.services.errors import UserFacingError
from kiosk.services.parcels import StoredParcel
from kiosk.services.receipts import drop_off_slip, print_slip

STORED = StoredParcel("p1", "A3", "480213", "CP473124829SE", "2026-12-08")


@pytest.fixture
def printer_sim():
    sim = PrinterSim()
    harness = PtyHarness(sim)
    driver = EscPosPrinter(harness.port, timeout=0.3)
    yield sim, driver
    driver.close()
    harness.stop()


def test_the_slip_names_parcel_place_and_last_day_but_never_the_code(printer_sim) -> None:
    sim, driver = printer_sim
    slip = drop_off_slip(STORED, "Lanthandeln", "Anna", now=datetime(2026, 12, 1, 9, 30))
    assert print_slip(driver, slip) == "printed"
    [receipt] = sim.receipts
    assert receipt.lines == ["Lanthandeln: inlämnat paket", "Kolli: CP473124829SE", "Fack A3",
                             "Inlämnat: 2026-12-01 09:30", "Hämtas senast: 2026-12-08", "Personal: Anna"]
    assert "480213" not in " ".join(receipt.lines)


def test_a_held_parcel_slip_says_counter() -> None:
    held = StoredParcel("p2", None, "123456", "CP473124829SE", None)
    assert "Vid disken" in drop_off_slip(held, "Lanthandeln").lines


def test_no_paper_gives_a_clear_message(printer_sim) -> None:
    sim, driver = printer_sim
    sim.set_paper("out")
    with pytest.raises(UserFacingError, match="kunde inte skrivas ut"):
        print_slip(driver, drop_off_slip(STORED, "Lanthandeln"))
    with pytest.raises(UserFacingError):
        print_slip(None, drop_off_slip(STORED, "Lanthandeln"))
