"""The locked-down browser for video calls and e-services: one Chromium per resident session.

What a session guarantees, and how (no root needed, so no managed policy file):

- a fresh profile: a new `--user-data-dir` under a private temp dir, deleted when the session
  ends, however it ends (Done, idle, crash, hang) - the next resident finds nothing;
- camera and microphone only for the video origins: the profile's Preferences file is written
  before launch with camera/mic/geolocation/notifications... blocked by default and a content
  settings exception allowing camera+mic for each media origin; `--deny-permission-prompts`
  turns any prompt that would still appear into a "no", so nobody faces a dialog;
- navigation limited to the allowed domains: every document request (top level, frames and
  popups) is paused through the DevTools protocol (Fetch domain, on every page and frame the
  browser opens: auto-attach waits for us before the target runs) and answered with the
  kiosk's own "cannot be opened here" page unless its host is allowed; if the DevTools pipe
  is lost the session ends, so the filter fails closed;
- the kiosk's own page, in the resident's language, when a site does not answer: the same
  filter pauses each document's answer too, and a network error (no connection, no such
  name, a timeout) is answered with that page instead of Chromium's English one. It is
  served in place of the failed answer (Fetch.fulfillRequest), so it keeps the failed
  address and its "Try again" reloads the real site; no local server or file: page needed;
- no browser around the page: one `--app` window without tabs, address bar or menus, placed
  above the kiosk's End strip (`--kiosk` only without a window), in the demo and on the
  panel alike; `--force-app-mode` makes Chromium refuse every command but back, forward,
  reload, stop, edit and zoom, so Ctrl+T, Ctrl+N, Ctrl+Shift+N, Ctrl+L, F6, Alt+F and F11
  do nothing. The guard script in every document (kiosk/services/browser_pages.py) opens
  links and `window.open()` meant for a new window in place and refuses full screen (either
  would cover the End strip); a second window that still appears is closed at once;
- no downloads (Browser.setDownloadBehavior deny), no dev tools: the context menu (its
  "Inspect" entry) and F12/Ctrl+Shift+I are kept from the browser and any devtools:// window
  is closed as soon as it appears. (The devtools.availability pref cannot be used: it also
  locks out our own DevTools pipe, and then nothing above could be enforced);
- crash and hang detection: a watchdog thread waits on the process and pings the browser and
  the page's renderer over the pipe; process exit, renderer crash or a ping without answer ends
  the session and reports why, so the kiosk takes the screen back.

`end()` kills the browser's process group and wipes the profile; `on_end(reason)` is called
exactly once, from a background thread, after the profile is gone.
"""
from __future__ import annotations

import base64
import enum
import fcntl
import json
import logging
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from kiosk.services.browser_pages import ACTIVITY_COUNTER, GUARD_SCRIPT, ErrorPage, error_page
from kiosk.services.devtools import DevToolsClosed, DevToolsError, DevToolsPipe, DevToolsTimeout

log = logging.getLogger(__name__)

DEFAULT_EXECUTABLE = "/usr/bin/chromium"
ALLOW, BLOCK = 1, 2  # Chromium's ContentSetting values
# Content settings blocked for every site: nothing a resident could be asked about.
BLOCKED_BY_DEFAULT = (
    "media_stream_camera", "media_stream_mic", "geolocation", "notifications", "midi_sysex",
    "clipboard", "sensors", "usb_guard", "serial_guard", "hid_guard", "bluetooth_guard",
    "file_system_write_guard", "idle_detection", "window_placement", "local_fonts",
    "automatic_downloads", "popups", "protocol_handlers", "payment_handler", "ar", "vr",
)
MEDIA_SETTINGS = ("media_stream_camera", "media_stream_mic")
# The first document of an app window, shown until the start URL loads under the filter (an
# http(s) `--app` URL would load before the filter is on; `about:blank` opens a tabbed window).
BLANK_APP_PAGE = "data:text/html,<html style='background:%23F4F1EA'></html>"
# Network errors that mean "the site did not answer": the kiosk's own page instead of Chromium's
# English one. Aborted (a navigation replaced by the next) and a block of ours are not.
UNREACHABLE_ERRORS = frozenset({
    "Failed", "TimedOut", "ConnectionClosed", "ConnectionReset", "ConnectionRefused",
    "ConnectionAborted", "ConnectionFailed", "NameNotResolved", "InternetDisconnected",
    "AddressUnreachable", "AccessDenied",
})


