"""The locked-down browser against the real Chromium, headless, with fake camera and microphone.

No --use-fake-ui-for-media-stream here: that switch answers every prompt with "allow" and
bypasses the site settings, so it would hide exactly what is under test. Without it a grant
can only come from the profile's settings, and the permission state the page reads before
asking tells a refusal by setting ("denied") from a prompt that would appear ("prompt").
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
from pathlib import Path

import pytest

from kiosk.services.browser import (
    BrowserPolicy,
    BrowserSession,
    BrowserUnavailable,
    EndReason,
    LaunchOptions,
    content_settings_pattern,
    is_allowed,
)
from tests.kiosk.loopback_site import MEDIA_PAGE, Site

pytestmark = pytest.mark.skipif(shutil.which("chromium") is None,
                                reason="chromium is not installed (scripts/setup-system.sh)")


@pytest.fixture
def sites():
    made = {name: Site(host) for name, host in
            (("video", "127.0.0.1"), ("other", "127.0.0.2"), ("outside", "127.0.0.3"))}
    yield made
    for site in made.values():
        site.close()


@pytest.fixture
def launch(tmp_path: Path):
    sessions: list[BrowserSession] = []

    def start(policy: BrowserPolicy, **options) -> BrowserSession:
        ended: list[EndReason] = []
        settings = dict(headless=True, temp_root=tmp_path, log_path=tmp_path / "chromium.log",
                        extra_args=("--use-fake-device-for-media-stream",))
        settings.update(options)
        session = BrowserSession(policy, LaunchOptions(**settings), on_end=ended.append)
        session.ended_reasons = ended
        sessions.append(session)
        session.start()
        return session

    yield start
    for session in sessions:
        session.end()


def profiles(root: Path) -> list[Path]:
    return sorted(root.glob("servicepunkt-browser-*"))


def test_video_host_gets_camera_and_microphone_without_a_prompt(sites, launch):
    video = sites["video"]
    launch(BrowserPolicy(start_url=video.page("/call", MEDIA_PAGE),
                         allowed_domains=(video.host,), media_origins=(video.origin,)))
    assert video.wait_report() == {"result": "granted:audio+video",
                                   "camera": "granted", "microphone": "granted"}


def test_another_host_is_refused_by_the_profile_not_by_an_unanswered_prompt(sites, launch):
    video, other = sites["video"], sites["other"]
    launch(BrowserPolicy(start_url=other.page("/form", MEDIA_PAGE),
                         allowed_domains=(video.host, other.host), media_origins=(video.origin,)))
    assert other.wait_report() == {"result": "NotAllowedError",
                                   "camera": "denied", "microphone": "denied"}


def test_the_video_host_too_is_refused_without_its_exception(sites, launch):
    """The control for the first test: the grant comes from the exception, nothing else."""
    video = sites["video"]
    launch(BrowserPolicy(start_url=video.page("/call", MEDIA_PAGE), allowed_domains=(video.host,)))
    assert video.wait_report()["result"] == "NotAllowedError"


def test_navigation_outside_the_allowed_domains_is_blocked(sites, launch):
    video, other, outside = sites["video"], sites["other"], sites["outside"]
    other.page("/next", "<script>fetch('/report?arrived=yes')</script>")
    start = video.page("/", f"""<iframe src="{outside.url('/framed')}"></iframe><script>
        setTimeout(() => {{ location.href = '{outside.url('/away')}'; }}, 300);</script>""")
    session = launch(BrowserPolicy(start_url=start, allowed_domains=(video.host, other.host)))
    wait_until(lambda: len(session.blocked) == 2)
    assert set(session.blocked) == {outside.url("/framed"), outside.url("/away")}
    # An allowed navigation still goes through, from the error page the block left.
    session.evaluate(f"location.href = '{other.url('/next')}'")
    assert other.wait_report() == {"arrived": "yes"}
    assert outside.requests == []


def wait_until(condition, timeout: float = 20.0) -> None:
    for _ in range(int(timeout / 0.1)):
        if condition():
            return
        threading.Event().wait(0.1)
    raise AssertionError("condition not met in time")


def test_the_profile_exists_during_the_session_and_is_gone_after_it(sites, launch, tmp_path):
    video = sites["video"]
    session = launch(BrowserPolicy(start_url=video.page("/", "<p>hello</p>"),
                                   allowed_domains=(video.host,)))
    profile = session.profile_dir
    assert profiles(tmp_path) == [profile]
    assert (profile / "Default").is_dir()
    session.end()
    assert session.wait(10) is EndReason.DONE
    assert not profile.exists()
    assert profiles(tmp_path) == []
    assert session.ended_reasons == [EndReason.DONE]


def test_a_killed_browser_is_detected_and_its_profile_wiped(sites, launch, tmp_path):
    video = sites["video"]
    session = launch(BrowserPolicy(start_url=video.page("/", "<p>hello</p>"),
                                   allowed_domains=(video.host,)), ping_interval=0.5)
    os.kill(session.pid, signal.SIGKILL)
    assert session.wait(20) is EndReason.EXITED
    assert profiles(tmp_path) == []
    session.end()  # the kiosk's own end afterwards changes nothing
    assert session.ended_reasons == [EndReason.EXITED]


def test_a_hung_page_is_detected(sites, launch, tmp_path):
    video = sites["video"]
    page = video.page("/", "<script>fetch('/report?loaded=1'); setTimeout(() => { while (true) {} }, 200);</script>")
    session = launch(BrowserPolicy(start_url=page, allowed_domains=(video.host,)),
                     ping_interval=0.5, hang_timeout=2.0)
    video.wait_report()
    assert session.wait(30) is EndReason.HUNG
    assert profiles(tmp_path) == []


def test_a_frozen_browser_is_detected_and_killed(sites, launch, tmp_path):
    video = sites["video"]
    session = launch(BrowserPolicy(start_url=video.page("/", "<p>hello</p>"), allowed_domains=(video.host,)),
                     ping_interval=0.5, hang_timeout=2.0)
    os.kill(session.pid, signal.SIGSTOP)  # alive but answering nothing, as a hung browser
    assert session.wait(30) is EndReason.HUNG
    assert profiles(tmp_path) == []
    with pytest.raises(ProcessLookupError):
        os.kill(session.pid, 0)  # and really gone, not left stopped


def test_idle_timeout_ends_an_untouched_session(sites, launch):
    video = sites["video"]
    session = launch(BrowserPolicy(start_url=video.page("/", "<p>form</p>"),
                                   allowed_domains=(video.host,), idle_timeout=1.0),
                     ping_interval=0.3)
    assert session.wait(20) is EndReason.IDLE


def test_a_touch_in_the_page_counts_as_activity(sites, launch):
    video = sites["video"]
    session = launch(BrowserPolicy(start_url=video.page("/", "<p>form</p>"),
                                   allowed_domains=(video.host,), idle_timeout=60.0),
                     ping_interval=0.3)
    wait_until(lambda: session._touches == 0)  # the watchdog has read the fresh page's count
    before = session._last_activity
    session.evaluate("window.dispatchEvent(new PointerEvent('pointerdown'))")
    wait_until(lambda: session._last_activity > before)
    assert session._touches == 1


def test_a_missing_browser_is_reported_and_leaves_no_profile(tmp_path):
    session = BrowserSession(BrowserPolicy("https://e.example.se/", ("example.se",)),
                             LaunchOptions(executable="/nonexistent/chromium", temp_root=tmp_path))
    with pytest.raises(BrowserUnavailable, match="not installed"):
        session.start()
    assert profiles(tmp_path) == []


@pytest.mark.parametrize("url, allowed", [
    ("https://www.skatteverket.se/x", True),
    ("https://skatteverket.se/", True),
    ("https://evilskatteverket.se/", False),
    ("https://skatteverket.se.evil.com/", False),
    ("file:///etc/passwd", False),
    ("javascript:alert(1)", False),
    ("https://SKATTEVERKET.SE./", True),
])
def test_allowed_domains_match_the_host_and_its_subdomains_only(url, allowed):
    assert is_allowed(url, ("skatteverket.se",)) is allowed


def test_a_policy_must_start_inside_its_domains_and_name_real_origins():
    with pytest.raises(ValueError, match="outside the allowed domains"):
        BrowserPolicy("https://other.se/", ("region.se",))
    with pytest.raises(ValueError, match="not an origin"):
        BrowserPolicy("https://meet.region.se/", ("region.se",), ("https://meet.region.se/room",))
    assert content_settings_pattern("https://meet.region.se") == "https://meet.region.se:443,*"



def test_the_browser_window_leaves_the_kiosks_end_strip_free(sites, tmp_path, x_display):
    """On the touchscreen (a real X server here) the page fills the screen above the strip
    where the kiosk's own End button stays visible and touchable."""
    video = sites["video"]
    env = {**os.environ, "DISPLAY": x_display}
    session = BrowserSession(
        BrowserPolicy(start_url=video.page("/", "<script>fetch('/report?shown=1')</script>"),
                      allowed_domains=(video.host,)),
        LaunchOptions(window=(0, 0, 1280, 700), env=env, temp_root=tmp_path, log_path=tmp_path / "chromium.log"))
    session.start()
    try:
        assert video.wait_report() == {"shown": "1"}
        geometry = subprocess.run(["xdotool", "search", "--sync", "--onlyvisible", "--class", "chromium",
                                   "getwindowgeometry", "%@"], env=env, capture_output=True, text=True,
                                  timeout=20).stdout
        assert "Position: 0,0" in geometry and "Geometry: 1280x700" in geometry, geometry
    finally:
        session.end()
    assert profiles(tmp_path) == []
