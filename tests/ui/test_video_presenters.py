"""Video call and e-service presenters without a window, over the real kiosk directory (SQLite)
and the real browser launcher: headless Chromium against an https loopback "Jitsi room"."""
from __future__ import annotations

import json
import os
import shutil
import signal
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import unquote

import pytest

from kiosk.services.browser import EndReason, LaunchOptions
from kiosk.services.browsing import BrowserLauncher
from kiosk.services.directory import Directory, apply_directory_changes
from kiosk.services.staff import StaffDirectory
from kiosk.store import db
from kiosk.ui.presenters.base import run_inline
from kiosk.ui.presenters.browser_visit import CHOOSING, ENDED_TEXTS, IN_BROWSER, OFFLINE_SINCE
from kiosk.ui.presenters.eservices import EServicesPresenter
from kiosk.ui.presenters.home import HomePresenter
from kiosk.ui.presenters.pickup import PickupPresenter
from kiosk.ui.presenters.session import VIDEO, SessionPresenter
from kiosk.ui.presenters.staff import StaffPresenter
from kiosk.ui.presenters.video import (
    BOOKING,
    BOOKING_EARLY,
    BOOKING_PAUSED,
    BOOKING_UNKNOWN,
    MAX_WRONG_CODES,
    NOT_OPEN,
    OPEN_NOW,
    OPENS,
    PAUSE_S,
    VideoPresenter,
)
from sync import protocol as p
from tests.kiosk.loopback_site import Site, self_signed_certificate

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # Monday 10:00 in Sweden
needs_chromium = pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed")
# Reports what Jitsi would read from the fragment, and whether camera and microphone came.
ROOM_PAGE = """<!doctype html><script>
navigator.mediaDevices.getUserMedia({video: true, audio: true}).then(
  () => 'granted', error => error.name).then(media =>
  fetch('/report?media=' + media + '&hash=' + encodeURIComponent(location.hash.slice(1))));
</script>"""


@pytest.fixture
def room(tmp_path):
    site = Site("127.0.0.1", tls=self_signed_certificate(tmp_path, "127.0.0.1"))
    site.page("/fk-korpilombolo", ROOM_PAGE)
    yield site
    site.close()


@pytest.fixture
def directory(tmp_path, room):
    engine = db.create_kiosk_engine(tmp_path / "kiosk.db")
    db.upgrade(engine)
    sessions = db.session_factory(engine)
    hours = {"mon": ["08:00-16:00"]}
    services = [
        p.VideoServiceData(id="fk", organisation="Försäkringskassan", name={"sv": "Försäkringskassan"},
                           description={"sv": "x"}, room_url=room.url("/fk-korpilombolo"), opening_hours=hours),
        p.VideoServiceData(id="hc", organisation="Region Norrbotten", name={"sv": "Hälsocentralen"},
                           description={"sv": "x"}, room_url="https://meet.example.se/hc",
                           opening_hours={"tue": ["08:00-12:00"]}),
    ]
    salt = "0" * 32
    booking = p.AppointmentData(id="b1", service_id="fk", room_url=room.url("/fk-korpilombolo"),
                                starts_at=NOW + timedelta(hours=2), ends_at=NOW + timedelta(hours=3),
                                code_salt=salt, code_sha256=p.booking_code_sha256(salt, "424242"))
    changes = [p.Change(entity=p.ENTITY_VIDEO_SERVICE, entity_id=s.id, version=1, op="upsert",
                        data=s.model_dump(mode="json")) for s in services]
    changes.append(p.Change(entity=p.ENTITY_APPOINTMENT, entity_id="b1", version=1, op="upsert",
                            data=booking.model_dump(mode="json")))
    with sessions.begin() as session:
        apply_directory_changes(session, changes)
    clock = [NOW]
    yield Directory(sessions, clock=lambda: clock[0]), clock, sessions
    engine.dispose()


class MainThread:
    """Stands in for the Kivy main thread: calls posted from the browser's watchdog wait here."""

    def __init__(self) -> None:
        self.calls: list = []
        self.posted = threading.Event()

    def post(self, fn, *args) -> None:
        self.calls.append((fn, args))
        self.posted.set()

    def pump(self, timeout: float = 30.0) -> None:
        assert self.posted.wait(timeout), "nothing was handed to the main thread"
        while self.calls:
            fn, args = self.calls.pop(0)
            fn(*args)


@pytest.fixture
def main_thread() -> MainThread:
    return MainThread()


@pytest.fixture
def launcher(tmp_path):
    options = lambda: LaunchOptions(  # noqa: E731
        headless=True, temp_root=tmp_path, ping_interval=0.5, log_path=tmp_path / "chromium.log",
        extra_args=("--use-fake-device-for-media-stream", "--ignore-certificate-errors"))
    launcher = BrowserLauncher(options)
    yield launcher
    launcher.end()


