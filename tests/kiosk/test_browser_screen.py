"""The resident's browser as it looks on the screen: a headed Chromium on a private Xvfb
display, real key presses and clicks from xdotool, pictures of the screen.

Both window placements the kiosk uses are tried: the demo's (the kiosk is a window on a
desktop, so the browser's window sits where the kiosk's is, above its End strip) and the
panel's (the kiosk fills the screen; the browser covers all of it but the End strip). The
page is one flat colour, so any pixel of another colour inside the window is browser chrome:
tabs, an address bar, a menu or the "--no-sandbox" warning bar.
"""
from __future__ import annotations

import http.server
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image, ImageGrab

from kiosk.services.browser import BrowserPolicy, BrowserSession, LaunchOptions
from tests.conftest import xvfb_display
from tests.kiosk.loopback_site import Site

pytestmark = [pytest.mark.ui, pytest.mark.skipif(shutil.which("chromium") is None,
                                                 reason="chromium is not installed (scripts/setup-system.sh)")]
SCREEN = (1280, 800)
PAGE_COLOUR = (0, 160, 90)
STRIP_PX = 120  # what the kiosk keeps for its End strip (end_strip_height on this panel)
# (x, y, width, height) of the browser's window, as KioskApp.browser_options computes it.
PLACEMENTS = {
    "demo": (140, 60, 1000, 620),  # the kiosk is a window on a desktop
    "production": (0, 0, SCREEN[0], SCREEN[1] - STRIP_PX),  # the kiosk fills the panel
}
FLAT_PAGE = f"""<!DOCTYPE html><html style="background: rgb{PAGE_COLOUR}; height: 100%">
<body style="margin: 0; height: 100%"></body></html>"""


@pytest.fixture(scope="module")
def display() -> Iterator[str]:
    with xvfb_display(f"{SCREEN[0]}x{SCREEN[1]}x24") as name:
        yield name


@pytest.fixture
def site() -> Iterator[Site]:
    made = Site("127.0.0.1")
    yield made
    made.close()


@pytest.fixture
def open_browser(display: str, tmp_path: Path):
    sessions: list[BrowserSession] = []

    def start(start_url: str, placement: str = "production", language: str = "sv") -> BrowserSession:
        policy = BrowserPolicy(start_url=start_url, allowed_domains=("127.0.0.1",), language=language)
        options = LaunchOptions(window=PLACEMENTS[placement], env={**os.environ, "DISPLAY": display},
                                temp_root=tmp_path, log_path=tmp_path / "chromium.log")
        session = BrowserSession(policy, options)
        sessions.append(session)
        session.start()
        wait_for(lambda: len(chromium_windows(display)) == 1, "the browser's window")
        wait_for(lambda: session.evaluate("document.readyState + ' ' + location.href") == f"complete {start_url}",
                 "the start page")
        time.sleep(0.3)  # and painted, so a click lands on it
        return session

    yield start
    for session in sessions:
        session.end()


def wait_for(condition, what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"no {what} within {timeout} s")
        time.sleep(0.1)


def chromium_windows(display: str) -> list[str]:
    """Chromium's visible X windows: its window, and any tab strip window, menu or bubble."""
    found = subprocess.run(["xdotool", "search", "--onlyvisible", "--class", "chromium"],
                           env={"DISPLAY": display, "PATH": os.environ["PATH"]}, capture_output=True, text=True,
                           check=False)  # none found is an answer too
    return found.stdout.split()


def xdotool(display: str, *args: str) -> None:
    subprocess.run(["xdotool", *args], check=True, env={"DISPLAY": display, "PATH": os.environ["PATH"]})


def picture(display: str, output_dir: Path, name: str) -> Image.Image:
    shot = ImageGrab.grab(xdisplay=display).convert("RGB")
    shot.save(output_dir / f"{name}.png")
    return shot


def foreign_rows(shot: Image.Image, placement: str) -> list[int]:
    """Rows of the browser's window where some pixel is not the page's colour."""
    x, y, width, height = PLACEMENTS[placement]
    window = shot.crop((x, y, x + width, y + height))
    return [row for row in range(height)
            if window.crop((0, row, width, row + 1)).getcolors(1) != [(width, PAGE_COLOUR)]]


