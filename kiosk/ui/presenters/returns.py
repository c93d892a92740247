"""Staff returns: the parcels past their last pickup day; open one, take it out, scan its
label to confirm, and it is recorded as returned to the carrier."""
from __future__ import annotations

from typing import TYPE_CHECKING

from kiosk.services.errors import N_, N_plural
from kiosk.ui.presenters.base import Message, Presenter, Runner
from kiosk.ui.presenters.pickup import UNEXPECTED

if TYPE_CHECKING:  # the services import SQLAlchemy: not on the start-up path
    from kiosk.services.parcels import ParcelService
    from kiosk.services.returns import OverdueParcel


LIST, OPENING, CONFIRM, SAVING = "list", "opening", "confirm", "saving"
NONE_OVERDUE = N_("Inga paket ska returneras i dag.")
CHOOSE = N_plural("{count} paket ska returneras. Tryck på paketet för att öppna dess fack.",
                  "{count} paket ska returneras. Tryck på ett paket för att öppna dess fack.", "count")
TAKE_OUT = N_("Ta ut paketet {tracking_id} ur fack {compartment} och skanna det.")
TAKE_FROM_SHELF = N_("Hämta paketet {tracking_id} vid disken och skanna det.")
RETURNED = N_("Paketet {tracking_id} är registrerat som returnerat. Stäng luckan.")


class ReturnsPresenter(Presenter):
    def __init__(self, parcels: ParcelService, run: Runner) -> None:
        super().__init__()
        self._parcels, self._run = parcels, run
        self.member = None
        self.overdue: list[OverdueParcel] = []
        self.reset()

    def reset(self) -> None:
        self.phase, self.current = LIST, None
        self.message = Message.of(NONE_OVERDUE)
        self.changed()

    @property
    def rows(self) -> list[OverdueParcel]:
        return self.overdue

    def load(self) -> None:
        self.phase = LIST
        self._run(self._parcels.returns.overdue, self._loaded, self._failed)

    def _loaded(self, overdue: list[OverdueParcel], note: Message | None = None) -> None:
        self.overdue = overdue
        self.message = note or (Message.of(CHOOSE, count=len(overdue)) if overdue else Message.of(NONE_OVERDUE))
        self.changed()

    def choose(self, index: int) -> None:
        if self.phase != LIST or index >= len(self.rows):
            return
        parcel, member = self.rows[index], self.member
        self.phase = OPENING
        self._run(lambda: self._parcels.returns.open_for_return(parcel.parcel_id, member),
                  self._opened, self._failed)

    def _opened(self, parcel: OverdueParcel) -> None:
        self.phase, self.current = CONFIRM, parcel
        if parcel.compartment_id:
            self._show(Message.of(TAKE_OUT, tracking_id=parcel.tracking_id, compartment=parcel.compartment_id))
        else:
            self._show(Message.of(TAKE_FROM_SHELF, tracking_id=parcel.tracking_id))

    def scanned(self, data) -> None:
        if self.phase != CONFIRM:
            return
        parcel, member = self.current, self.member
        self.phase = SAVING
        self._run(lambda: self._returned(parcel, data, member), self._after_return, self._failed_confirm)

    def _returned(self, parcel: OverdueParcel, data, member) -> list[OverdueParcel]:
        self._parcels.returns.confirm_return(parcel.parcel_id, data, member)
        return self._parcels.returns.overdue()

    def _after_return(self, overdue: list[OverdueParcel]) -> None:
        done, self.phase, self.current = self.current, LIST, None
        self._loaded(overdue, Message.of(RETURNED, "success", tracking_id=done.tracking_id))

    def _failed_confirm(self, error: BaseException) -> None:
        self.phase = CONFIRM  # the wrong label: scan the right one
        self._show(Message.from_error(error, UNEXPECTED))

    def _failed(self, error: BaseException) -> None:
        self.phase = LIST
        self._show(Message.from_error(error, UNEXPECTED))

    def _show(self, message: Message) -> None:
        self.message = message
        self.changed()