@pytest.fixture
def video(directory, launcher, main_thread) -> VideoPresenter:
    presenter = VideoPresenter(directory[0], launcher, run_inline, main_thread.post, lambda: directory[1][0],
                               village="Korpilombolo", on_visit_end=lambda *visit: presenter.ended.append(visit))
    presenter.ended = []
    presenter.load()
    return presenter


def profiles(root: Path) -> list[Path]:
    return list(root.glob("servicepunkt-browser-*"))


def test_tiles_say_which_services_are_open_and_when_the_others_open(video):
    tiles = {tile.id: tile for tile in video.tiles}
    assert tiles["fk"].open_now and tiles["fk"].subtitle.text == OPEN_NOW
    assert not tiles["hc"].open_now and tiles["hc"].subtitle.text == OPENS
    when = dict(tiles["hc"].subtitle.params)["when"]
    assert dict(when.params) == {"time": "08:00"}  # tomorrow, Tuesday, local time


def exceptions_change(service_id: str, *days: tuple[date, date, list[str]]) -> p.Change:
    data = p.OpeningExceptionsData(service_id=service_id, days=[
        p.OpeningException(first=first, last=last, hours=hours) for first, last, hours in days])
    return p.Change(entity=p.ENTITY_OPENING_EXCEPTIONS, entity_id=service_id, version=1, op="upsert",
                    data=data.model_dump(mode="json"))


def test_opens_skips_a_holiday_and_special_hours_hold_on_their_day(directory, launcher, main_thread):
    with directory[2].begin() as session:
        apply_directory_changes(session, [
            # hc opens on Tuesdays only: closed on Tuesday 1 and Tuesday 8 December.
            exceptions_change("hc", (date(2026, 12, 1), date(2026, 12, 1), []),
                              (date(2026, 12, 8), date(2026, 12, 8), [])),
            # fk opens at noon today (Monday 30 November) instead of 08:00.
            exceptions_change("fk", (date(2026, 11, 30), date(2026, 11, 30), ["12:00-15:00"]))])
    video = VideoPresenter(directory[0], launcher, run_inline, main_thread.post, lambda: directory[1][0],
                           village="Korpilombolo")
    video.load()

    tiles = {tile.id: tile for tile in video.tiles}
    assert not tiles["fk"].open_now and tiles["fk"].subtitle.text == OPENS
    fk_when = dict(tiles["fk"].subtitle.params)["when"]
    assert (fk_when.text, dict(fk_when.params)) == ("i dag kl. {time}", {"time": "12:00"})
    hc_when = dict(tiles["hc"].subtitle.params)["when"]
    assert (hc_when.text, dict(hc_when.params)) == ("{day}/{month} kl. {time}",
                                                   {"day": 15, "month": 12, "time": "08:00"})
    video.call("hc")
    assert video.message.text == NOT_OPEN
    assert dict(dict(video.message.params)["when"].params) == {"day": 15, "month": 12, "time": "08:00"}
    directory[1][0] = NOW.replace(hour=11, minute=30)  # 12:30 in Sweden: fk's special hours
    video.load()
    assert {tile.id: tile.open_now for tile in video.tiles} == {"fk": True, "hc": False}


def test_a_closed_service_explains_instead_of_calling(video, launcher):
    video.call("hc")
    assert video.message.text == NOT_OPEN and video.phase == CHOOSING
    assert not launcher.active


@needs_chromium
def test_call_opens_the_room_named_for_the_kiosk_and_done_wipes_it(video, room, tmp_path):
    video.language = "fi"
    video.call("fk")
    assert video.phase == IN_BROWSER
    report = room.wait_report()
    assert report["media"] == "granted"
    fragment = dict(part.split("=", 1) for part in report["hash"].split("&"))
    assert json.loads(unquote(fragment["userInfo.displayName"])) == "Servicepunkt Korpilombolo"
    assert fragment["config.prejoinConfig.enabled"] == "false"
    assert json.loads(unquote(fragment["config.defaultLanguage"])) == "fi"
    assert len(profiles(tmp_path)) == 1
    video.finish()
    assert video.phase == CHOOSING and video.message.text == ENDED_TEXTS[EndReason.DONE]
    assert profiles(tmp_path) == []
    [(kind, service, seconds, outcome)] = video.ended
    assert (kind, service, outcome) == ("video", "fk", "done") and seconds >= 0


@needs_chromium
def test_a_killed_browser_gives_the_screen_back(video, launcher, main_thread, tmp_path):
    video.call("fk")
    os.kill(launcher._session.pid, signal.SIGKILL)
    main_thread.pump()
    assert video.phase == CHOOSING
    assert video.message.text == ENDED_TEXTS[EndReason.EXITED] and video.message.kind == "error"
    assert profiles(tmp_path) == []
    assert [(kind, outcome) for kind, _s, _t, outcome in video.ended] == [("video", "exited")]


