"""'Continue on your own phone': the e-service's page, its QR code and what is said about it,
without a window; the code decoded back from its pixels with a real QR reader (zbar); a real
Chromium visit showing that the code stays the service's start address and goes with Done."""
from __future__ import annotations

import pytest

from kiosk.i18n import Translator
from kiosk.services.browser import LaunchOptions
from kiosk.services.browsing import BrowserLauncher
from kiosk.services.phone_link import QUIET_ZONE, luminance_rows, phone_link, readable_domain, rgba_pixels
from kiosk.services.staff import StaffDirectory
from kiosk.ui.presenters.base import run_inline
from kiosk.ui.presenters.browser_visit import CHOOSING, IN_BROWSER
from kiosk.ui.presenters.eservices import CHOOSE_HOW, POINT_CAMERA, QR_OPENS, QR_SPOKEN, EServicesPresenter
from kiosk.ui.presenters.home import HomePresenter
from kiosk.ui.presenters.pickup import PickupPresenter
from kiosk.ui.presenters.session import ATTRACT, ESERVICES, SessionPresenter
from kiosk.ui.presenters.spoken_visits import eservices as spoken_eservices
from kiosk.ui.presenters.staff import StaffPresenter
from sync import protocol as p
from tests.kiosk.loopback_site import Site, self_signed_certificate
from tests.ui.qr_reader import read_qr
from tests.ui.test_video_presenters import NOW, launcher, main_thread, needs_chromium, profiles  # noqa: F401

START_URL = "https://www.skatteverket.se/privat/deklaration"


def e_service(service_id: str, start_url: str, domain: str) -> p.EServiceData:
    # Constructed unchecked: the wire format rightly refuses an IP address as a domain, and the
    # real Chromium visit below is served from 127.0.0.1.
    return p.EServiceData.model_construct(id=service_id, title={"sv": "Deklarera", "se": "Julggaš"},
                          description={"sv": "Skatteverkets e-tjänst"}, category="tax",
                          start_url=start_url, allowed_domains=[domain])


@pytest.fixture
def eservices(launcher, main_thread):  # noqa: F811 (the fixtures imported above)
    presenter = EServicesPresenter(None, launcher, run_inline, main_thread.post, lambda: NOW)
    presenter._loaded([e_service("deklaration", START_URL, "skatteverket.se")], presenter._loads)
    presenter.choose_category("tax")
    return presenter


def decode(modules, scale: int = 6) -> list[str]:
    size = len(modules) * scale
    return read_qr((b"".join(luminance_rows(modules, scale)), size, size))


@pytest.mark.parametrize("url, carried", [
    (START_URL, START_URL), ("https://www.1177.se/", "https://www.1177.se/"),
    # Only ASCII in the code: readers guess the charset of other bytes, and guess wrong.
    ("https://e-tjänster.pajala.se/bygglov/ansök?ort=Övertorneå#steg 2",
     "https://xn--e-tjnster-y2a.pajala.se/bygglov/ans%C3%B6k?ort=%C3%96vertorne%C3%A5#steg%202"),
])
def test_the_code_decodes_to_the_start_url(url, carried):
    link = phone_link(url)
    assert link.url == carried and decode(link.modules) == [carried]


def test_the_code_has_its_quiet_zone_and_the_texture_holds_the_same_modules():
    link = phone_link(START_URL)
    light_border = link.modules[:QUIET_ZONE] + link.modules[-QUIET_ZONE:] + \
        tuple(row[:QUIET_ZONE] + row[-QUIET_ZONE:] for row in link.modules)
    assert not any(any(row) for row in light_border)
    pixels = rgba_pixels(link.modules)  # what the QrCode widget blits: RGBA, rows bottom to top
    size = link.size
    texture_modules = tuple(tuple(pixels[((size - 1 - y) * size + x) * 4] == 0 for x in range(size))
                            for y in range(size))
    assert texture_modules == link.modules
    assert set(pixels[3::4]) == {255}  # opaque: dark on white whatever the background behind


def test_the_readable_domain_drops_www_and_the_path():
    assert readable_domain(START_URL) == "skatteverket.se"
    assert readable_domain("https://e-tjanster.Pajala.se:8443/x") == "e-tjanster.pajala.se"
    assert readable_domain("https://xn--e-tjnster-y2a.se/") == readable_domain("https://e-tjänster.se/") == \
        "e-tjänster.se"


