"""Start-up in the background (kiosk/ui/startup.py): the window first, the runtime on a thread.

What must hold: a call that needs the runtime waits for it on a worker thread and never blocks
the main thread; a failed build reaches the caller as a clear error; a runtime finished after
the app stopped is closed; and the modules the first screen needs do not import SQLAlchemy.
"""
from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest

from kiosk.ui.presenters.base import Message
from kiosk.ui.presenters.home import STARTING, HomePresenter
from kiosk.ui.startup import STILL_STARTING, RuntimeStarter, ServicesNotReady


class FakeRuntime:
    """Only what the starter touches: the services it resolves and close()."""

    def __init__(self) -> None:
        self.parcels = ["the parcel service"]
        self.closed = 0

    def close(self) -> None:
        self.closed += 1


def delivered_starter(build):
    results: list = []
    arrived = threading.Event()

    def deliver(runtime, error):
        results.append((runtime, error))
        arrived.set()

    return RuntimeStarter(build, deliver), results, arrived


def test_a_worker_waits_for_the_runtime_and_then_uses_it() -> None:
    release = threading.Event()
    runtime = FakeRuntime()
    starter, results, arrived = delivered_starter(lambda: (release.wait(10), runtime)[1])
    parcels = starter.deferred("parcels")
    seen: list = []
    worker = threading.Thread(target=lambda: seen.append(parcels.count("the parcel service")))
    starter.start()
    worker.start()
    worker.join(0.2)
    assert worker.is_alive() and seen == []  # waiting, not failing
    release.set()
    worker.join(10)
    assert seen == [1]
    assert arrived.wait(10) and results == [(runtime, None)]
    starter.close()
    assert runtime.closed == 1


def test_the_main_thread_is_never_blocked_by_a_runtime_still_building() -> None:
    release = threading.Event()
    starter, _results, arrived = delivered_starter(lambda: (release.wait(10), FakeRuntime())[1])
    starter.start()
    with pytest.raises(ServicesNotReady) as raised:
        starter.deferred("parcels").count  # noqa: B018  (the attribute access is the test)
    assert Message.from_error(raised.value, "fallback").text == STILL_STARTING
    release.set()
    assert arrived.wait(10)
    starter.close()


def test_a_failed_build_is_reported_and_waiting_callers_are_released() -> None:
    starter, results, arrived = delivered_starter(lambda: (_ for _ in ()).throw(OSError("no /dev/ttyUSB0")))
    starter.start()
    assert arrived.wait(10)
    [(runtime, error)] = results
    assert runtime is None and isinstance(error, OSError)
    outcome: list = []
    worker = threading.Thread(target=lambda: outcome.append(_attempt(starter.deferred("parcels"))))
    worker.start()
    worker.join(10)
    assert outcome == ["not ready"]
    starter.close()


def _attempt(service) -> str:
    try:
        _ = service.count  # reading the property is the use that raises
    except ServicesNotReady:
        return "not ready"
    return "used"


def test_a_runtime_finished_after_the_app_stopped_is_closed() -> None:
    release = threading.Event()
    runtime = FakeRuntime()
    starter, results, _arrived = delivered_starter(lambda: (release.wait(10), runtime)[1])
    starter.start()
    closing = threading.Thread(target=starter.close)
    closing.start()  # the app stops while the build is under way
    release.set()
    closing.join(10)
    assert runtime.closed == 1 and results == []  # closed, never handed to a stopped app


def test_stopping_the_app_releases_a_worker_waiting_for_the_runtime() -> None:
    """A tap during start-up leaves a worker waiting for the runtime; the interpreter joins
    it at exit, so a stop (systemd, SIGTERM) must not leave it waiting out its minute."""
    release = threading.Event()
    starter, _results, _arrived = delivered_starter(lambda: (release.wait(10), FakeRuntime())[1])
    starter.start()
    outcome: list = []
    worker = threading.Thread(target=lambda: outcome.append(_attempt(starter.deferred("parcels"))))
    worker.start()
    worker.join(0.2)
    assert worker.is_alive()  # waiting for the runtime
    closing = threading.Thread(target=starter.close)
    closing.start()
    worker.join(5)
    assert outcome == ["not ready"]  # released by the stop, before the build has finished
    release.set()
    closing.join(10)


