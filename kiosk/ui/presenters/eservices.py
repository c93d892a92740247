"""E-services: the catalog by category, then the chosen service's page, which opens it here in
the locked-down browser or shows a QR code to continue on the resident's own phone. "Done"
ends it and wipes everything the resident typed; the chosen service and its code go with it.

The usage event (one per visit): opening the service here is a visit that ends as the browser
ends ("done", "idle", "failed", ...). Showing the code starts a visit that ends as "phone" when
the resident leaves the service's page (Back, the idle reset, a new person) without having
opened it here afterwards; if they do open it here, the browser's outcome wins and the code
is not counted on its own. Its duration runs from the code first shown to leaving the page."""
from __future__ import annotations

import time
from typing import TYPE_CHECKING

from kiosk.services.browser import EndReason
from kiosk.services.browsing import E_SERVICE_CATEGORIES, BrowserLauncher, e_service_policy
from kiosk.services.errors import N_
from kiosk.services.phone_link import PhoneLink, phone_link
from kiosk.ui.presenters.base import Message, Runner
from kiosk.ui.presenters.browser_visit import UNEXPECTED, BrowserVisitPresenter, Post

if TYPE_CHECKING:  # the directory imports SQLAlchemy: not on the start-up path
    from kiosk.services.directory import Directory, EServiceData

CATEGORY_NAMES = {
    "health": N_("Hälsa och vård"),
    "benefits": N_("Försäkring och bidrag"),
    "tax": N_("Skatt och deklaration"),
    "work": N_("Arbete"),
    "municipality": N_("Kommunen"),
    "other": N_("Övrigt"),
}
NO_E_SERVICES = N_("Inga e-tjänster finns här ännu. Fråga personalen.")
CHOOSE_CATEGORY = N_("Välj ett område.")
CHOOSE_SERVICE = N_("Välj en tjänst.")
CHOOSE_HOW = N_("Välj hur du vill fortsätta.")
OPEN_HERE = N_("Öppna här")
OPEN_HERE_DETAIL = N_("På den här skärmen. Allt rensas när du är klar.")
ON_PHONE = N_("Fortsätt på din egen telefon")
ON_PHONE_DETAIL = N_("Visar en kod som du läser med mobilens kamera.")
POINT_CAMERA = N_("Rikta mobilens kamera mot koden.")
QR_OPENS = N_("Koden öppnar tjänstens startsida på din telefon. Inget av det du gör här följer med.")
QR_SPOKEN = N_("På skärmen finns en QR-kod, en fyrkantig kod för mobilens kamera. Den öppnar {domain} "
               "på din telefon.")
OPEN_HERE_INSTEAD = N_("Öppna här i stället")
PHONE = "phone"  # the usage outcome of a visit that went on on the resident's own phone


class EServicesPresenter(BrowserVisitPresenter):
    def __init__(self, directory: Directory | None, launcher: BrowserLauncher, run: Runner, post: Post,
                 clock, on_visit_end=None, monotonic=time.monotonic) -> None:
        super().__init__(launcher, run, post, clock, on_visit_end, monotonic)
        self._directory = directory
        self._loads = 0
        self.language = "sv"  # the resident's: the browser's own pages are in it
        self.services: list[EServiceData] = []
        self.category: str | None = None
        self.chosen_id: str | None = None  # the service whose page is shown
        self.on_phone = False  # its QR code is shown
        self._link: tuple[str, PhoneLink] | None = None  # (start URL, its code): built once
        # (service id, monotonic start): its code was shown and it was not opened here since.
        self._phone_visit: tuple[str, float] | None = None

    @property
    def categories(self) -> list[str]:
        present = {service.category for service in self.services}
        return [category for category in E_SERVICE_CATEGORIES if category in present]

    @property
    def shown(self) -> list[EServiceData]:
        return [s for s in self.services if s.category == self.category]

    @property
    def chosen(self) -> EServiceData | None:
        return next((s for s in self.services if s.id == self.chosen_id), None)

    @property
    def phone_link(self) -> PhoneLink | None:
        """The QR code of the chosen service's start URL, never of a page the browser is at
        (see kiosk/services/phone_link.py): shown only while the resident asks for it."""
        chosen = self.chosen
        if not self.on_phone or chosen is None:
            return None
        if self._link is None or self._link[0] != chosen.start_url:
            self._link = (chosen.start_url, phone_link(chosen.start_url))
        return self._link[1]

    @property
    def hint(self) -> Message:
        if not self.services:
            return Message.of(NO_E_SERVICES)
        if self.chosen is not None:
            return Message.of(POINT_CAMERA if self.on_phone else CHOOSE_HOW)
        return Message.of(CHOOSE_SERVICE if self.category else CHOOSE_CATEGORY)

    def load(self) -> None:
        if self._directory is None:
            return
        self._loads += 1
        generation = self._loads  # a reset or a newer load makes this answer stale
        self._run(lambda: self._directory.e_services(), lambda found: self._loaded(found, generation),
                  lambda error: self._show(Message.from_error(error, UNEXPECTED)))

    def _loaded(self, services: list[EServiceData], generation: int) -> None:
        if generation != self._loads:
            return
        self.services = services
        self.changed()

    def choose_category(self, category: str) -> None:
        self.category, self.message = category, None
        self.changed()

    def back(self) -> bool:
        """One step back: the code, the service's page, the category; True if handled."""
        if super().back():
            return True
        if self.on_phone:
            self.on_phone = False
        elif self.chosen_id is not None:
            self._phone_visit_ended()
            self.chosen_id = None
        elif self.category is not None:
            self.category = None
        else:
            return False
        self.message = None
        self.changed()
        return True

    def choose(self, service_id: str) -> None:
        """The service's page: open it here, or continue on one's own phone."""
        if any(s.id == service_id for s in self.services):
            if service_id != self.chosen_id:
                self._phone_visit_ended()
            self.chosen_id, self.on_phone, self.message = service_id, False, None
            self.changed()

    def continue_on_phone(self) -> None:
        if self.chosen is not None and not self.in_browser:
            if self._phone_visit is None:  # shown again after Back: still the same visit
                self._phone_visit = (self.chosen.id, self._monotonic())
            self.on_phone, self.message = True, None  # needs no network here: the phone has its own
            self.changed()

    def open_here(self) -> None:
        if self.offline_message is not None:
            self._show(self.offline_message)
            return
        service = self.chosen
        if service is not None and not self.in_browser:
            self.on_phone = False  # the code is not left on screen behind the browser
            self._phone_visit = None  # opened here after all: the browser's outcome is the visit's
            self.open_browser(e_service_policy(service, language=self.language), "e_service", service.id)

    def reset(self) -> None:
        self._phone_visit_ended()  # the idle reset or a new person: the code was taken, or not
        self.category, self.chosen_id, self.on_phone = None, None, False
        super().reset()
        self.load()

    def _visit_ended(self, outcome: str) -> None:
        """Done, a crash, an idle end: the service's page and code go with the visit. A browser
        that would not start leaves the page, where the phone is the other way on."""
        if outcome != EndReason.FAILED.value:
            self.chosen_id, self.on_phone = None, False
        super()._visit_ended(outcome)

    def _phone_visit_ended(self) -> None:
        """The resident leaves a service whose code they were shown and did not open here."""
        visit, self._phone_visit = self._phone_visit, None
        if visit is not None and self.on_visit_end is not None:
            service_id, started = visit
            self.on_visit_end("e_service", service_id, round(self._monotonic() - started), PHONE)

    def _show(self, message: Message | None) -> None:
        self.message = message
        self.changed()
