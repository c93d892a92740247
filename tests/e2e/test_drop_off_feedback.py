"""What a busy clerk and a resident see, in the real kiosk window at the demo's 1280x800
(issue 14, points 1 and 4): the phone's empty places dimmed apart from what is typed, a
landline refused, the number read back before it is saved, Avbryt naming the open door until
it is closed, the pickup code as typed, Text + saying it is on, Klar after a pickup, Read
aloud without a sound card saying so, and staff mode in Swedish after a Sámi resident."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.e2e.parcel_system import ParcelSystem, s10, start_parcel_system
from tests.e2e.system import Processes, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.ui]


@pytest.fixture
def system(tmp_path: Path, x_display: str, output_dir: Path):
    processes = Processes(output_dir)
    try:
        yield start_parcel_system(tmp_path, x_display, processes, output_dir)
    finally:
        processes.stop_all()


def test_the_phone_is_checked_and_read_back_and_a_cancel_names_the_door(system: ParcelSystem) -> None:
    sim, ui = system.sim, system.ui
    system.open_staff_receive()
    sim.command(f"scan {s10('33333333')}")
    ui.wait_text("message", "föravisering")
    assert ui.digits_shown() == ""  # the empty places are no digits, dimmed
    ui.screenshot("phone-empty")
    ui.type_digits("01234567")  # what a clerk typed who read the old bold "07_" as typed
    ui.tap("key-ok")
    ui.wait_text("message", "inget mobilnummer")
    ui.screenshot("phone-landline-refused")
    ui.tap("key-erase")
    ui.wait_text("message", "föravisering")  # the instruction again: the error was about the old number
    ui.erase_all()
    ui.type_digits("070123")
    ui.screenshot("phone-half-typed")
    ui.type_digits("4567")
    ui.tap("key-ok")
    assert ui.wait_text("message", "stämmer det?").startswith("070-123 45 67")
    assert system.open_doors() == []  # nothing opens before the clerk says yes
    ui.screenshot("phone-read-back")
    ui.tap("confirm-phone")
    ui.wait_text("message", "stäng luckan")
    [lock] = wait_until(system.open_doors, "a door to open")
    ui.tap("cancel")
    assert f"fack A{lock}" in ui.wait_text("message", "Avbrutet")
    ui.wait_text("code", f"A{lock}")
    ui.screenshot("cancelled-door-open")
    sim.command(f"door 0 {lock} close")  # the clerk took the parcel out again
    text = wait_until(lambda: "Ta ut" not in (m := ui.widget("message")["text"]) and m, "'take it out' to go")
    assert "registrerades inte" in text
    ui.screenshot("cancelled-door-closed")


def test_a_resident_sees_the_code_text_size_and_klar_and_staff_mode_is_swedish(system: ParcelSystem) -> None:
    sim, ui = system.sim, system.ui
    system.open_staff_receive()
    lock, code = system.store(s10("44444444"), phone="0701234567")
    ui.tap("exit-staff")
    system.resident_pickup_screen()
    ui.type_code(code[:4])
    assert ui.digits_shown() == code[:4]  # the digits themselves, not dots
    ui.tap("larger-text")
    ui.wait_text("larger-text", "Text + på")
    ui.screenshot("pickup-code-typed-large-text")
    ui.tap("read-aloud")
    if _has_sound():
        pytest.skip("this machine plays sound: Read aloud works, so there is nothing to tell")
    ui.wait_text("message", "Uppläsningen fungerar inte")
    ui.wait_text("read-aloud", "Inget ljud")
    ui.screenshot("pickup-read-aloud-no-sound")
    ui.type_digits(code[4:])
    ui.tap("key-ok")
    ui.wait_text("message", "Ta ditt paket")
    sim.command(f"item 0 {lock} absent")
    sim.command(f"door 0 {lock} close")
    ui.wait_text("message", "uthämtat")
    ui.screenshot("pickup-done-klar")
    ui.tap("done")
    ui.wait_screen("attract")

    # A North Sámi resident with large text, then staff badge in: the staff screens in Swedish.
    ui.tap_until_screen("attract", "home")
    ui.tap("language")
    ui.wait_screen("language")
    ui.tap("language-se")
    ui.wait_screen("home")
    ui.tap("larger-text")
    ui.wait_text("larger-text", "+")
    system.staff_mode()
    ui.wait_text("title", "Personalläge")
    assert "på" not in ui.widget("larger-text")["text"]
    ui.screenshot("staff-menu-after-sami-resident")


def _has_sound() -> bool:
    probe = subprocess.run(["espeak-ng", "-v", "sv", "."], capture_output=True, text=True, check=False)
    return not probe.stderr.strip()
