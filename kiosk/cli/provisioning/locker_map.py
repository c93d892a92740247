"""The locker map for `kiosk provision`: which door label is on which board and lock, and how big.

Either generated (boards x locks with a repeating size pattern, labels A1.. on board 0, B1.. on
board 1) or read from a TOML file a technician wrote for an unusual cabinet:

    [[compartments]]
    id = "A1"
    board = 0
    lock = 1
    size = "S"
"""
from __future__ import annotations

import string
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import cast

from pydantic import ValidationError

from kiosk.config import Compartment, SizeClass

DEFAULT_SIZES = "SSMMMLLL"


class LockerMapError(Exception):
    """The locker map cannot be used; the message names the entry and the problem."""


def generated(boards: tuple[int, ...], locks_per_board: int, sizes: str = DEFAULT_SIZES) -> list[Compartment]:
    sizes = sizes.upper()
    if not sizes or set(sizes) - set("SML"):
        raise LockerMapError(f"sizes {sizes!r}: use only the letters S, M and L, e.g. {DEFAULT_SIZES}")
    if len(boards) > len(string.ascii_uppercase):
        raise LockerMapError(f"{len(boards)} boards: at most 26 (labels A..Z)")
    return [Compartment(id=f"{string.ascii_uppercase[index]}{lock}", board=board, lock=lock,
                        size=cast(SizeClass, sizes[(lock - 1) % len(sizes)]))  # checked: S, M or L
            for index, board in enumerate(boards) for lock in range(1, locks_per_board + 1)]


def default_compartments(count: int) -> list[Compartment]:
    """A first locker map: one board, compartments A1.. on locks 1.., sizes small to large."""
    return generated((0,), count)


def read(path: Path) -> list[Compartment]:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise LockerMapError(f"{path}: cannot read: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise LockerMapError(f"{path}: not valid TOML: {error}") from None
    entries = raw.get("compartments")
    if not isinstance(entries, list) or not entries:
        raise LockerMapError(f"{path}: expected one or more [[compartments]] tables")
    compartments = []
    for number, entry in enumerate(entries, start=1):
        try:
            compartments.append(Compartment.model_validate(entry))
        except ValidationError as error:
            problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'entry'}: {e['msg']}" for e in error.errors())
            raise LockerMapError(f"{path}: compartment {number}: {problems}") from None
    return compartments


def check(compartments: list[Compartment], answered: tuple[int, ...]) -> None:
    """One label per door, one door per lock, and every board the map uses answered on the bus
    (when we know which did)."""
    labels: dict[str, Compartment] = {}
    locks: dict[tuple[int, int], str] = {}  # (board, lock) -> compartment id
    for compartment in compartments:
        if compartment.id in labels:
            raise LockerMapError(f"label {compartment.id} is used for two compartments")
        where = (compartment.board, compartment.lock)
        if where in locks:
            raise LockerMapError(f"{locks[where]} and {compartment.id} are both on board {where[0]} lock {where[1]}")
        labels[compartment.id], locks[where] = compartment, compartment.id
    missing = sorted({c.board for c in compartments} - set(answered))
    if answered and missing:
        raise LockerMapError(f"the locker map uses board(s) {', '.join(map(str, missing))}, but only board(s) "
                             f"{', '.join(map(str, answered))} answered: check the board address switches")


def describe(compartments: Sequence[Compartment]) -> str:
    boards = sorted({c.board for c in compartments})
    sizes = {size: sum(1 for c in compartments if c.size == size) for size in "SML"}
    size_text = ", ".join(f"{count} {size}" for size, count in sizes.items() if count)
    return f"{len(compartments)} compartments on board(s) {', '.join(map(str, boards))} ({size_text})"
