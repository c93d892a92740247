"""The demo's simulator panel: a small window where a person plays the hardware.

It talks only to the simulators' loopback control API (like the end-to-end tests do), never
to the kiosk: the kiosk hears about taps and scans through its serial ports. Each button
sends one line of the command language `kiosk simulate` reads (hardware.sim.commands).

Below the buttons, the last SMS the central server sent (to the demo's loopback 46elks,
kiosk/cli/demo_world.py): what the resident would read, and a button that holds its QR to the
scanner, as the resident would at pickup.
"""
from __future__ import annotations

import argparse
import random
import threading
from pathlib import Path

from kiosk.ui.kivy_settings import apply_window_settings

apply_window_settings(width=420, height=800, left=1290)  # beside the 1280-px kiosk window

from kivy.app import App  # noqa: E402
from kivy.clock import Clock  # noqa: E402
from kivy.uix.boxlayout import BoxLayout  # noqa: E402
from kivy.uix.button import Button  # noqa: E402
from kivy.uix.gridlayout import GridLayout  # noqa: E402
from kivy.uix.label import Label  # noqa: E402
from kivy.utils import escape_markup  # noqa: E402

from hardware.protocols.barcode import s10_check_digit  # noqa: E402
from hardware.sim.control import SimControl, SimControlError  # noqa: E402
from kiosk.cli.demo_world import last_sms, pickup_qr  # noqa: E402

UNKNOWN_CARD = "0BADCAFE"


def sample_s10() -> str:
    digits = f"{random.randrange(10**8):08d}"
    return f"CP{digits}{s10_check_digit(digits)}SE"


NO_SMS = "No SMS yet: store a parcel (staff card, scan, phone, close the door)."


class SimPanel(BoxLayout):
    def __init__(self, control: SimControl, staff_uid: str, sms_outbox: Path | None = None, **kwargs) -> None:
        super().__init__(orientation="vertical", padding=8, spacing=6, **kwargs)
        self.control, self.sms_outbox = control, sms_outbox
        self.add_widget(Label(text="[b]Simulated hardware[/b]", markup=True, size_hint_y=None, height=40))
        self._button(f"Tap staff card {staff_uid}", lambda: control.command(f"tap {staff_uid}"))
        self._button("Tap unknown card", lambda: control.command(f"tap {UNKNOWN_CARD}"))
        self._button("Scan new parcel (S10)", lambda: control.command(f"scan {sample_s10()}"))
        self._button("Scan unknown barcode", lambda: control.command("scan HELLO-123"))
        if sms_outbox is not None:
            self._button("Scan pickup QR from the last SMS", self.scan_pickup_qr)
        self.status = Label(text="", size_hint_y=None, height=30)
        self.add_widget(self.status)
        self.doors = GridLayout(cols=3, spacing=4)
        self.add_widget(self.doors)
        self.sms = Label(text=NO_SMS, size_hint_y=None, height=150, halign="left", valign="top")
        self.sms.bind(width=lambda label, width: setattr(label, "text_size", (width, None)))
        if sms_outbox is not None:
            self.add_widget(self.sms)
        Clock.schedule_interval(lambda _dt: self._refresh(), 0.5)

    def _button(self, text: str, action) -> None:
        button = Button(text=text, size_hint_y=None, height=56)
        button.bind(on_release=lambda *_: self._in_background(action))
        self.add_widget(button)

    def _in_background(self, action) -> None:
        threading.Thread(target=self._safely, args=(action,), daemon=True).start()

    def _safely(self, action) -> None:
        try:
            action()
        except SimControlError as error:  # what SimControl raises when the simulators are gone
            # The text now: Python unbinds `error` when the except block ends, before the callback runs.
            text = f"simulators unreachable: {error}"
            Clock.schedule_once(lambda _dt: setattr(self.status, "text", text))

    def scan_pickup_qr(self) -> None:
        """The QR of the newest SMS, held to the scanner (on a button's thread)."""
        sms = last_sms(self.sms_outbox) if self.sms_outbox else None
        qr = pickup_qr(sms["message"]) if sms else None
        if qr is None:
            Clock.schedule_once(lambda _dt: setattr(self.status, "text", "no pickup SMS yet"))
            return
        self.control.command(f"scan {qr}")

    def _refresh(self) -> None:
        self._in_background(lambda: self._show(self.control.state()))
        if self.sms_outbox is not None:
            self._show_sms(last_sms(self.sms_outbox))

    def _show_sms(self, sms: dict | None) -> None:
        self.sms.text = f"[b]SMS to {escape_markup(sms['to'])}[/b]\n{escape_markup(sms['message'])}" if sms else NO_SMS
        self.sms.markup = sms is not None

    def _show(self, state: dict) -> None:
        Clock.schedule_once(lambda _dt: self._draw_doors(state["lockers"]))

    def _draw_doors(self, lockers: list[dict]) -> None:
        self.doors.clear_widgets()
        for lock in lockers[:8]:
            name = f"A{lock['lock']}"
            door = "closed" if lock["door_closed"] else "OPEN"
            item = ", parcel" if lock["item_present"] else ""
            self.doors.add_widget(Label(text=f"{name}: {door}{item}"))
            # The kiosk checks the item sensor: a drop-off needs a parcel inside, a pickup none.
            for text, item in ((f"Put in, close {name}", "present"), (f"Take out, close {name}", "absent")):
                button = Button(text=text, disabled=lock["door_closed"])
                button.bind(on_release=lambda *_, b=lock["board"], n=lock["lock"], i=item: self._in_background(
                    lambda: self._close_with(b, n, i)))
                self.doors.add_widget(button)

    def _close_with(self, board: int, lock: int, item: str) -> None:
        self.control.command(f"item {board} {lock} {item}")
        self.control.command(f"door {board} {lock} close")


class SimPanelApp(App):
    title = "Servicepunkt simulators"

    def __init__(self, control_url: str, staff_uid: str, sms_outbox: Path | None = None) -> None:
        super().__init__()
        self.control_url, self.staff_uid, self.sms_outbox = control_url, staff_uid, sms_outbox

    def build(self):
        return SimPanel(SimControl(self.control_url), self.staff_uid, self.sms_outbox)


def main() -> None:
    parser = argparse.ArgumentParser(description="Simulator panel for the Servicepunkt demo")
    parser.add_argument("--control-url", required=True)
    parser.add_argument("--staff-uid", required=True)
    parser.add_argument("--sms-outbox", type=Path, help="the demo SMS gateway's JSON-lines file")
    args = parser.parse_args()
    SimPanelApp(args.control_url, args.staff_uid, args.sms_outbox).run()


if __name__ == "__main__":
    main()
