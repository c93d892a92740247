"""Client of the simulators' control API, stdlib only (urllib).

Used by the kiosk's simulator panel and end-to-end tests:

    sim = SimControl(ports["control_url"])
    sim.command("tap 04A1B2C3"); sim.command("scan CP123456785SE"); sim.command("door 0 3 close")

Every helper method sends one line of that same command language (POST /command).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any


class SimControlError(RuntimeError):
    """The control API refused a request or could not be reached."""


class SimControl:
    def __init__(self, url: str, *, timeout: float = 5.0) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        # The API is loopback only; never send it through an http_proxy from the environment.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def state(self) -> dict[str, Any]:
        return self._call("GET", "/state")

    def command(self, line: str) -> dict[str, Any]:
        """One line of the control language (hardware.sim.commands), e.g. "door 0 3 close"."""
        return self._call("POST", "/command", {"command": line})

    def place_card(self, uid: str | None) -> dict[str, Any]:
        """Put a card on the reader and leave it there (None takes it away)."""
        return self.command(f"card {uid or 'none'}")

    def remove_card(self) -> dict[str, Any]:
        return self.place_card(None)

    def tap_card(self, uid: str, seconds: float = 1.0) -> dict[str, Any]:
        return self.command(f"tap {uid} {seconds}")

    def scan(self, text: str) -> dict[str, Any]:
        return self.command(f"scan {text}")

    def open_door(self, board: int, lock: int) -> dict[str, Any]:
        return self.command(f"door {board} {lock} open")

    def close_door(self, board: int, lock: int) -> dict[str, Any]:
        return self.command(f"door {board} {lock} close")

    def set_item(self, board: int, lock: int, present: bool) -> dict[str, Any]:
        return self.command(f"item {board} {lock} {'present' if present else 'absent'}")

    def set_paper(self, level: str) -> dict[str, Any]:
        return self.command(f"paper {level}")

    def set_cover(self, open_: bool) -> dict[str, Any]:
        return self.command(f"cover {'open' if open_ else 'closed'}")

    def unplug(self, device: str) -> dict[str, Any]:
        return self.command(f"unplug {device}")

    def replug(self, device: str) -> dict[str, Any]:
        return self.command(f"replug {device}")

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(self.url + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                answer: dict[str, Any] = json.loads(response.read())
                return answer
        except urllib.error.HTTPError as exc:
            raise SimControlError(f"{method} {path}: {exc.code} {_error_text(exc)}") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise SimControlError(f"{method} {path}: cannot reach {self.url}: {exc}") from exc


def _error_text(exc: urllib.error.HTTPError) -> str:
    try:
        return str(json.loads(exc.read()).get("error", ""))
    except (ValueError, AttributeError):
        return ""
    finally:
        exc.close()