@needs_chromium
def test_a_booking_code_opens_its_room_only_in_its_window(video, directory, room):
    video.open_booking()
    assert video.phase == BOOKING
    for digit in "111111":
        video.press_digit(digit)
    video.submit()
    assert video.message.text == BOOKING_UNKNOWN
    for digit in "424242":
        video.press_digit(digit)
    video.submit()
    assert video.message.text == BOOKING_EARLY and video.phase == BOOKING
    directory[1][0] = NOW + timedelta(hours=1, minutes=55)
    for digit in "424242":
        video.press_digit(digit)
    video.submit()
    assert video.phase == IN_BROWSER
    assert room.wait_report()["media"] == "granted"
    video.reset()
    assert [(kind, outcome) for kind, _s, _t, outcome in video.ended] == [("booked_video", "reset")]


def test_offline_says_so_and_when_it_was_last_online(video, launcher):
    video.set_online(False, NOW - timedelta(minutes=20))
    video.call("fk")
    assert video.message.text == OFFLINE_SINCE
    assert dict(dict(video.message.params)["when"].params) == {"time": "09:40"}  # local time
    video.open_booking()
    assert video.phase == CHOOSING and not launcher.active


@needs_chromium
def test_the_session_keeps_a_call_alive_and_ending_the_visit_ends_it(directory, launcher, main_thread, tmp_path,
                                                                     parcels, sessions):
    video = VideoPresenter(directory[0], launcher, run_inline, main_thread.post, lambda: NOW, village="K")
    eservices = EServicesPresenter(directory[0], launcher, run_inline, main_thread.post, lambda: NOW)
    session = SessionPresenter(staff=StaffDirectory(sessions), home=HomePresenter(),
                               pickup=PickupPresenter(parcels, run_inline),
                               staff_mode=StaffPresenter(parcels, run_inline),
                               run=run_inline, idle_timeout_s=1, video=video, eservices=eservices)
    session.go(VIDEO)
    video.call("fk")
    assert session.busy  # nobody touches the kiosk during a call: no idle reset
    session.end_session()
    assert not launcher.active and profiles(tmp_path) == []
    assert video.phase == CHOOSING and video.message is None


def test_e_services_by_category(directory, launcher, main_thread):
    e_services = [
        p.EServiceData(id="deklaration", title={"sv": "Deklarera"}, description={"sv": "x"}, category="tax",
                       start_url="https://www.skatteverket.se/", allowed_domains=["skatteverket.se"]),
        p.EServiceData(id="1177", title={"sv": "1177"}, description={"sv": "x"}, category="health",
                       start_url="https://www.1177.se/", allowed_domains=["1177.se"]),
    ]
    presenter = EServicesPresenter(None, launcher, run_inline, main_thread.post, lambda: NOW)
    presenter._loaded(e_services, presenter._loads)
    assert presenter.categories == ["health", "tax"]  # the region's order, only those in use
    presenter.choose_category("tax")
    assert [s.id for s in presenter.shown] == ["deklaration"]
    assert presenter.back() and presenter.category is None
    assert not presenter.back()  # a second Back leaves the screen


@pytest.mark.parametrize("language", ["sv", "fi", "smj"])
def test_read_aloud_names_the_services_and_never_the_booking_digits(language, directory, launcher, main_thread,
                                                                    parcels, sessions):
    from kiosk.i18n import Translator
    from kiosk.ui.presenters.spoken import spoken_text

    video = VideoPresenter(directory[0], launcher, run_inline, main_thread.post, lambda: NOW, village="K")
    eservices = EServicesPresenter(directory[0], launcher, run_inline, main_thread.post, lambda: NOW)
    session = SessionPresenter(staff=StaffDirectory(sessions), home=HomePresenter(),
                               pickup=PickupPresenter(parcels, run_inline),
                               staff_mode=StaffPresenter(parcels, run_inline),
                               run=run_inline, video=video, eservices=eservices)
    tr = Translator(language)
    session.go(VIDEO)
    said = spoken_text(session, tr, "Lanthandeln")
    assert "Försäkringskassan" in said and "Hälsocentralen" in said
    assert tr(OPEN_NOW) in said and "08:00" in said  # the closed one says when it opens
    video.open_booking()
    for digit in "4242":
        video.press_digit(digit)
    said = spoken_text(session, tr, "Lanthandeln")
    assert "4242" not in said and "4 2 4 2" not in said
    session.go("eservices")
    assert tr("E-tjänster") in spoken_text(session, tr, "Lanthandeln")


def test_too_many_wrong_booking_codes_pause_the_keypad(directory, launcher, main_thread):
    clock = [1000.0]
    video = VideoPresenter(directory[0], launcher, run_inline, main_thread.post, lambda: NOW, village="K",
                           monotonic=lambda: clock[0])
    video.load()
    video.open_booking()

    def enter(code: str) -> None:
        for digit in code:
            video.press_digit(digit)
        video.submit()

    for attempt in range(MAX_WRONG_CODES):
        enter(f"{attempt:06d}")
    assert video.message.text == BOOKING_PAUSED
    enter("424242")  # even the right code waits: the pause must not tell right from wrong
    assert video.message.text == BOOKING_PAUSED and not launcher.active
    clock[0] += PAUSE_S
    enter("424242")
    assert video.message.text == BOOKING_EARLY  # heard again once the pause is over
