"""Staff drop-off: scan a parcel, (type the recipient's phone and confirm it as read back, if no
pre-advice,) a door opens, staff puts the parcel in and closes it, the code is shown. Nothing
fits: held at the counter. Cancelled with the door open: the screen names the door until it is
closed again."""
from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from kiosk.services.errors import N_
from kiosk.services.outcomes import StaffMember, StoredParcel
from kiosk.ui.presenters.base import Message, Presenter, Runner
from kiosk.ui.presenters.phone_entry import read_back, shown_parts
from kiosk.ui.presenters.pickup import LEFT_OPEN, UNEXPECTED

if TYPE_CHECKING:  # the services import SQLAlchemy: not on the start-up path
    from kiosk.config import Compartment
    from kiosk.services.parcels import Barcode, Intake, OpenedForDropOff, ParcelService

SCAN, OPENING, PHONE, DOOR_OPEN, STORING, STORED = "scan", "opening", "phone", "door_open", "storing", "stored"
CONFIRM = "confirm"  # the typed number read back, waiting for "yes" or "correct it"
STORED_TEXT = N_("Paketet ligger i fack {compartment}. Skanna nästa paket.")
HELD_TEXT = N_("Inget ledigt fack passar. Behåll paketet vid disken och skriv koden på lappen.")
PHONE_TEXT = N_("Ingen föravisering. Skriv mottagarens mobilnummer och tryck OK.")
PUT_IN = N_("Lägg paketet i fack {compartment} och stäng luckan.")
CONFIRM_PHONE = N_("{number} – stämmer det?")
CANCELLED = N_("Avbrutet. Paketet registrerades inte.")
CANCELLED_TAKE_OUT = N_("Avbrutet. Paketet registrerades inte. Ta ut det ur fack {compartment} och stäng luckan.")
PHONE_MAX = 15


