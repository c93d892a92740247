"""Presenters hold a screen's state and decisions; screens only bind and call.

They import nothing from Kivy, so their tests need no window. Slow work goes through an
injected `run(fn, on_done, on_error)`: the app passes the thread bridge, tests a synchronous one.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Protocol

from kiosk.services.errors import UserFacingError


class Runner(Protocol):
    def __call__(self, fn: Callable[[], Any], on_done: Callable[[Any], None],
                 on_error: Callable[[BaseException], None]) -> None: ...


def run_inline(fn, on_done, on_error) -> None:
    """A runner for tests and the CLI: does the work on the calling thread."""
    try:
        result = fn()
    except Exception as error:  # handed to the presenter like the threaded runner does
        on_error(error)
    else:
        on_done(result)


@dataclass(frozen=True)
class Message:
    """A translatable source string with its parameters; `kind` picks the colour."""

    text: str
    params: tuple[tuple[str, object], ...] = ()
    kind: str = "info"  # info | error | success

    @classmethod
    def of(cls, text: str, kind: str = "info", **params: object) -> "Message":
        return cls(text, tuple(params.items()), kind)

    @classmethod
    def from_error(cls, error: BaseException, fallback: str) -> "Message":
        if isinstance(error, UserFacingError):
            return cls.of(error.message, "error", **error.params)
        return cls.of(fallback, "error")


class Presenter:
    def __init__(self) -> None:
        self._listeners: list[Callable[[Any], None]] = []

    def subscribe(self, listener: Callable[[Any], None]) -> None:
        self._listeners.append(listener)
        listener(self)

    def changed(self) -> None:
        for listener in list(self._listeners):
            listener(self)
