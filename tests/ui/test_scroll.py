"""KioskScrollView clips its content (a stencil, two more layers of pixels in every software-
rendered frame) only while the content is larger than the view."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

PROBE = """
from kivy.core.window import Window
from kivy.graphics import StencilPush, StencilUnUse
from kivy.lang import Builder
from kivy.uix.widget import Widget
from kiosk.ui.widgets.scroll import KioskScrollView

def stencils(view):
    found = []
    def walk(group):
        for item in group.children:
            if isinstance(item, (StencilPush, StencilUnUse)):
                found.append(type(item).__name__)
            walk(item) if hasattr(item, "children") else None
    walk(view.canvas.before), walk(view.canvas.after)
    return found

def stencil_rectangle(view):
    group = next(item for item in view.canvas.before.children if hasattr(item, "children"))
    return [tuple(item.size) for item in group.children if type(item).__name__ == "Rectangle"][0]

view = KioskScrollView(size=(200, 100), size_hint=(None, None), do_scroll_x=False)
content = Widget(size_hint_y=None, height=60)
view.add_widget(content)
assert stencils(view) == [] and not view.clipping, stencils(view)
content.height = 300  # more than fits: clipped while it scrolls
assert stencils(view) == ["StencilPush", "StencilUnUse"] and view.clipping, stencils(view)
content.height = 80
assert stencils(view) == [] and not view.clipping
view.size = (150, 50)  # the stencil follows the view while it is out of the canvas
content.height = 120
Builder.sync()  # the rule's bindings update canvas instructions before the next frame
assert stencils(view) == ["StencilPush", "StencilUnUse"], stencils(view)
assert stencil_rectangle(view) == (150, 50), stencil_rectangle(view)
print("ok")
"""


@pytest.mark.ui
def test_the_content_is_clipped_only_while_it_does_not_fit(x_display, tmp_path) -> None:
    env = {**os.environ, "DISPLAY": x_display, "KIVY_NO_ARGS": "1", "KIVY_HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0 and "ok" in result.stdout, result.stdout + result.stderr[-2000:]
