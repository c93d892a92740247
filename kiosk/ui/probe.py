"""Test instrumentation: publishes where the visible controls are, so end-to-end tests can
tap them with real pointer events (xdotool) instead of calling into the app.

Enabled only when SERVICEPUNKT_UI_PROBE names a file; the kiosk never reads it back.
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window

PROBE_ENV_VAR = "SERVICEPUNKT_UI_PROBE"
MARKUP_TAG = re.compile(r"\[/?(?:b|i|u|s|sub|sup|color|size|font|ref|anchor)(?:=[^\]]*)?\]")


def start_probe(screen_manager) -> None:
    target = os.environ.get(PROBE_ENV_VAR)
    if target:
        Clock.schedule_once(lambda _dt: _write(Path(target), screen_manager), 0)  # the first frame
        Clock.schedule_interval(lambda _dt: _write(Path(target), screen_manager), 0.2)
        # A screen change is published on the next frame (laid out and drawn by then), not up
        # to 0.2 s later: bench/ui times how soon the home screen answers a tap.
        screen_manager.bind(current=lambda *_: Clock.schedule_once(
            lambda _dt: _write(Path(target), screen_manager), 0))


def _write(path: Path, screen_manager) -> None:
    widgets = [item for root in Window.children for item in _visible(root)]  # screens and overlays
    app = App.get_running_app()
    services = "ready" if getattr(app, "runtime", None) is not None else "starting"
    snapshot = {"screen": screen_manager.current, "services": services, "window": list(Window.size),
                "widgets": widgets}
    temp = path.with_suffix(".tmp")
    temp.write_text(json.dumps(snapshot, ensure_ascii=False), encoding="utf-8")
    os.replace(temp, path)


def _visible(root):
    for widget in root.walk(restrict=True):
        probe_id = getattr(widget, "probe_id", "")
        if probe_id and widget.opacity > 0 and widget.width > 1:
            yield _describe(widget, probe_id)


def _describe(widget, probe_id: str) -> dict:
    left, bottom = widget.to_window(*widget.pos)
    # xdotool counts y from the top of the screen; Kivy from the bottom of the window.
    top = Window.height - (bottom + widget.height)
    return {"id": probe_id, "text": _plain(widget), "disabled": widget.disabled,
            "x": left, "y": top, "width": widget.width, "height": widget.height}


def _plain(widget) -> str:
    """The text a person reads: markup tags (bold, a dimmed part) removed."""
    text = getattr(widget, "text", "")
    return MARKUP_TAG.sub("", text).replace("&bl;", "[").replace("&br;", "]").replace("&amp;", "&") \
        if getattr(widget, "markup", False) else text
