"""Graph's time: 7-digit timestamps without offsets, Windows zone names and custom zones with bias rules."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tzlocal.windows_tz import win_tz

from integrations.microsoft.errors import BadRequest

_IANA_NAME = re.compile(r"[A-Za-z0-9_+-]+(/[A-Za-z0-9_+-]+)*")
_FRACTION = re.compile(r"(\.\d{1,6})\d*")
_DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
# Names Outlook uses for UTC that are not in CLDR's table.
_UTC_NAMES = {"utc", "etc/utc", "gmt", "z", "tzone://microsoft/utc", "coordinated universal time"}


class UnknownTimeZone(BadRequest):
    """A zone name that is neither a Windows name CLDR maps nor an IANA name."""


def parse_datetime(text: str, zone: str | tzinfo | None = "UTC") -> datetime:
    """An aware UTC datetime from Graph's text; a text without offset is read in `zone`."""
    cleaned = _FRACTION.sub(r"\1", text.strip()).replace("Z", "+00:00")
    value = datetime.fromisoformat(cleaned)
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone if isinstance(zone, tzinfo) else get_zone(zone or "UTC"))
    return value.astimezone(UTC)


def parse_date_time_zone(value: dict[str, Any]) -> datetime:
    """An aware UTC datetime from a dateTimeTimeZone object."""
    return parse_datetime(str(value["dateTime"]), str(value.get("timeZone") or "UTC"))


def format_datetime(value: datetime) -> str:
    """Graph's form for a UTC instant (to be sent with timeZone "UTC")."""
    if value.tzinfo is None:
        raise ValueError("Graph times must be aware datetimes.")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "0"


def date_time_zone(value: datetime) -> dict[str, str]:
    """A dateTimeTimeZone object in UTC, the only zone Overlap ever sends."""
    return {"dateTime": format_datetime(value), "timeZone": "UTC"}


def windows_to_iana(name: str) -> str | None:
    """CLDR's IANA zone for a Windows zone name, or None."""
    if name.strip().lower() in _UTC_NAMES:
        return "UTC"
    return win_tz.get(name.strip())


def get_zone(name: str) -> tzinfo:
    """A tzinfo for a Windows or IANA zone name, legacy IANA names (Asia/Calcutta, US/Pacific) included."""
    iana = windows_to_iana(name) or name.strip()
    try:
        return _iana_zone(iana)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise UnknownTimeZone(f"Unknown time zone {name!r}.", code="UnknownTimeZone") from None


@lru_cache(maxsize=1024)
def _iana_zone(name: str) -> tzinfo:
    """The zone from the IANA data Overlap ships (the tzdata package), so that a host without legacy links or
    with stale rules reads zones as Microsoft does; the host's data only for a name the package lacks."""
    if not _IANA_NAME.fullmatch(name):
        raise ValueError(name)
    try:
        with resources.files("tzdata.zoneinfo").joinpath(*name.split("/")).open("rb") as data:
            return ShippedZone.from_file(data, key=name)
    except (ModuleNotFoundError, FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return ZoneInfo(name)


class ShippedZone(ZoneInfo):
    """A zone read from the shipped IANA data. It pickles as its name (a plain ZoneInfo read from a file would
    refuse), so that free/busy holding it can go through a cache."""

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return (get_zone, (str(self.key),))


def zone_from_graph(value: dict[str, Any]) -> tzinfo:
    """A tzinfo for Graph's timeZone object: `{"name": ...}` or a customTimeZone with bias rules."""
    if "bias" in value or "customTimeZone" in str(value.get("@odata.type", "")):
        return CustomTimeZone.from_graph(value)
    return get_zone(str(value.get("name") or "UTC"))


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
        name: str = "Customized Time Zone",
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
            name=str(value.get("name") or "Customized Time Zone"),
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
