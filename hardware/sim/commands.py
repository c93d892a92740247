"""The simulators' control language: one command per line, as a person would type it.

`kiosk simulate` reads it on stdin and on its loopback HTTP endpoint (POST /command);
the demo's simulator panel and the tests send the same lines through `SimControl`.

    card <UID hex>                      put a card on the reader (stays until `card none`)
    card none                           take it away
    tap <UID hex> [seconds]             hold a card to the reader for a while (default 1 s)
    scan <text>                         the scanner reads a barcode (<GS> or \\x1d = GS byte)
    door <board> <lock> open|close      a person opens or closes a compartment door
    item <board> <lock> present|absent  put an item in or take it out
    paper ok|near-end|out               the printer's paper roll
    cover open|closed                   the printer's cover
    unplug <device>                     pull a device's cable (locker, card_reader, ...)
    replug <device>                     plug it back in (same port path)
    state                               print the simulated world as JSON
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar

GS = "\x1d"
T = TypeVar("T")


class World(Protocol):
    """What the commands act on: a SimulatorSet (hardware.sim.runner)."""

    def place_card(self, uid: str | None) -> None: ...
    def tap_card(self, uid: str, seconds: float = 1.0) -> None: ...
    def scan(self, text: str) -> None: ...
    def set_door(self, board: int, lock: int, closed: bool) -> None: ...
    def set_item(self, board: int, lock: int, present: bool) -> None: ...
    def set_paper(self, level: str) -> None: ...
    def set_cover(self, open_: bool) -> None: ...
    def unplug(self, device: str) -> None: ...
    def replug(self, device: str) -> None: ...
    def state(self) -> dict[str, Any]: ...
    def command(self, line: str) -> dict[str, Any]: ...


class CommandError(ValueError):
    """The line is not a valid command; the message says what is expected."""


def _int(word: str, what: str) -> int:
    try:
        return int(word)
    except ValueError:
        raise CommandError(f"{what} must be a number, got {word!r}") from None


def _choice(word: str, choices: dict[str, T], usage: str) -> T:
    if word not in choices:
        raise CommandError(f"usage: {usage}")
    return choices[word]


def _args(words: list[str], count: int, usage: str) -> list[str]:
    if len(words) != count:
        raise CommandError(f"usage: {usage}")
    return words


def _card(sims: World, words: list[str]) -> None:
    (uid,) = _args(words, 1, "card <UID hex> | card none")
    sims.place_card(None if uid.lower() == "none" else uid)


def _tap(sims: World, words: list[str]) -> None:
    if len(words) not in (1, 2):
        raise CommandError("usage: tap <UID hex> [seconds]")
    seconds = float(words[1]) if len(words) == 2 else 1.0
    sims.tap_card(words[0], seconds)


def _door(sims: World, words: list[str]) -> None:
    usage = "door <board> <lock> open|close"
    board, lock, action = _args(words, 3, usage)
    closed = _choice(action, {"open": False, "close": True, "closed": True}, usage)
    sims.set_door(_int(board, "board"), _int(lock, "lock"), closed)


def _item(sims: World, words: list[str]) -> None:
    usage = "item <board> <lock> present|absent"
    board, lock, state = _args(words, 3, usage)
    present = _choice(state, {"present": True, "absent": False}, usage)
    sims.set_item(_int(board, "board"), _int(lock, "lock"), present)


def _paper(sims: World, words: list[str]) -> None:
    usage = "paper ok|near-end|out"
    (level,) = _args(words, 1, usage)
    sims.set_paper(_choice(level, {"ok": "ok", "near-end": "near-end", "out": "out"}, usage))


def _cover(sims: World, words: list[str]) -> None:
    usage = "cover open|closed"
    (state,) = _args(words, 1, usage)
    sims.set_cover(_choice(state, {"open": True, "closed": False, "close": False}, usage))


def _plug(plugged: bool) -> Callable[[World, list[str]], None]:
    def run(sims: World, words: list[str]) -> None:
        (device,) = _args(words, 1, f"{'replug' if plugged else 'unplug'} <device>")
        (sims.replug if plugged else sims.unplug)(device)
    return run


COMMANDS: dict[str, Callable[[World, list[str]], None]] = {
    "card": _card, "tap": _tap, "door": _door, "item": _item, "paper": _paper,
    "cover": _cover, "unplug": _plug(False), "replug": _plug(True),
}


def execute(sims: World, line: str) -> dict[str, Any]:
    """Run one command line against a SimulatorSet; the world's state comes back.

    Raises CommandError for a malformed line; a valid line that names something the
    simulators do not have (board 9, no printer) raises ValueError from the simulator.
    """
    name, _, rest = line.strip().partition(" ")
    if name == "scan":
        if not rest.strip():
            raise CommandError("usage: scan <text>")
        sims.scan(rest.strip().replace("<GS>", GS).replace("\\x1d", GS))
    elif name != "state":
        if name not in COMMANDS:
            raise CommandError(f"unknown command {name!r}; try: {', '.join(['scan', 'state', *COMMANDS])}")
        COMMANDS[name](sims, rest.split())
    return sims.state()