def test_the_service_page_offers_the_phone_and_back_steps_out_one_at_a_time(eservices):
    assert eservices.phone_link is None
    eservices.choose("deklaration")
    assert eservices.chosen.id == "deklaration" and eservices.hint.text == CHOOSE_HOW
    assert eservices.phone_link is None  # offered, not shown until asked for
    eservices.continue_on_phone()
    link = eservices.phone_link
    assert link.url == START_URL and link.domain == "skatteverket.se" and eservices.hint.text == POINT_CAMERA
    assert eservices.back() and eservices.phone_link is None and eservices.chosen is not None
    assert eservices.back() and eservices.chosen is None and eservices.category == "tax"
    assert eservices.back() and eservices.category is None
    assert not eservices.back()


def test_the_phone_works_offline_and_a_new_visitor_never_sees_the_code(eservices, launcher):
    eservices.set_online(False, None)
    eservices.choose("deklaration")
    eservices.open_here()
    assert eservices.phase == CHOOSING and not launcher.active  # here needs the network...
    eservices.continue_on_phone()
    assert eservices.phone_link is not None  # ...the phone brings its own
    eservices.reset()
    assert eservices.phone_link is None and eservices.chosen is None and eservices.category is None


class Visits:
    """The usage events the presenter hands the app, on a hand-turned monotonic clock."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.ended: list[tuple[str, str, int, str]] = []

    def presenter(self, launcher) -> EServicesPresenter:
        presenter = EServicesPresenter(None, launcher, run_inline, lambda fn, *args: fn(*args), lambda: NOW,
                                       on_visit_end=lambda *visit: self.ended.append(visit),
                                       monotonic=lambda: self.now)
        presenter._loaded([e_service("deklaration", START_URL, "skatteverket.se"),
                           e_service("1177", "https://www.1177.se/", "1177.se")], presenter._loads)
        presenter.choose_category("tax")
        return presenter


@pytest.fixture
def visits() -> Visits:
    return Visits()


def test_taking_the_code_and_going_back_is_one_phone_visit(visits, launcher):
    eservices = visits.presenter(launcher)
    eservices.choose("deklaration")
    visits.now += 5  # reading the page is not yet the visit
    eservices.continue_on_phone()
    visits.now += 20
    assert eservices.back() and visits.ended == []  # back to the page: the phone may still be chosen
    eservices.continue_on_phone()  # the code again: the same visit
    visits.now += 10
    assert eservices.back() and eservices.back()  # the code, then the page
    assert visits.ended == [("e_service", "deklaration", 30, "phone")]
    assert eservices.back() and not eservices.back()  # leaving the screen adds nothing
    eservices.reset()
    assert visits.ended == [("e_service", "deklaration", 30, "phone")]


def test_the_idle_reset_ends_a_phone_visit_once(visits, launcher, parcels, sessions):
    eservices = visits.presenter(launcher)
    session = SessionPresenter(staff=StaffDirectory(sessions), home=HomePresenter(),
                               pickup=PickupPresenter(parcels, run_inline),
                               staff_mode=StaffPresenter(parcels, run_inline), run=run_inline,
                               idle_timeout_s=60, eservices=eservices)
    session.touched(0)
    session.go(ESERVICES)
    eservices.choose_category("tax")
    eservices.choose("deklaration")
    eservices.continue_on_phone()
    visits.now += 75
    session.tick(60 + session.idle.warning_s)  # nobody touched the kiosk: they left with the code
    assert session.screen == ATTRACT and eservices.phone_link is None
    assert visits.ended == [("e_service", "deklaration", 75, "phone")]
    session.end_session()  # the next person's start ends nothing of theirs
    session.tick(1000)
    assert len(visits.ended) == 1


def test_another_service_or_a_new_person_ends_the_phone_visit_and_only_a_shown_code_counts(visits, launcher):
    eservices = visits.presenter(launcher)
    eservices.choose("deklaration")
    eservices.back()  # the page only: no visit
    eservices.choose("deklaration")
    eservices.continue_on_phone()
    eservices.choose("1177")  # (the screen steps back first; the presenter does not rely on it)
    eservices.continue_on_phone()
    eservices.reset()
    assert [(service, outcome) for _kind, service, _s, outcome in visits.ended] == \
        [("deklaration", "phone"), ("1177", "phone")]


def test_offline_the_code_is_the_visit_even_after_open_here_was_refused(visits, launcher):
    eservices = visits.presenter(launcher)
    eservices.set_online(False, None)
    eservices.choose("deklaration")
    eservices.continue_on_phone()
    eservices.open_here()  # refused: needs the network; the code's visit goes on
    assert eservices.phase == CHOOSING and not launcher.active
    eservices.reset()
    assert [visit[3] for visit in visits.ended] == ["phone"]


def test_opening_here_after_the_code_leaves_the_browser_outcome_alone(visits, tmp_path):
    # A browser that cannot start (no Chromium where the kiosk looks for it): the visit fails.
    missing = BrowserLauncher(lambda: LaunchOptions(executable=str(tmp_path / "no-chromium"), headless=True,
                                                    temp_root=tmp_path))
    eservices = visits.presenter(missing)
    eservices.choose("deklaration")
    eservices.continue_on_phone()
    eservices.open_here()
    assert eservices.phase == CHOOSING and eservices.chosen is not None  # the page: the phone is the way on
    eservices.back()
    eservices.reset()
    assert [visit[3] for visit in visits.ended] == ["failed"]  # not also "phone"
    eservices.choose("deklaration")
    eservices.continue_on_phone()  # after a failed start, the code is a visit of its own
    eservices.back()
    eservices.back()
    assert [visit[3] for visit in visits.ended] == ["failed", "phone"]


@pytest.mark.parametrize("language", ["sv", "se", "en"])
def test_read_aloud_says_what_the_code_is_and_where_it_leads(eservices, language):
    tr = Translator(language)
    session = type("Session", (), {"eservices": eservices})()
    eservices.choose("deklaration")
    before = " ".join(spoken_eservices(session, tr, "K"))
    assert tr(CHOOSE_HOW) in before and tr(QR_SPOKEN, domain="skatteverket.se") not in before
    eservices.continue_on_phone()
    said = " ".join(part for part in spoken_eservices(session, tr, "K") if part)
    assert tr(QR_SPOKEN, domain="skatteverket.se") in said and tr(QR_OPENS) in said
    assert said.index(tr(QR_SPOKEN, domain="skatteverket.se")) < said.index(tr(POINT_CAMERA))
    assert START_URL not in said  # the domain, not the whole address, is read out
    if language != "sv":
        assert tr(QR_OPENS) != QR_OPENS  # translated, not the Swedish fallback


@pytest.fixture
def e_site(tmp_path):
    site = Site("127.0.0.1", tls=self_signed_certificate(tmp_path, "127.0.0.1"))
    # The service moves on to an address carrying the visit's session, as real ones do.
    site.page("/start", "<script>location.replace('/account?session=s3cr3t')</script>")
    site.page("/account", "<script>fetch('/report?at=' + encodeURIComponent(location.href))</script>")
    yield site
    site.close()


@needs_chromium
def test_the_code_stays_the_start_url_and_done_clears_it_with_the_visit(launcher, main_thread, e_site,  # noqa: F811
                                                                        tmp_path):
    ended = []
    presenter = EServicesPresenter(None, launcher, run_inline, main_thread.post, lambda: NOW,
                                   on_visit_end=lambda *visit: ended.append(visit))
    presenter._loaded([e_service("konto", e_site.url("/start"), "127.0.0.1")], presenter._loads)
    presenter.choose_category("tax")
    presenter.choose("konto")
    presenter.continue_on_phone()
    presenter.open_here()
    assert presenter.phase == IN_BROWSER and presenter.phone_link is None  # the code does not stay behind
    assert "session=s3cr3t" in e_site.wait_report()["at"]  # the browser is past the start page now
    presenter.continue_on_phone()
    assert presenter.phone_link is None  # not while the browser covers the screen
    presenter.finish()
    assert presenter.phase == CHOOSING and presenter.chosen is None and presenter.phone_link is None
    assert profiles(tmp_path) == [] and [visit[3] for visit in ended] == ["done"]  # the code shown first: not counted
    presenter.choose("konto")
    presenter.continue_on_phone()
    assert decode(presenter.phone_link.modules) == [e_site.url("/start")]
    presenter.reset()
    assert [visit[3] for visit in ended] == ["done", "phone"]
