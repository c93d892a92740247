"""Run as a program: which input providers Kivy creates at `kiosk run`, printed as JSON.

    python -m tests.ui.touch_providers SYSFS kiosk|kivy-defaults

SYSFS stands in for /sys/class/input (Kivy's probesysfs globs it for event* devices, so the
fake touchscreen there is what the probe finds); `kiosk` applies the window settings of
`kiosk run` in production mode (fullscreen) first, `kivy-defaults` leaves Kivy's own config.
Then Kivy's own start-up step (`kivy.base._runTouchApp_prepare`) creates the providers from
the [input] section, as `App.run()` does; only starting them is skipped (that needs the window,
and would open /dev/input/event* for real)."""
from __future__ import annotations

import json
import sys
from pathlib import Path


def main(sysfs: str, mode: str) -> None:
    if mode == "kiosk":
        from kiosk.early_config import UiConfig
        from kiosk.ui.launch import configure_kivy

        configure_kivy(UiConfig(data_dir=Path(sysfs), fullscreen=True))
    import kivy.input.providers.probesysfs as probesysfs
    from kivy.base import EventLoop, _runTouchApp_prepare
    from kivy.config import Config

    real_glob = probesysfs.glob  # the probe's only look at the machine: /sys/class/input/event*
    probesysfs.glob = lambda pattern: real_glob(pattern.replace("/sys/class/input", sysfs))
    EventLoop.start = lambda: None  # create the providers, do not start them
    _runTouchApp_prepare()
    providers = [{"provider": type(p).__name__, "device": p.device} for p in EventLoop.input_providers]
    print(json.dumps({"input": dict(Config.items("input")), "providers": providers}))


if __name__ == "__main__":
    main(*sys.argv[1:])
