"""Holidays and special hours of a video service, as the coordinator gives them.

Each exception is a run of local dates with other hours than the weekday's ([] = closed),
optionally only at some of the service's points (`service_points`, [] = wherever the service
is offered). Two exceptions of one service may not share a day at a point: which would hold
is unclear. A point's kiosks get the exceptions that apply there as the entity
"opening_exceptions" (see sync.protocol), never the point lists.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import Field, model_validator

from sync import protocol as p

DATES_EXAMPLE = "2026-12-24..2026-12-26"


class ExceptionIn(p.OpeningException):
    service_points: list[str] = Field(default_factory=list, description="[] = every point of the service")

    @model_validator(mode="before")
    @classmethod
    def _last_defaults_to_first(cls, value: Any) -> Any:
        if isinstance(value, dict) and "first" in value and "last" not in value:
            return {**value, "last": value["first"]}
        return value

    def applies_at(self, point_id: str) -> bool:
        return not self.service_points or point_id in self.service_points

    def wire(self) -> p.OpeningException:
        return p.OpeningException(first=self.first, last=self.last, hours=self.hours)


def check_exceptions(exceptions: list[ExceptionIn], service_points: list[str]) -> None:
    """Raise ValueError if an exception names a point the service is not at, or two share a
    day at some point."""
    for exception in exceptions:
        outside = sorted(set(exception.service_points) - set(service_points)) if service_points else []
        if outside:
            raise ValueError(f"{exception.first}..{exception.last}: the service is not offered at "
                             f"{', '.join(outside)}")
    for index, one in enumerate(exceptions):
        for other in exceptions[index + 1:]:
            shared = not one.service_points or not other.service_points or \
                set(one.service_points) & set(other.service_points)
            if shared and p.overlapping([one.wire(), other.wire()]):
                raise ValueError(f"exceptions {one.first}..{one.last} and {other.first}..{other.last} "
                                 "overlap; remove one first")


def for_point(exceptions: list[ExceptionIn], point_id: str) -> list[p.OpeningException]:
    return sorted((e.wire() for e in exceptions if e.applies_at(point_id)), key=lambda e: e.first)


def parse_dates(text: str) -> tuple[date, date]:
    """"2026-12-24" or "2026-12-24..2026-12-26" -> (first, last); ValueError says the form."""
    first, _, last = text.strip().partition("..")
    try:
        return date.fromisoformat(first), date.fromisoformat(last or first)
    except ValueError:
        raise ValueError(f"{text!r}: give a date or a range of dates, e.g. {DATES_EXAMPLE}") from None