def click_in_page(display: str, placement: str) -> None:
    x, y, width, height = PLACEMENTS[placement]
    xdotool(display, "mousemove", str(x + width // 2), str(y + height // 2), "click", "1")


@pytest.mark.parametrize("placement", list(PLACEMENTS))
def test_the_window_shows_the_page_and_nothing_of_the_browser(placement, site, open_browser, display,
                                                               output_dir):
    """No tabs, new-tab button, address bar, profile or app menu, no warning bar: on the old
    code this window had all of them, its address bar focused and editable."""
    open_browser(site.page("/", FLAT_PAGE), placement)
    time.sleep(1.0)  # a warning bar slides in a moment after the first paint
    shot = picture(display, output_dir, f"browser-{placement}")
    assert foreign_rows(shot, placement) == []
    _x, y, _width, height = PLACEMENTS[placement]
    below = shot.crop((0, y + height, SCREEN[0], SCREEN[1]))
    assert PAGE_COLOUR not in {colour for _count, colour in below.getcolors(SCREEN[0] * SCREEN[1])}, \
        "the browser reaches into the End strip"


SHORTCUTS = ("ctrl+t", "ctrl+n", "ctrl+shift+n", "ctrl+l", "F6", "alt+f", "alt+e", "F11", "F12",
             "ctrl+shift+i", "ctrl+p", "ctrl+o", "ctrl+h", "ctrl+j")


@pytest.mark.parametrize("placement", list(PLACEMENTS))
def test_keyboard_shortcuts_open_no_window_tab_menu_or_address_bar(placement, site, open_browser, display,
                                                                   output_dir):
    session = open_browser(site.page("/", FLAT_PAGE), placement)
    opened = []
    for key in SHORTCUTS:
        click_in_page(display, placement)  # the keys go to the page's window
        xdotool(display, "key", key)
        time.sleep(1.2)  # a window, menu or bar would be up by then
        windows, pages, state = chromium_windows(display), session.page_urls(), session.window_state()
        shot = picture(display, output_dir, f"after-{key}-{placement}")
        if len(windows) != 1 or len(pages) != 1 or state != "normal" or foreign_rows(shot, placement):
            opened.append(f"{key}: {len(windows)} windows, pages {pages}, {state}")
        xdotool(display, "key", "Escape")  # closes a menu, so the next key is tried on its own
    assert opened == []


@pytest.mark.parametrize("how", ["link", "window.open", "shift-click"])
def test_a_page_asking_for_a_new_window_opens_it_in_place(how, site, open_browser, display):
    site.page("/next", "<script>fetch('/report?arrived=yes')</script>")
    opener = {"link": '<a href="/next" target="_blank" style="{style}">next</a>',
              "window.open": """<button onclick="window.open('/next', 'other')" style="{style}">next</button>""",
              "shift-click": '<a href="/next" style="{style}">next</a>'}[how]
    style = "display: block; position: fixed; inset: 0; background: #ccc"
    session = open_browser(site.page("/", opener.format(style=style)))
    if how == "shift-click":
        xdotool(display, "keydown", "shift")
    click_in_page(display, "production")
    if how == "shift-click":
        xdotool(display, "keyup", "shift")
    assert site.wait_report() == {"arrived": "yes"}
    assert len(chromium_windows(display)) == 1
    assert session.page_urls() == [site.url("/next")]


def test_a_page_cannot_take_the_full_screen_over_the_end_strip(site, open_browser, display):
    page = site.page("/", """<button style="position: fixed; inset: 0" onclick="
        document.documentElement.requestFullscreen().then(() => fetch('/report?fullscreen=yes'),
                                                         () => fetch('/report?fullscreen=refused'))">x</button>""")
    session = open_browser(page)
    click_in_page(display, "production")  # a real click: full screen needs a user's gesture
    assert site.wait_report() == {"fullscreen": "refused"}
    assert session.window_state() == "normal"


def closed_port() -> int:
    """A loopback port nothing listens on (yet)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Arrived(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"<h1>Here at last</h1>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.mark.parametrize("placement", list(PLACEMENTS))
def test_a_site_that_does_not_answer_shows_the_kiosks_page_in_the_residents_language(
        placement, open_browser, display, output_dir):
    """Not Chromium's English "This site can't be reached"; and its button tries the real
    site again, which loads once it answers."""
    port = closed_port()
    url = f"http://127.0.0.1:{port}/service"
    session = open_browser(url, placement, language="fi")
    wait_for(lambda: session.unreachable, "unreachable site")
    wait_for(lambda: session.evaluate("document.body && document.body.innerText") or "", "page text")
    text = session.evaluate("document.body.innerText")
    assert "Sivu ei vastaa juuri nyt." in text and "Yritä uudelleen" in text, text
    assert session.evaluate("location.href") == url  # the address that failed, to try again
    picture(display, output_dir, f"unreachable-{placement}")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Arrived)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        session.evaluate("document.querySelector('button').click()")
        wait_for(lambda: "Here at last" in (session.evaluate("document.body ? document.body.innerText : ''") or ""),
                 "the real site after Try again")
    finally:
        server.shutdown()
        server.server_close()
