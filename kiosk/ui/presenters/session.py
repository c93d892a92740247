"""Which screen is showing, and what card taps and scans mean wherever the user is."""
from __future__ import annotations

from kiosk.services.errors import N_
from kiosk.services.parcels import Barcode
from kiosk.services.staff import StaffDirectory, StaffMember
from kiosk.ui.presenters.base import Message, Presenter, Runner
from kiosk.ui.presenters.home import HomePresenter
from kiosk.ui.presenters.pickup import PickupPresenter
from kiosk.ui.presenters.staff import StaffPresenter

ATTRACT, HOME, PICKUP, STAFF = "attract", "home", "pickup", "staff"


class SessionPresenter(Presenter):
    def __init__(self, *, staff: StaffDirectory, home: HomePresenter, pickup: PickupPresenter,
                 staff_mode: StaffPresenter, run: Runner) -> None:
        super().__init__()
        self._staff = staff
        self._run = run
        self.home, self.pickup, self.staff_mode = home, pickup, staff_mode
        self.screen = ATTRACT
        self.notice: Message | None = None

    def go(self, screen: str) -> None:
        if screen == PICKUP and self.screen != PICKUP:
            self.pickup.reset()
        self.screen, self.notice = screen, None
        self.changed()

    def wake(self) -> None:
        self.go(HOME)

    def back(self) -> None:
        self.go(HOME if self.screen != HOME else ATTRACT)

    def end_session(self) -> None:
        """Clears every trace of the user: typed digits, messages, staff mode."""
        self.pickup.reset()
        self.staff_mode.reset()
        self.home.clear()
        self.go(ATTRACT)

    def choose_tile(self, tile_id: str) -> None:
        target = self.home.choose(tile_id)
        if target:
            self.go(target)

    def card_presented(self, uid: str) -> None:
        if self.screen == STAFF:
            return  # already in staff mode: a second tap must not abandon an open door
        self._run(lambda: self._staff.find_by_card(uid), self._card_identified, self._card_failed)

    def _card_identified(self, member: StaffMember | None) -> None:
        if member is None:
            self._notify(Message.of(N_("Kortet är inget personalkort. Paket hämtar du med koden."), "error"))
            return
        self.staff_mode.begin(member.name)
        self.go(STAFF)

    def _card_failed(self, error: BaseException) -> None:
        self._notify(Message.from_error(error, N_("Kortet kunde inte läsas. Försök igen.")))

    def barcode_scanned(self, barcode: Barcode | str) -> None:
        if self.screen == STAFF:
            self.staff_mode.scanned(barcode)
        else:
            self._notify(Message.of(N_("Personalen: visa ditt kort först för att ta emot paket.")))

    def _notify(self, message: Message) -> None:
        if self.screen == ATTRACT:
            self.screen = HOME  # a notice nobody can read is no notice
        self.notice = message
        self.changed()