def test_the_pickup_tile_says_it_is_starting_until_the_lockers_are_ready() -> None:
    home = HomePresenter()
    home.set_starting(True)
    pickup = next(tile for tile in home.tiles if tile.id == "pickup")
    assert pickup.subtitle == STARTING and pickup.target == "pickup"  # still opens: the check waits
    assert all(tile.subtitle != STARTING for tile in home.tiles if tile.id != "pickup")
    home.set_starting(False)
    assert next(tile for tile in home.tiles if tile.id == "pickup").subtitle != STARTING


# Database, network, printer and serial drivers, and pydantic (the config schema, the wire
# models): all belong to the runtime or to validating the whole config file, after the first
# screen answers.
HEAVY = ("sqlalchemy", "alembic", "requests", "escpos", "qrcode", "serial", "pydantic", "pydantic_core")
HEAVY_MODULES = ("kiosk.config", "sync.protocol")
PROBE = f"""
import sys
import kiosk.cli.main
from kiosk.early_config import ui_config
from kiosk.ui.launch import configure_kivy
configure_kivy(ui_config({{"data_dir": "/tmp/unused", "fullscreen": False}}))
import kiosk.ui.app, kiosk.ui.launch
import kiosk.ui.screens.attract, kiosk.ui.screens.home  # built before the first tap
from kiosk.services.runtime import build_runtime
heavy = sorted({{name.split(".")[0] for name in sys.modules}} & set({HEAVY!r}))
heavy += sorted(set(sys.modules) & set({HEAVY_MODULES!r}))
print("heavy:", heavy)
assert not heavy, heavy
"""


@pytest.mark.ui
def test_the_first_screen_imports_no_database_network_printer_or_schema_modules(x_display) -> None:
    """They belong to the runtime, built after the first frame: importing them first made the
    kiosk take three times as long as a bare Kivy app to answer a tap (pydantic alone, for
    the config and the wire models, cost a fifth of the bare app's start)."""
    env = {**os.environ, "DISPLAY": x_display, "KIVY_NO_ARGS": "1"}
    result = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]


def kiosk_run(config: dict, tmp_path, x_display) -> subprocess.CompletedProcess:
    import tomli_w

    (tmp_path / "kiosk.toml").write_text(tomli_w.dumps(config))
    env = {**os.environ, "DISPLAY": x_display, "KIVY_HOME": str(tmp_path / "kivy")}
    return subprocess.run([sys.executable, "-m", "kiosk.cli.main", "--config", str(tmp_path / "kiosk.toml"), "run"],
                          env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)


@pytest.mark.ui
@pytest.mark.parametrize("mistake, named", [
    # Settings the window reads: validated before it opens.
    ({"idle_timeout_s": 5}, "idle_timeout_s: Input should be greater than or equal to 20"),
    ({"idle_timeout_s": "soon"}, "idle_timeout_s: Input should be a valid number"),
    ({"panel": {"width_px": 0}}, "panel.width_px: Input should be greater than 0"),
    # The rest: validated on the start-up thread, after the first screen answers.
    ({"colour": "red"}, "colour: Extra inputs are not permitted"),
    ({"scanner": {"port": ""}}, "scanner.port: String should have at least 1 character"),
])
def test_an_invalid_config_stops_kiosk_run_with_the_schemas_message(mistake, named, tmp_path, x_display) -> None:
    """The window opens on a plain reading of what it needs; the whole file is validated where
    the runtime is built. Either way a mistake ends `kiosk run` naming the key, as it did when
    the whole file was validated before the window opened."""
    result = kiosk_run({"data_dir": str(tmp_path / "data"), "fullscreen": False, **mistake}, tmp_path, x_display)
    assert result.returncode != 0
    assert f"Error: {tmp_path / 'kiosk.toml'}: " in result.stderr and named in result.stderr, result.stderr[-2000:]


@pytest.mark.ui
def test_a_runtime_that_cannot_be_built_stops_kiosk_run_with_its_error(tmp_path, x_display) -> None:
    """The window is up before the runtime is built; a failure must still end `kiosk run`
    with the error (systemd restarts it and the journal says why), not leave a kiosk that
    looks fine and can do nothing."""
    from kiosk.config import parse_config, write_config

    write_config(parse_config({"data_dir": str(tmp_path / "data"), "fullscreen": False}), tmp_path / "kiosk.toml")
    env = {**os.environ, "DISPLAY": x_display, "KIVY_HOME": str(tmp_path / "kivy")}
    result = subprocess.run([sys.executable, "-m", "kiosk.cli.main", "--config", str(tmp_path / "kiosk.toml"), "run"],
                            env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert result.returncode != 0
    assert "no [locker] section" in result.stderr