class EndReason(str, enum.Enum):
    DONE = "done"          # the resident or the kiosk ended it
    IDLE = "idle"          # nobody touched the page for the idle timeout
    EXITED = "exited"      # the browser process went away by itself
    CRASHED = "crashed"    # the page's renderer crashed
    HUNG = "hung"          # the browser or the renderer stopped answering
    FAILED = "failed"      # it never started properly


class BrowserUnavailable(RuntimeError):
    """Chromium is missing or did not start; the message says which."""


@dataclass(frozen=True)
class BrowserPolicy:
    """What one session may do.

    `allowed_domains`: host names; each allows itself and its subdomains ("region.se" allows
    "meet.region.se"). The start URL's host must be among them.
    `media_origins`: origins ("https://meet.region.se") granted camera and microphone.
    `idle_timeout`: seconds without a touch in the page before the session ends; None for a
    video call, where the resident talks and need not touch anything.
    `language`: the resident's, for the kiosk's own pages (a site that does not answer).
    """

    start_url: str
    allowed_domains: tuple[str, ...]
    media_origins: tuple[str, ...] = ()
    idle_timeout: float | None = None
    language: str = "sv"

    def __post_init__(self) -> None:
        if not is_allowed(self.start_url, self.allowed_domains):
            raise ValueError(f"start URL {self.start_url!r} is outside the allowed domains")
        for origin in self.media_origins:
            content_settings_pattern(origin)  # raises ValueError on a malformed origin


@dataclass
class LaunchOptions:
    """How Chromium runs: kiosk on the touchscreen, headless in tests."""

    executable: str = DEFAULT_EXECUTABLE
    headless: bool = False
    extra_args: tuple[str, ...] = ()
    temp_root: Path | None = None  # where profiles are created; default: the system temp dir
    startup_timeout: float = 20.0
    ping_interval: float = 2.0
    hang_timeout: float = 10.0
    env: dict[str, str] | None = None
    log_path: Path | None = None  # Chromium's stderr goes here (diagnostics); else discarded
    # (x, y, width, height) in screen pixels: an app window there instead of full-screen
    # kiosk mode, so the kiosk's own "End call" strip stays visible and touchable beside it.
    window: tuple[int, int, int, int] | None = None


def is_allowed(url: str, allowed_domains: tuple[str, ...] | list[str]) -> bool:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    host = parts.hostname.lower().rstrip(".")
    for domain in allowed_domains:
        domain = domain.lower().strip().rstrip(".")
        if domain and (host == domain or host.endswith("." + domain)):
            return True
    return False


def content_settings_pattern(origin: str) -> str:
    """`https://meet.region.se` -> `https://meet.region.se:443,*` (requesting origin, any
    embedder), the key Chromium stores content settings exceptions under."""
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/"):
        raise ValueError(f"not an origin: {origin!r}")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.scheme}://{parts.hostname}:{port},*"


def profile_preferences(policy: BrowserPolicy) -> dict[str, Any]:
    """The Preferences file of a fresh profile: permissions, no downloads, no dev tools."""
    exceptions = {
        setting: {content_settings_pattern(origin): {"setting": ALLOW}
                  for origin in policy.media_origins}
        for setting in MEDIA_SETTINGS
    }
    return {
        "profile": {
            "default_content_setting_values": {name: BLOCK for name in BLOCKED_BY_DEFAULT},
            "content_settings": {"exceptions": exceptions},
            "password_manager_enabled": False,
            "exit_type": "Normal",
        },
        "credentials_enable_service": False,
        "autofill": {"profile_enabled": False, "credit_card_enabled": False},
        "download": {"prompt_for_download": False, "directory_upgrade": True},
        "translate": {"enabled": False},
        "search": {"suggest_enabled": False},
        "printing": {"enabled": False},
    }


