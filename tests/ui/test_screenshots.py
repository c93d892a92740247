"""Every screen, in every language and display mode, on the reference panels: rendered by the
real app under Xvfb to PNG (test-output/screenshots/<panel>/), and checked automatically:
no text overflowing its widget or broken mid-word, no widget pushed out of its container,
every touch target at least 12 mm with 2 mm gaps, text contrast at least 4.5:1 (7:1 in
high contrast). `make screenshots` runs just this."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path

import pytest

from hardware.sim.runner import SimulatorSet
from kiosk.cli.provision import default_compartments
from kiosk.config import LANGUAGES, parse_config, write_config
from kiosk.ui import gallery_visits
from tests.conftest import OUTPUT_DIR, xvfb_display

pytestmark = pytest.mark.ui
PANELS = {  # the panels kiosks are built with: (width px, height px, width mm)
    "7in-800x480": (800, 480, 154.0),  # the reference panels of the accessibility requirements
    "15in-1920x1080": (1920, 1080, 344.0),
    "10in-1280x800": (1280, 800, 217.0),  # the 10" panels most kiosks get, and the demo's size
    "7in-720x1280": (720, 1280, 87.0),  # the Raspberry Pi Touch Display 2, upright
}
# kiosk/ui/gallery.py SCREENS (20 screens and parcel states + the video/e-service states)
# x display modes x languages; the gallery module itself imports Kivy, so it is not imported here.
SCREEN_COUNT = (20 + len(gallery_visits.STATES)) * 3 * len(LANGUAGES)


@pytest.fixture(scope="module")
def simulators():
    with SimulatorSet() as sims:
        yield sims


def panel_config(tmp_path: Path, ports: dict, width: int, height: int, width_mm: float) -> Path:
    config = parse_config({
        "data_dir": str(tmp_path / "data"), "service_point_name": "Lanthandeln i Korpilombolo",
        "fullscreen": False,
        "panel": {"width_px": width, "height_px": height, "width_mm": width_mm,
                  "height_mm": round(width_mm * height / width, 1)},
        "locker": {"port": ports["locker"], "compartments": [c.model_dump() for c in default_compartments(8)]},
    })
    path = tmp_path / "kiosk.toml"
    write_config(config, path)
    return path


@pytest.mark.timeout(3000)
def test_every_screen_language_and_mode_passes_the_checks(tmp_path, simulators) -> None:
    """Two panels at a time, each on its own X server: a gallery run is one single-threaded
    process drawing with Mesa on the CPU, so two of them use both cores."""
    panels, returncodes = list(PANELS), {}
    for pair in (panels[:2], panels[2:]):
        with ExitStack() as stack:
            runs = {panel: start_gallery(panel, tmp_path / panel, simulators.ports,
                                         stack.enter_context(xvfb_display()))
                    for panel in pair}
            returncodes |= {panel: process.wait(timeout=1400) for panel, process in runs.items()}
    problems = []
    for panel, returncode in returncodes.items():
        assert returncode == 0, f"{panel}: {(tmp_path / panel / 'gallery.log').read_text()[-3000:]}"
        output = OUTPUT_DIR / "screenshots" / panel
        report = json.loads((output / "report.json").read_text())
        assert len(report) == SCREEN_COUNT and len(list(output.glob("*.png"))) == SCREEN_COUNT, panel
        problems += [f"{panel} {state}: {problem}" for state, found in report.items() for problem in found]
        problems += unreadable_qr_codes(panel, output)
    assert not problems, "\n".join(problems)


def unreadable_qr_codes(panel: str, output: Path) -> list[str]:
    """The e-service's QR code, read back from every screenshot that shows it by a real QR
    reader: it must give the service's start URL in every language and display mode."""
    from PIL import Image

    from kiosk.services.phone_link import ascii_url
    from tests.ui.qr_reader import read_qr

    [example] = [s for s in gallery_visits.example_e_services() if s.id == gallery_visits.PHONE_EXAMPLE]
    shots = sorted(output.glob("eservices_phone-*.png"))
    assert len(shots) == len(LANGUAGES) * 3, panel
    problems = []
    for shot in shots:
        with Image.open(shot) as image:
            found = read_qr(image.convert("L"))
        if found != [ascii_url(example.start_url)]:
            problems.append(f"{panel} {shot.stem}: the QR code reads {found}, not {example.start_url}")
    return problems


def start_gallery(panel: str, folder: Path, ports: dict, display: str) -> subprocess.Popen:
    folder.mkdir()
    output = OUTPUT_DIR / "screenshots" / panel
    config = panel_config(folder, ports, *PANELS[panel])
    env = {**os.environ, "DISPLAY": display, "KIVY_HOME": str(folder / "kivy"), "SERVICEPUNKT_GALLERY": str(output)}
    with open(folder / "gallery.log", "wb") as log:  # a file, not a pipe: Kivy logs a lot
        return subprocess.Popen([sys.executable, "-m", "kiosk.cli.main", "--config", str(config), "run"],
                                env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
