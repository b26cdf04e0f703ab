"""Graph's customTimeZone: a bias in minutes west of UTC and optional daylight rules, as a tzinfo."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from typing import Any

_FRACTION = re.compile(r"(\.\d{1,6})\d*")
_DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
CUSTOM_NAME = "Customized Time Zone"


def parse_time_of_day(text: str) -> time:
    """`08:00:00.0000000` as a time."""
    return time.fromisoformat(_FRACTION.sub(r"\1", text.strip()))


@dataclass(frozen=True)
class TransitionRule:
    """'The nth weekday of a month at a local time', n = 5 meaning the last."""

    month: int
    day_of_week: int  # Monday = 0
    occurrence: int
    at: time

    @classmethod
    def from_graph(cls, value: dict[str, Any] | None) -> TransitionRule | None:
        if not value or not int(value.get("month") or 0):
            return None
        return cls(
            month=int(value["month"]),
            day_of_week=_DAYS.index(str(value.get("dayOfWeek", "sunday")).lower()),
            occurrence=min(max(int(value.get("dayOccurrence") or 1), 1), 5),
            at=parse_time_of_day(str(value.get("time") or "00:00:00")),
        )

    @lru_cache(maxsize=256)  # noqa: B019 - a handful of frozen rules, asked about the same few years
    def in_year(self, year: int) -> datetime:
        """The local wall time of this transition in `year` (naive)."""
        first = date(year, self.month, 1)
        day = first + timedelta(days=(self.day_of_week - first.weekday()) % 7 + 7 * (self.occurrence - 1))
        while day.month != self.month:  # a 5th occurrence that does not exist is the last one
            day -= timedelta(days=7)
        return datetime.combine(day, self.at)


class CustomTimeZone(tzinfo):
    """Graph's customTimeZone: `bias` minutes west of UTC, plus optional daylight rules.

    As in Windows' TIME_ZONE_INFORMATION, daylight time starts at the daylight rule's local
    standard time and ends at the standard rule's local daylight time.
    """

    def __init__(
        self,
        *,
        bias: int,
        standard_bias: int = 0,
        daylight_bias: int = 0,
        to_daylight: TransitionRule | None = None,
        to_standard: TransitionRule | None = None,
        name: str = CUSTOM_NAME,
    ) -> None:
        self.standard = timedelta(minutes=-(bias + standard_bias))
        self.daylight = timedelta(minutes=-(bias + daylight_bias))
        has_rules = to_daylight is not None and to_standard is not None and self.daylight != self.standard
        self.rules = (to_daylight, to_standard) if has_rules else None
        self.name = name
        self._arguments = (bias, standard_bias, daylight_bias, to_daylight, to_standard, name)

    @classmethod
    def from_graph(cls, value: dict[str, Any]) -> CustomTimeZone:
        standard = value.get("standardOffset") or {}
        daylight = value.get("daylightOffset") or {}
        return cls(
            bias=int(value.get("bias") or 0),
            standard_bias=int(standard.get("standardBias") or 0),
            daylight_bias=int(daylight.get("daylightBias") or 0),
            to_daylight=TransitionRule.from_graph(daylight),
            to_standard=TransitionRule.from_graph(standard),
            name=str(value.get("name") or CUSTOM_NAME),
        )

    def _in_daylight(self, local: datetime) -> bool:
        if self.rules is None:
            return False
        to_daylight, to_standard = self.rules
        assert to_daylight is not None and to_standard is not None
        start, end = to_daylight.in_year(local.year), to_standard.in_year(local.year)
        naive = local.replace(tzinfo=None, fold=0)
        if local.fold and end - (self.daylight - self.standard) <= naive < end:
            return False  # the repeated hour after clocks go back, second time round
        return start <= naive < end if start < end else naive >= start or naive < end

    def utcoffset(self, dt: datetime | None) -> timedelta:
        return self.daylight if dt is not None and self._in_daylight(dt) else self.standard

    def dst(self, dt: datetime | None) -> timedelta:
        return self.utcoffset(dt) - self.standard

    def tzname(self, dt: datetime | None) -> str:
        return self.name

    def fromutc(self, dt: datetime) -> datetime:
        # Decide on the UTC instant itself, so that the hour around each change is never ambiguous.
        naive = dt.replace(tzinfo=None)
        if self.rules is None:
            return (naive + self.standard).replace(tzinfo=self)
        to_daylight, to_standard = self.rules
        assert to_daylight is not None and to_standard is not None
        start = to_daylight.in_year(naive.year) - self.standard
        end = to_standard.in_year(naive.year) - self.daylight
        inside = start <= naive < end if start < end else naive >= start or naive < end
        local = naive + (self.daylight if inside else self.standard)
        # The first hour after clocks go back repeats a wall time: mark it as the second one (fold=1).
        repeated = not inside and end <= naive < end + (self.daylight - self.standard)
        return local.replace(tzinfo=self, fold=int(repeated))

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # tzinfo's default pickling calls the class without arguments, which this one cannot take.
        return (_custom_zone, self._arguments)

    def __repr__(self) -> str:
        return f"CustomTimeZone(standard={self.standard}, daylight={self.daylight}, rules={self.rules})"


def _custom_zone(
    bias: int,
    standard_bias: int,
    daylight_bias: int,
    to_daylight: TransitionRule | None,
    to_standard: TransitionRule | None,
    name: str,
) -> CustomTimeZone:
    return CustomTimeZone(
        bias=bias,
        standard_bias=standard_bias,
        daylight_bias=daylight_bias,
        to_daylight=to_daylight,
        to_standard=to_standard,
        name=name,
    )