def chromium_args(profile_dir: Path, options: LaunchOptions) -> list[str]:
    args = [
        f"--user-data-dir={profile_dir}",
        "--remote-debugging-pipe",
        "--no-first-run", "--no-default-browser-check", "--disable-sync",
        "--disable-extensions", "--disable-component-update", "--disable-background-networking",
        "--disable-default-apps", "--password-store=basic", "--disable-breakpad",
        "--noerrdialogs", "--disable-session-crashed-bubble", "--hide-crash-restore-bubble",
        "--deny-permission-prompts", "--disable-notifications",
        "--autoplay-policy=no-user-gesture-required",
        "--overscroll-history-navigation=0", "--disable-pinch",
        "--disable-features=Translate,MediaRouter,DownloadBubble,PrivacySandboxSettings4",
    ]
    # Every browser command but back, forward, reload, stop, edit and zoom does nothing: the
    # keys and menus for new tabs and windows, incognito, the address bar (Ctrl+L, F6), the
    # app menu (Alt+F, Alt+E), full screen (F11), print, save and open (Chromium's
    # IsCommandAllowedInAppMode).
    args.append("--force-app-mode")
    if options.headless:
        args += ["--headless=new", "about:blank"]
    elif options.window is not None:
        x, y, width, height = options.window
        args += [f"--app={BLANK_APP_PAGE}", f"--window-position={x},{y}", f"--window-size={width},{height}"]
    else:
        args += ["--kiosk", f"--app={BLANK_APP_PAGE}"]
    if os.geteuid() == 0:
        # Chromium refuses to run as root with its sandbox; the kiosk user is never root,
        # but a container running the tests may be. --test-type keeps the "unsupported
        # command-line flag" bar that --no-sandbox brings off the screen.
        args += ["--no-sandbox", "--test-type"]
    args.extend(options.extra_args)
    return args


