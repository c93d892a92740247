"""HTTP handler of the simulators' control API (loopback only, JSON in and out).

GET  /state                                -> ports, locker states, card on the reader
POST /card        {"uid": "04A1B2C3"|null} -> place (or remove) a card
POST /card/tap    {"uid", "seconds"?}      -> present a card for a while
POST /scan        {"text"}                 -> the scanner reads a barcode
POST /locker/door {"board","lock","closed"} -> a person opens or closes a door
POST /locker/item {"board","lock","present"} -> put an item in or take it out
POST /command     {"command": "door 0 3 close"} or a text/plain line -> the command
                  language of hardware.sim.commands (what `kiosk simulate` reads on stdin)
Bad JSON or fields -> 400 {"error": message}; unknown path -> 404.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from hardware.sim.commands import World

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024


class BadRequest(ValueError):
    pass


def _field(body: dict[str, Any], name: str, kind: type, *, optional: bool = False) -> Any:
    if name not in body:
        if optional:
            return None
        raise BadRequest(f"missing field {name!r}")
    value = body[name]
    # bool is an int in Python; a door state of 1 or a lock number of true is a client bug
    if (value is None and optional) or type(value) is kind:
        return value
    if kind is float and type(value) is int:
        return float(value)
    raise BadRequest(f"field {name!r} must be {kind.__name__}, got {value!r}")


def _card(sims: World, body: dict[str, Any]) -> None:
    sims.place_card(_field(body, "uid", str, optional=True))


def _tap(sims: World, body: dict[str, Any]) -> None:
    seconds = _field(body, "seconds", float, optional=True)
    sims.tap_card(_field(body, "uid", str), 1.0 if seconds is None else seconds)


def _scan(sims: World, body: dict[str, Any]) -> None:
    sims.scan(_field(body, "text", str))


def _command(sims: World, body: dict[str, Any]) -> None:
    sims.command(_field(body, "command", str))


def _door(sims: World, body: dict[str, Any]) -> None:
    sims.set_door(_field(body, "board", int), _field(body, "lock", int),
                  _field(body, "closed", bool))


def _item(sims: World, body: dict[str, Any]) -> None:
    sims.set_item(_field(body, "board", int), _field(body, "lock", int),
                  _field(body, "present", bool))


ACTIONS: dict[str, Callable[[World, dict[str, Any]], None]] = {
    "/card": _card, "/card/tap": _tap, "/scan": _scan,
    "/locker/door": _door, "/locker/item": _item, "/command": _command,
}


class ControlServer(ThreadingHTTPServer):
    """The loopback server of one SimulatorSet; its handler reaches the set as `sims`."""

    daemon_threads = False  # so server_close() joins request threads: no leftovers
    block_on_close = True

    def __init__(self, port: int, sims: World) -> None:
        self.sims = sims
        super().__init__(("127.0.0.1", port), ControlHandler)


class ControlHandler(BaseHTTPRequestHandler):
    timeout = 5  # an idle client must not hold a request thread (and stop()) forever
    server: ControlServer

    def do_GET(self) -> None:
        if self.path != "/state":
            return self._reply(404, {"error": f"no such resource {self.path}"})
        self._reply(200, self.server.sims.state())

    def do_POST(self) -> None:
        action = ACTIONS.get(self.path)
        if action is None:
            return self._reply(404, {"error": f"no such action {self.path}"})
        try:
            action(self.server.sims, self._body())
        except (BadRequest, ValueError) as exc:
            return self._reply(400, {"error": str(exc)})
        self._reply(200, {"ok": True, **self.server.sims.state()})

    def _body(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise BadRequest("request body too large")
        raw = self.rfile.read(length)
        if self.headers.get_content_type() == "text/plain":
            return {"command": raw.decode("utf-8", "replace")}
        try:
            body = json.loads(raw or b"null")
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise BadRequest(f"body is not valid JSON: {exc}") from exc
        if not isinstance(body, dict):
            raise BadRequest("body must be a JSON object")
        return body

    def _reply(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        log.debug("control API: " + format, *args)
