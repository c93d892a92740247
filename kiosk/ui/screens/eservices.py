from kivy.factory import Factory

from kiosk.services.errors import N_
from kiosk.ui.presenters.eservices import CATEGORY_NAMES
from kiosk.ui.presenters.video import pick
from kiosk.ui.screens.browser_visit import BrowserVisitScreen
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

    def body_key(self, eservices) -> tuple:
        return (eservices.phase, eservices.category, tuple(s.id for s in eservices.services))

    def fill_body(self, eservices) -> None:
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
                                          lambda s=service.id: eservices.open(s)))
        scroller.add_widget(grid)
        self.ids.body.add_widget(scroller)