class BrowserSession:
    def __init__(self, policy: BrowserPolicy, options: LaunchOptions | None = None,
                 on_end: Callable[[EndReason], None] | None = None) -> None:
        self.policy = policy
        self.options = options or LaunchOptions()
        self._on_end = on_end
        self.profile_dir: Path | None = None
        self.blocked: list[str] = []  # URLs refused, for the log and the tests
        self.unreachable: list[str] = []  # URLs that did not answer (the kiosk's page shown)
        self.reason: EndReason | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._pipe: DevToolsPipe | None = None
        self._main_session: str | None = None
        self._main_attached = threading.Event()
        self._ended = threading.Event()
        self._end_lock = threading.Lock()
        self._last_activity = time.monotonic()
        self._touches: int | None = None
        self._watchdog: threading.Thread | None = None

    # --- public ------------------------------------------------------------------------------

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    @property
    def ended(self) -> bool:
        return self._ended.is_set()

    def start(self) -> None:
        """Launch, lock down, open the start URL. Raises BrowserUnavailable (profile wiped)."""
        executable = shutil.which(self.options.executable)
        if executable is None:
            raise BrowserUnavailable(f"{self.options.executable} is not installed")
        self.profile_dir = _fresh_profile(self.options.temp_root, self.policy)
        try:
            self._launch(executable, self.profile_dir)
            self._lock_down()
            self._live_pipe.call("Page.navigate", {"url": self.policy.start_url},
                            self._main_session, timeout=self.options.startup_timeout)
        except (OSError, DevToolsClosed, DevToolsError, DevToolsTimeout) as error:
            self._finish(EndReason.FAILED)
            raise BrowserUnavailable(f"the browser did not start: {error}") from error
        self._last_activity = time.monotonic()
        self._watchdog = threading.Thread(target=self._watch, name="browser-watchdog", daemon=True)
        self._watchdog.start()

    def end(self, reason: EndReason = EndReason.DONE) -> None:
        """Kill the browser and wipe the profile; safe to call twice or after a crash."""
        self._finish(reason)

    def wait(self, timeout: float | None = None) -> EndReason | None:
        self._ended.wait(timeout)
        return self.reason

    def evaluate(self, expression: str, timeout: float = 10.0) -> Any:
        """Run JavaScript in the page (tests and diagnostics)."""
        result = self._live_pipe.call("Runtime.evaluate", {"expression": expression,
                                                      "returnByValue": True, "awaitPromise": True},
                                 self._main_session, timeout=timeout)
        return result.get("result", {}).get("value")

    def page_urls(self, timeout: float = 10.0) -> list[str]:
        """The address of every page the browser has open: one, unless a window got past us."""
        targets = self._live_pipe.call("Target.getTargets", timeout=timeout).get("targetInfos", [])
        return [target["url"] for target in targets if target.get("type") == "page"]

    def window_state(self, timeout: float = 10.0) -> str:
        """The page's window: "normal", or "fullscreen", "maximized", "minimized"."""
        window = self._live_pipe.call("Browser.getWindowForTarget", {}, self._main_session, timeout=timeout)
        return str(window.get("bounds", {}).get("windowState", "normal"))

    @property
    def _live_pipe(self) -> DevToolsPipe:
        if self._pipe is None:
            raise DevToolsClosed("the browser has not started")
        return self._pipe

    # --- launch ------------------------------------------------------------------------------

    def _launch(self, executable: str, profile_dir: Path) -> None:
        command_read, command_write = _pipe_above(10)
        reply_read, reply_write = _pipe_above(10)
        # Chromium expects the pipe on fds 3 and 4 exactly; bash (dash allows single-digit fds
        # only) moves them there and execs, so the PID we hold is Chromium's and no fd
        # shuffling happens in a preexec_fn, where it could clobber subprocess's own pipe.
        redirect = f'exec 3<&{command_read} 4>&{reply_write} {command_read}<&- {reply_write}>&- "$0" "$@"'
        log_file = open(self.options.log_path, "ab") if self.options.log_path else None  # noqa: SIM115
        try:
            self._process = subprocess.Popen(
                ["/bin/bash", "-c", redirect, executable,
                 *chromium_args(profile_dir, self.options)],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=log_file if log_file is not None else subprocess.DEVNULL,
                pass_fds=(command_read, reply_write), start_new_session=True,
                env=self.options.env)
        finally:
            os.close(command_read)
            os.close(reply_write)
            if log_file is not None:
                log_file.close()
        self._pipe = DevToolsPipe(command_write, reply_read, self._on_event)

    def _lock_down(self) -> None:
        timeout = self.options.startup_timeout
        self._live_pipe.call("Browser.getVersion", timeout=timeout)
        self._live_pipe.call("Browser.setDownloadBehavior", {"behavior": "deny"}, timeout=timeout)
        # Auto-attach catches every page and popup, including the blank page the browser
        # started with; new ones stay paused until the filter is on.
        self._live_pipe.call("Target.setAutoAttach", _BROWSER_AUTO_ATTACH, timeout=timeout)
        self._live_pipe.call("Target.setDiscoverTargets", {"discover": True}, timeout=timeout)
        if not self._main_attached.wait(timeout):
            raise DevToolsTimeout("no page to attach to")
        # One round trip on the page's own session: the commands sent there on attaching (the
        # filter, the guard script) are in force once it answers. Without it the start URL,
        # navigated to at once, often loaded without the guard script.
        self._live_pipe.call("Page.getFrameTree", {}, self._main_session, timeout=timeout)

    # --- DevTools events (reader thread: only send(), never call()) -------------------------

    def _on_event(self, method: str, params: dict[str, Any], session_id: str | None) -> None:
        if method == "Target.attachedToTarget":
            self._on_attached(params)
        elif method in ("Target.targetCreated", "Target.targetInfoChanged"):
            self._close_if_devtools(params["targetInfo"])
        elif method == "Fetch.requestPaused":
            self._on_request(params, session_id)
        elif method == "Inspector.targetCrashed" and session_id == self._main_session:
            threading.Thread(target=self._finish, args=(EndReason.CRASHED,), daemon=True).start()
        elif method == "Target.detachedFromTarget" and params.get("sessionId") == self._main_session:
            # The page closed itself (window.close()): nothing left to show.
            threading.Thread(target=self._finish, args=(EndReason.EXITED,), daemon=True).start()

    def _on_attached(self, params: dict[str, Any]) -> None:
        session = params["sessionId"]
        kind = params["targetInfo"]["type"]
        send = self._live_pipe.send
        if kind in ("page", "iframe"):
            # Before the target runs: the filter and the same auto-attach for its own frames.
            send("Fetch.enable", {"patterns": _DOCUMENT_PATTERNS}, session)
            send("Target.setAutoAttach", _AUTO_ATTACH, session)
            send("Page.enable", {}, session)  # without it the script below is not installed
            send("Page.addScriptToEvaluateOnNewDocument", {"source": GUARD_SCRIPT}, session)
            send("Inspector.enable", {}, session)
            if kind == "page" and self._main_session is None:
                self._main_session = session
                self._main_attached.set()
            elif kind == "page":
                self._open_in_place(params["targetInfo"])
                return  # closed while it waits: it never runs
        send("Runtime.runIfWaitingForDebugger", {}, session)

    def _open_in_place(self, info: dict[str, Any]) -> None:
        """A second window got past the guard script (a page can open one in ways the script
        does not see): close it, and show what it would have shown in the one window."""
        log.info("closing a second browser window")
        self._live_pipe.send("Target.closeTarget", {"targetId": info["targetId"]})
        url = info.get("url", "")
        if is_allowed(url, self.policy.allowed_domains):
            self._live_pipe.send("Page.navigate", {"url": url}, self._main_session)

    def _close_if_devtools(self, info: dict[str, Any]) -> None:
        if info.get("url", "").startswith("devtools://"):
            log.warning("closing a DevTools window in the resident's browser")
            self._live_pipe.send("Target.closeTarget", {"targetId": info["targetId"]})

    def _on_request(self, params: dict[str, Any], session_id: str | None) -> None:
        if "responseErrorReason" in params or "responseStatusCode" in params:
            self._on_response(params, session_id)
            return
        url = params["request"]["url"]
        if is_allowed(url, self.policy.allowed_domains):
            self._live_pipe.send("Fetch.continueRequest", {"requestId": params["requestId"]}, session_id)
            return
        log.info("blocked navigation outside the allowed domains: %s", url)
        self.blocked.append(url)
        self._show_own_page(params["requestId"], ErrorPage.BLOCKED, session_id)

    def _on_response(self, params: dict[str, Any], session_id: str | None) -> None:
        """A document's answer, or its network error: an unreachable site gets the kiosk's page."""
        error = params.get("responseErrorReason")
        if error in UNREACHABLE_ERRORS:
            log.info("a site did not answer (%s): showing the kiosk's page", error)
            self.unreachable.append(params["request"]["url"])
            self._show_own_page(params["requestId"], ErrorPage.UNREACHABLE, session_id)
            return
        self._live_pipe.send("Fetch.continueResponse" if error is None else "Fetch.continueRequest",
                        {"requestId": params["requestId"]}, session_id)

    def _show_own_page(self, request_id: str, kind: ErrorPage, session_id: str | None) -> None:
        """Answers the paused request with the kiosk's page; nothing reaches the site."""
        body = base64.b64encode(error_page(kind, self.policy.language)).decode("ascii")
        self._live_pipe.send("Fetch.fulfillRequest", {
            "requestId": request_id, "responseCode": 200, "body": body,
            "responseHeaders": [{"name": "Content-Type", "value": "text/html; charset=utf-8"},
                                {"name": "Cache-Control", "value": "no-store"}],
        }, session_id)

    # --- watchdog ----------------------------------------------------------------------------

    def _watch(self) -> None:
        interval, timeout = self.options.ping_interval, self.options.hang_timeout
        process = self._process
        while process is not None and not self._ended.is_set():
            try:
                process.wait(timeout=interval)
                self._finish(EndReason.EXITED)
                return
            except subprocess.TimeoutExpired:
                pass
            reason = self._check(timeout)
            if reason is not None:
                self._finish(reason)
                return

    def _check(self, timeout: float) -> EndReason | None:
        if self._ended.is_set():
            return None
        touches = self._touches  # unchanged if the page cannot be asked this round
        try:
            self._live_pipe.call("Browser.getVersion", timeout=timeout)
            touches = self._live_pipe.call(
                "Runtime.evaluate", {"expression": f"window.{ACTIVITY_COUNTER}", "returnByValue": True},
                self._main_session, timeout=timeout).get("result", {}).get("value")
        except DevToolsTimeout:
            return EndReason.HUNG
        except DevToolsClosed:
            return EndReason.EXITED
        except DevToolsError:
            pass  # e.g. between two documents; the next round asks again
        if touches is None and not self._ended.is_set():
            # A document that missed the script (it loaded before we attached, or raced the
            # registration): install the counter now; it is idempotent.
            self._live_pipe.send("Runtime.evaluate", {"expression": GUARD_SCRIPT}, self._main_session)
        if touches != self._touches:  # a new touch, or a new page (the counter restarts)
            self._touches = touches
            self._last_activity = time.monotonic()
        idle = self.policy.idle_timeout
        if idle is not None and time.monotonic() - self._last_activity > idle:
            return EndReason.IDLE
        return None

    # --- ending ------------------------------------------------------------------------------

    def _finish(self, reason: EndReason) -> None:
        with self._end_lock:
            if self.reason is not None:
                return
            self.reason = reason
        log.info("browser session ends: %s", reason.value)
        try:
            _kill_group(self._process)
            if self._pipe is not None:
                self._pipe.close()
        finally:
            _wipe(self.profile_dir)
            self._ended.set()
        if self._on_end is not None:
            self._on_end(reason)