class StaffPresenter(Presenter):
    def __init__(self, parcels: ParcelService, run: Runner, *, printer=None, place: str = "") -> None:
        super().__init__()
        self._parcels = parcels
        self._run = run
        self._printer, self._place = printer, place
        self._stop = threading.Event()
        self.member: StaffMember | None = None
        self.reset()

    def reset(self) -> None:
        self._stop.set()
        self._stop = threading.Event()
        self.phase = SCAN
        self.staff_name = self.member.name if self.member else ""
        self.intake: Intake | None = None
        self.phone = ""
        self._checked: Intake | None = None  # the intake with the number being read back
        self.taking_out: Compartment | None = None  # cancelled with its door open: until closed
        self.opened: OpenedForDropOff | None = None
        self.stored: StoredParcel | None = None
        self.alarm: Message | None = None
        self.message = Message.of(N_("Skanna paketets streckkod."))
        self.changed()

    def begin(self, member: StaffMember | str) -> None:
        self.member = member if isinstance(member, StaffMember) else StaffMember(member)
        self.reset()

    def end(self) -> None:
        self.member = None
        self.reset()

    @property
    def accepts_scan(self) -> bool:
        return self.phase in (SCAN, STORED, PHONE, CONFIRM)

    @property
    def can_cancel(self) -> bool:
        return self.phase in (DOOR_OPEN, PHONE, CONFIRM)

    @property
    def can_leave(self) -> bool:
        """Leaving while a door is open or a parcel is being saved would lose that parcel."""
        return self.phase in (SCAN, STORED, PHONE, CONFIRM)

    @property
    def waiting_for_door(self) -> bool:
        """A door is open and staff are at the locker, not at the screen: no idle countdown."""
        return self.phase in (OPENING, DOOR_OPEN, STORING) or self.taking_out is not None

    @property
    def phone_shown(self) -> tuple[str, str]:
        """(typed, empty places): the screen draws the empty places dimmed."""
        return shown_parts(self.phone)

    @property
    def can_print(self) -> bool:
        return self.phase == STORED and self._printer is not None

    # -- scanning and the phone ---------------------------------------------------------

    def scanned(self, data: Barcode | str) -> None:
        if not self.accepts_scan:
            return  # one parcel at a time: a second scan while a door is open is ignored
        self.phase, self.stored, self.intake, self.phone, self._checked = OPENING, None, None, "", None
        self._show(Message.of(N_("Söker ett ledigt fack …")))
        self._run(lambda: self._parcels.receive(data), self._received, self._failed)

    def _received(self, intake: Intake) -> None:
        self.intake = intake
        if intake.needs_phone:
            self.phase = PHONE
            self._show(Message.of(PHONE_TEXT))
            return
        self._place_parcel(intake)

    def press_digit(self, digit: str) -> None:
        if self.phase == PHONE and digit.isdigit() and len(self.phone) < PHONE_MAX:
            self.phone += digit
            self._typing_resumed()

    def erase(self) -> None:
        if self.phase == PHONE and self.phone:
            self.phone = self.phone[:-1]
            self._typing_resumed()

    def _typing_resumed(self) -> None:
        """A refused number's message goes once staff correct it: it was about the old number."""
        if self.message.kind == "error":
            self.message = Message.of(PHONE_TEXT)
        self.changed()

    def submit_phone(self) -> None:
        """OK on the keypad: a number that can get the SMS is read back in groups to confirm."""
        if self.phase != PHONE or self.intake is None:
            return
        try:
            intake = self._parcels.with_phone(self.intake, self.phone)
        except Exception as error:  # a clear message; the typed number stays to be corrected
            self._show(Message.from_error(error, UNEXPECTED))
            return
        self.phase, self._checked = CONFIRM, intake
        saved_as = (intake.recipient or {}).get("phone", "")  # what the SMS will go to, in E.164
        self._show(Message.of(CONFIRM_PHONE, number=read_back(saved_as)))

    def confirm_phone(self) -> None:
        if self.phase == CONFIRM and self._checked is not None:
            self.phase = OPENING
            self._show(Message.of(N_("Söker ett ledigt fack …")))
            self._place_parcel(self._checked)

    def correct_phone(self) -> None:
        """Back to the keypad with the digits as typed, to change one or two."""
        if self.phase == CONFIRM:
            self.phase, self._checked = PHONE, None
            self._show(Message.of(PHONE_TEXT))

    # -- the door ---------------------------------------------------------------------------

    def _place_parcel(self, intake: Intake) -> None:
        member = self.member
        self._run(lambda: self._parcels.place(intake, member), self._placed, self._failed)

    def _placed(self, placed: OpenedForDropOff | StoredParcel) -> None:
        if isinstance(placed, StoredParcel):
            self._stored(placed)
            return
        self.opened, self.phase = placed, DOOR_OPEN
        self._show(Message.of(PUT_IN, "success", compartment=placed.compartment.id))
        stop, run = self._stop, self._run
        self._run(lambda: self._parcels.wait_until_closed(
            [placed.compartment], stop=stop,
            on_left_open=lambda c, _s: run(lambda: c, self._left_open, self._failed)),
            lambda closed: self._door_closed(placed, closed), self._failed)

    def _left_open(self, compartment) -> None:
        if self.phase == DOOR_OPEN:
            self.alarm = Message.of(LEFT_OPEN, "error", compartment=compartment.id)
            self.changed()

    def cancel(self) -> None:
        """Staff changed their mind: nothing is stored."""
        if self.phase in (PHONE, CONFIRM):
            self.phase, self.intake, self.phone, self._checked = SCAN, None, "", None
            self._show(Message.of(CANCELLED))
            return
        if self.phase != DOOR_OPEN or self.opened is None:
            return
        self._stop.set()
        self._stop = threading.Event()
        door = self.opened.compartment
        self.phase, self.opened, self.alarm, self.taking_out = SCAN, None, None, door
        self._show(Message.of(CANCELLED_TAKE_OUT, "error", compartment=door.id))
        stop = self._stop
        self._run(lambda: self._parcels.wait_until_closed([door], stop=stop),
                  lambda closed: self._taken_out(door, closed), lambda _error: self._taken_out(door, None))

    def _taken_out(self, door: Compartment, closed: object) -> None:
        """The cancelled parcel's door closed: "take it out" is no longer true. Stopped or
        failed (None): the next flow's screen has replaced that message anyway."""
        if self.taking_out is not door:
            return
        self.taking_out = None
        if closed is not None and self.message.text == CANCELLED_TAKE_OUT:
            self.message = Message.of(CANCELLED)
        self.changed()

    def _door_closed(self, opened: OpenedForDropOff, closed) -> None:
        if closed is None or self.opened is not opened:
            return  # cancelled while waiting
        self.phase, self.alarm = STORING, None
        self._run(lambda: self._parcels.complete_drop_off(opened, closed[0]), self._stored, self._failed)

    def _stored(self, stored: StoredParcel) -> None:
        self.phase, self.stored, self.opened = STORED, stored, None
        if stored.held_at_counter:
            self._show(Message.of(HELD_TEXT, "error"))
        else:
            self._show(Message.of(STORED_TEXT, "success", compartment=stored.compartment_id))

    # -- the slip -------------------------------------------------------------------------------

    def print_receipt(self) -> None:
        if not self.can_print:
            return
        from kiosk.services.receipts import drop_off_slip, print_slip

        slip = drop_off_slip(self.stored, self._place, self.staff_name)
        printer = self._printer
        self._run(lambda: print_slip(printer, slip),
                  lambda _r: self._show(Message.of(N_("Kvittot är utskrivet."), "success")),
                  lambda error: self._show(Message.from_error(error, UNEXPECTED)))

    def _failed(self, error: BaseException) -> None:
        self.phase, self.opened, self.alarm = SCAN, None, None
        self._show(Message.from_error(error, UNEXPECTED))

    def _show(self, message: Message) -> None:
        self.message = message
        self.changed()
