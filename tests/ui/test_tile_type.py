"""One type size for a grid's tiles, worked out from their texts and sizes alone
(kiosk/ui/widgets/tiles.py), and the idle dialog's count kept with its words."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from kiosk.ui.widgets.idle_warning import keep_count_with_its_words

# Measuring text needs a GL context, so the measuring runs in a Kivy process of its own.
PROBE = """
from types import SimpleNamespace
from kivy.core.window import Window
from kiosk.ui.widgets.controls import MIN_FONT_SCALE
from kiosk.ui.widgets.tiles import largest_fitting_scale

FULL, SMALL, WRAP = 50.0, 40.0, 380.0

def tile(title, subtitle="", scale=1.0):
    # What the grid reads of a Tile: its texts, its present type and the width it wraps to.
    return SimpleNamespace(title=title, subtitle=subtitle, font_size=FULL * scale, font_scale=scale,
                           text_size=(WRAP, None))

assert largest_fitting_scale(tile("Hjälp", "Så använder du skärmen"), 400, SMALL, True) == 1.0
# Short of room: a smaller size, or none with the subtitle; without it, full size again.
language = tile("Språk", "Svenska · Suomi · Meänkieli · Sámegiella · English")
with_subtitle = largest_fitting_scale(language, 150, SMALL, True)
assert with_subtitle is None or with_subtitle < 1.0, with_subtitle
assert largest_fitting_scale(language, 150, SMALL, False) == 1.0
# A visit to another language shrank the type; back again, the same texts give the same size.
texts = ("Hämta paket", "Med koden från ditt meddelande")
fresh = largest_fitting_scale(tile(*texts), 150, SMALL, True)
after_a_visit = largest_fitting_scale(tile(*texts, scale=MIN_FONT_SCALE), 150, SMALL, True)
assert fresh == after_a_visit and fresh is not None and fresh < 1.0, (fresh, after_a_visit)
# Not even the smallest type fits a room lower than one line.
assert largest_fitting_scale(tile("Videosamtal"), 10, SMALL, False) is None
print("ok")
"""


@pytest.mark.ui
def test_one_type_size_from_the_texts_and_the_room_whatever_the_size_before(x_display, tmp_path) -> None:
    env = {**os.environ, "DISPLAY": x_display, "KIVY_NO_ARGS": "1", "KIVY_HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120, env=env,
                            check=False)
    assert result.returncode == 0 and "ok" in result.stdout, result.stdout + result.stderr[-2000:]


@pytest.mark.parametrize("message, shown", [
    ("Är du kvar? Skärmen börjar om om 6 sekunder.", "Är du kvar? Skärmen börjar om om\u00a06\u00a0sekunder."),
    ("Are you still there? The screen starts over in 120 seconds.",
     "Are you still there? The screen starts over in\u00a0120\u00a0seconds."),
    ("Ingen siffra här.", "Ingen siffra här."),
])
def test_a_count_is_joined_to_its_words_so_a_line_cannot_end_between_them(message: str, shown: str) -> None:
    assert keep_count_with_its_words(message) == shown