# Every document twice: its request (the domain filter) and its answer (an unreachable site).
_DOCUMENT_PATTERNS = [{"urlPattern": "*", "resourceType": "Document", "requestStage": stage}
                      for stage in ("Request", "Response")]
_AUTO_ATTACH = {"autoAttach": True, "waitForDebuggerOnStart": True, "flatten": True}
# At browser level pages hang below "tab" targets; asking for pages directly attaches them
# (and without a filter Chromium 156 attaches nothing at all).
_BROWSER_AUTO_ATTACH = {**_AUTO_ATTACH, "filter": [{"type": "page"}]}


def _fresh_profile(temp_root: Path | None, policy: BrowserPolicy) -> Path:
    profile = Path(tempfile.mkdtemp(prefix="servicepunkt-browser-", dir=temp_root))  # mode 0700
    default = profile / "Default"
    default.mkdir()
    (default / "Preferences").write_text(json.dumps(profile_preferences(policy)), "utf-8")
    return profile


def _pipe_above(lowest: int) -> tuple[int, int]:
    """An os.pipe() whose fds are >= `lowest`, so they cannot collide with fds 3 and 4."""
    read_fd, write_fd = os.pipe()
    moved = (fcntl.fcntl(read_fd, fcntl.F_DUPFD_CLOEXEC, lowest),
             fcntl.fcntl(write_fd, fcntl.F_DUPFD_CLOEXEC, lowest))
    os.close(read_fd)
    os.close(write_fd)
    return moved


def _kill_group(process: subprocess.Popen[bytes] | None) -> None:
    if process is None:
        return
    for sig, grace in ((signal.SIGTERM, 3.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            pass
        try:
            process.wait(timeout=grace)
            break
        except subprocess.TimeoutExpired:
            continue
    # Helpers (zygote, renderers) left in the group die with the browser; make sure.
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _wipe(profile_dir: Path | None) -> None:
    if profile_dir is None:
        return
    for _ in range(5):  # a dying helper may still write a file into it for a moment
        shutil.rmtree(profile_dir, ignore_errors=True)
        if not profile_dir.exists():
            return
        time.sleep(0.2)
    log.error("could not remove the browser profile %s", profile_dir)
