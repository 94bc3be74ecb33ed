"""Alertmanager's ``time_intervals`` grammar as a pydantic model, so a bad window fails here.

Alertmanager (``timeinterval/timeinterval.go``) accepts, per interval:

- ``times``: ``{start_time, end_time}`` as ``HH:MM`` from ``00:00`` to ``24:00``, start
  before end;
- ``weekdays``: day names (``sunday`` … ``saturday``, any case) or inclusive ranges
  ``monday:friday`` whose start is not after their end;
- ``days_of_month``: 1–31 or −31…−1 (counted from the month's end), or a range ``1:5``,
  ``-3:-1``; 0 is not a day;
- ``months``: names (``january`` …) or numbers 1–12, or a range ``january:march``;
- ``years``: positive years or a range ``2025:2026``;
- ``location``: an IANA time zone such as ``Europe/Berlin`` (``UTC`` and ``Local`` too).

The model keeps the user's spelling and only checks it, so the generated
``alertmanager.yml`` holds exactly what the spec says.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Callable
from typing import Annotated

from pydantic import BeforeValidator, Field, ValidationInfo, field_validator, model_validator

from qobserve.slo.config import StrictModel

__all__ = ["TimeInterval", "TimeRange"]

_TIME = re.compile(r"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$")  # Alertmanager's own pattern
_WEEKDAYS = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
_MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)


def _minutes(value: str) -> int:
    hours, minutes = value.split(":")
    return int(hours) * 60 + int(minutes)


def _time(value: object) -> str:
    if not isinstance(value, str) or not _TIME.match(value):
        raise ValueError(f"expected a time HH:MM between 00:00 and 24:00 (quoted), got {value!r}")
    return value


class TimeRange(StrictModel):
    """A time of day range, ``start_time`` inclusive, ``end_time`` exclusive."""

    start_time: Annotated[str, BeforeValidator(_time)] = Field(
        description='"HH:MM" (quote it: YAML 1.1 reads 02:00 as a number), 00:00–23:59'
    )
    end_time: Annotated[str, BeforeValidator(_time)] = Field(
        description='"HH:MM" after start_time, up to 24:00'
    )

    @model_validator(mode="after")
    def _ordered(self) -> TimeRange:
        if _minutes(self.start_time) >= _minutes(self.end_time):
            raise ValueError(
                f"start_time {self.start_time} must be before end_time "
                f"{self.end_time}; split a window over midnight into two ranges"
            )
        return self


def _ranges(
    kind: str,
    member: Callable[[str], int],
    *,
    ordered: Callable[[int, int], bool] = lambda a, b: a <= b,
) -> Callable[[list], list]:
    """A validator for a list of members or ``start:end`` ranges, as Alertmanager parses them."""

    def check(values: list) -> list:
        for value in values:
            text = str(value).strip().lower()
            parts = text.split(":")
            if len(parts) > 2 or not all(parts):
                raise ValueError(f"{value!r} is not a {kind} or a range start:end")
            bounds = [member(p) for p in parts]
            if len(bounds) == 2 and not ordered(*bounds):
                raise ValueError(f"range {value!r} starts after it ends")
        return values

    return check


def _named(kind: str, names: tuple[str, ...], *, numbers: bool) -> Callable[[str], int]:
    def member(text: str) -> int:
        if text in names:
            return names.index(text) + 1
        if numbers and re.fullmatch(r"\d+", text) and 1 <= int(text) <= len(names):
            return int(text)
        allowed = f"{names[0]} … {names[-1]}" + (f" or 1–{len(names)}" if numbers else "")
        raise ValueError(f"{text!r} is not a {kind}: use {allowed}")

    return member


def _day_of_month(text: str) -> int:
    if not re.fullmatch(r"-?\d+", text) or int(text) == 0 or not -31 <= int(text) <= 31:
        raise ValueError(f"{text!r} is not a day of the month: use 1–31, or -31…-1 from the end")
    return int(text)


def _month_day_order(a: int, b: int) -> bool:
    # Negative days count from the month's end; Alertmanager compares them as 32 + day
    # and refuses a negative start with a positive end ("-10:25").
    if a < 0 < b:
        return False
    return (a if a > 0 else 32 + a) <= (b if b > 0 else 32 + b)


def _year(text: str) -> int:
    if not re.fullmatch(r"\d{1,4}", text) or int(text) < 1:
        raise ValueError(f"{text!r} is not a year such as 2026")
    return int(text)


_CHECKS = {
    "weekdays": _ranges("weekday", _named("weekday", _WEEKDAYS, numbers=False)),
    "days_of_month": _ranges("day of the month", _day_of_month, ordered=_month_day_order),
    "months": _ranges("month", _named("month", _MONTHS, numbers=True)),
    "years": _ranges("year", _year),
}


class TimeInterval(StrictModel):
    """One Alertmanager ``time_interval`` entry; every field it omits matches any value."""

    times: list[TimeRange] | None = None
    weekdays: list[str] | None = Field(
        None, description="sunday … saturday or a range monday:friday"
    )
    days_of_month: list[str | int] | None = Field(
        None, description="1–31, -31…-1 from the month's end, or a range 1:7"
    )
    months: list[str | int] | None = Field(None, description="january … december, 1–12, or a range")
    years: list[str | int] | None = Field(None, description="2026 or a range 2026:2027")
    location: str | None = Field(
        None, description="IANA time zone, e.g. Europe/Berlin; default UTC"
    )

    @field_validator(*_CHECKS)
    @classmethod
    def _members(cls, value: list | None, info: ValidationInfo) -> list | None:
        return value if value is None else _CHECKS[str(info.field_name)](value)

    @field_validator("location")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is None or value in ("UTC", "Local"):
            return value
        try:
            zoneinfo.ZoneInfo(value)
        except (ValueError, zoneinfo.ZoneInfoNotFoundError):
            raise ValueError(
                f"{value!r} is not an IANA time zone such as Europe/Berlin or UTC"
            ) from None
        return value

    def to_alertmanager(self) -> dict:
        """The entry as Alertmanager reads it (unset fields left out)."""
        return self.model_dump(exclude_none=True)
