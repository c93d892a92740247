"""E-services: the catalog by category, then the service in the locked-down browser; "Done"
ends it and wipes everything the resident typed."""
from __future__ import annotations

from typing import TYPE_CHECKING

from kiosk.services.browsing import E_SERVICE_CATEGORIES, BrowserLauncher, e_service_policy
from kiosk.services.errors import N_
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


class EServicesPresenter(BrowserVisitPresenter):
    def __init__(self, directory: Directory | None, launcher: BrowserLauncher, run: Runner, post: Post,
                 clock, on_visit_end=None) -> None:
        super().__init__(launcher, run, post, clock, on_visit_end)
        self._directory = directory
        self._loads = 0
        self.services: list[EServiceData] = []
        self.category: str | None = None

    @property
    def categories(self) -> list[str]:
        present = {service.category for service in self.services}
        return [category for category in E_SERVICE_CATEGORIES if category in present]

    @property
    def shown(self) -> list[EServiceData]:
        return [s for s in self.services if s.category == self.category]

    @property
    def hint(self) -> Message:
        if not self.services:
            return Message.of(NO_E_SERVICES)
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
        """From a category's services back to the categories; True if handled."""
        if super().back():
            return True
        if self.category is None:
            return False
        self.category, self.message = None, None
        self.changed()
        return True

    def open(self, service_id: str) -> None:
        if self.offline_message is not None:
            self._show(self.offline_message)
            return
        service = next((s for s in self.services if s.id == service_id), None)
        if service is not None:
            self.open_browser(e_service_policy(service), "e_service", service.id)

    def reset(self) -> None:
        self.category = None
        super().reset()
        self.load()

    def _show(self, message: Message | None) -> None:
        self.message = message
        self.changed()
