from kivy.factory import Factory

from kiosk.services.errors import N_
from kiosk.ui.presenters.eservices import (
    CATEGORY_NAMES, ON_PHONE, ON_PHONE_DETAIL, OPEN_HERE, OPEN_HERE_DETAIL, OPEN_HERE_INSTEAD, QR_OPENS,
)
from kiosk.ui.presenters.texts import TITLES
from kiosk.ui.presenters.video import pick
from kiosk.ui.screens.browser_visit import BrowserVisitScreen
from kiosk.ui.widgets import qr  # noqa: F401  (registers QrCode for the PhonePage rule)
from kiosk.ui.widgets.scroll import KioskScrollView

DONE = N_("Klar – stäng och rensa")


class EServicesScreen(BrowserVisitScreen):
    end_text = DONE

    @property
    def visit(self):
        return self.session.eservices

    def refresh(self, visit) -> None:
        super().refresh(visit)
        if not (self.session.notice or visit.message or visit.offline_message):
            self.render_message(self.ids.notice, visit.hint)
        chosen = visit.chosen if not visit.in_browser else None
        # The chosen service's name as the title: on its page and above its code, so the
        # resident sees which service the phone will open.
        self.ids.title.text = pick(chosen.title, self.tr.language) if chosen else self.tr(TITLES["eservices"])

    def body_key(self, eservices) -> tuple:
        return (eservices.phase, eservices.category, eservices.chosen_id, eservices.on_phone,
                tuple(s.id for s in eservices.services))

    def fill_body(self, eservices) -> None:
        if eservices.phone_link is not None:
            self.ids.body.add_widget(self._phone_page(eservices))
        elif eservices.chosen is not None:
            self.ids.body.add_widget(self._service_page(eservices))
        else:
            self.ids.body.add_widget(self._catalog(eservices))

    def _catalog(self, eservices) -> KioskScrollView:
        scroller = KioskScrollView(do_scroll_x=False)
        grid = Factory.VisitTiles()
        language = self.tr.language
        if eservices.category is None:
            for category in eservices.categories:
                count = sum(1 for s in eservices.services if s.category == category)
                grid.add_widget(self.tile(f"category-{category}", self.tr(CATEGORY_NAMES[category]),
                                          self.tr("Tjänster: {count}", count=count),
                                          lambda c=category: eservices.choose_category(c)))
        else:
            for service in eservices.shown:
                grid.add_widget(self.tile(f"eservice-{service.id}", pick(service.title, language),
                                          pick(service.description, language),
                                          lambda s=service.id: eservices.choose(s)))
        scroller.add_widget(grid)
        return scroller

    def _service_page(self, eservices):
        page = Factory.EServicePage()
        page.ids.service_description.text = pick(eservices.chosen.description, self.tr.language)
        page.ids.ways.add_widget(self.tile("open-here", self.tr(OPEN_HERE), self.tr(OPEN_HERE_DETAIL),
                                           eservices.open_here))
        page.ids.ways.add_widget(self.tile("on-phone", self.tr(ON_PHONE), self.tr(ON_PHONE_DETAIL),
                                           eservices.continue_on_phone, "secondary"))
        return page

    def _phone_page(self, eservices):
        page, link = Factory.PhonePage(), eservices.phone_link
        page.ids.code.modules = link.modules
        page.ids.domain.text = link.domain
        page.ids.explanation.text = self.tr(QR_OPENS)
        page.ids.open_here.text = self.tr(OPEN_HERE_INSTEAD)
        page.ids.open_here.bind(on_release=lambda *_: eservices.open_here())
        return page
