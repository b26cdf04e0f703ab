"""Graph's time zones turned into real offsets: Windows IDs, IANA names and the customTimeZone object.

Graph accepts a Windows time zone ID or one of about 95 IANA names in a dateTimeTimeZone, and describes working
hours either by a Windows name or by a customTimeZone (a bias plus standard/daylight transition rules).
Windows IDs are mapped to IANA zones with CLDR's table (``tzlocal.windows_tz``).
"""

from __future__ import annotations

import calendar as _cal
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from tzlocal.windows_tz import win_tz

DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WINDOWS_BY_LOWER = {name.lower(): name for name in win_tz}


class UnknownTimeZone(ValueError):
    """A timeZone value that Graph would refuse."""


@lru_cache(maxsize=1)
def _iana_names() -> frozenset[str]:
    return frozenset(available_timezones())


@lru_cache(maxsize=1024)
def zone_for_name(name: str) -> tzinfo:
    """The zone for a Windows ID (case-insensitive) or an IANA name.

    Graph lists about 95 IANA names it accepts; the emulator accepts every IANA name the system knows, a superset
    (UNCONFIRMED whether Graph refuses the others). The legacy custom marker cannot be sent in a request.
    """
    cleaned = name.strip()
    if cleaned.upper() in ("UTC", "ETC/UTC", "ETC/GMT", "GMT"):
        return UTC
    windows = _WINDOWS_BY_LOWER.get(cleaned.lower())
    if windows is not None:
        return ZoneInfo(win_tz[windows])
    if cleaned in _iana_names():
        return ZoneInfo(cleaned)
    raise UnknownTimeZone(name)


def windows_name_for(name: str) -> str | None:
    """The canonical spelling of a Windows ID, or None when `name` is not one."""
    return _WINDOWS_BY_LOWER.get(name.strip().lower())


@dataclass(frozen=True)
class Transition:
    """When standard or daylight time begins: the n-th weekday of a month (5 = the last), at a local time."""

    month: int
    occurrence: int
    weekday: int  # 0 = Monday
    at: time

    def on(self, year: int) -> datetime:
        if self.occurrence >= 5:
            last = _cal.monthrange(year, self.month)[1]
            day = date(year, self.month, last)
            day -= timedelta(days=(day.weekday() - self.weekday) % 7)
        else:
            first = date(year, self.month, 1)
            day = first + timedelta(days=(self.weekday - first.weekday()) % 7 + 7 * (self.occurrence - 1))
        return datetime.combine(day, self.at)


class CustomZone(tzinfo):
    """Graph's customTimeZone: `bias` minutes west of UTC, optionally a daylight period with its own bias."""

    def __init__(self, bias: int, standard: Transition | None, daylight: Transition | None, daylight_bias: int):
        self._std = timedelta(minutes=-bias)
        self._dst = timedelta(minutes=-(bias + daylight_bias))
        self._rules = (standard, daylight) if standard and daylight and daylight_bias else None

    def _in_daylight(self, local: datetime, fold: int = 0) -> bool:
        """Whether a wall-clock time is daylight time; `fold=1` picks standard time in the repeated hour."""
        if self._rules is None:
            return False
        standard, daylight = self._rules
        starts, ends = daylight.on(local.year), standard.on(local.year)
        if fold and ends - (self._dst - self._std) <= local < ends:
            return False
        if starts < ends:  # northern hemisphere: daylight inside the year
            return starts <= local < ends
        return not (ends <= local < starts)

    def _daylight_at(self, instant: datetime) -> bool:
        """Whether a naive UTC instant falls in daylight time (transitions are local wall-clock rules)."""
        if self._rules is None:
            return False
        standard, daylight = self._rules
        starts, ends = daylight.on(instant.year) - self._std, standard.on(instant.year) - self._dst
        if starts < ends:
            return starts <= instant < ends
        return not (ends <= instant < starts)

    def utcoffset(self, dt: datetime | None) -> timedelta:
        if dt is None:
            return self._std
        return self._dst if self._in_daylight(dt.replace(tzinfo=None), dt.fold) else self._std

    def dst(self, dt: datetime | None) -> timedelta:
        return self.utcoffset(dt) - self._std

    def tzname(self, dt: datetime | None) -> str:
        return "Customized Time Zone"

    def fromutc(self, dt: datetime) -> datetime:
        naive = dt.replace(tzinfo=None)
        if self._daylight_at(naive):
            return (naive + self._dst).replace(tzinfo=self)
        local = naive + self._std
        # In the hour repeated when daylight time ends, the second pass is standard time: fold=1 says so.
        return local.replace(tzinfo=self, fold=1 if self._in_daylight(local) else 0)


def _transition(raw: dict[str, Any] | None) -> Transition | None:
    if not raw or not int(raw.get("month") or 0):
        return None
    weekday = DAY_NAMES.index(str(raw.get("dayOfWeek", "sunday")).lower())
    at = time.fromisoformat(str(raw.get("time", "02:00:00"))[:8])
    return Transition(int(raw["month"]), int(raw.get("dayOccurrence") or 1), weekday, at)


def zone_from_graph(value: dict[str, Any]) -> tzinfo:
    """A workingHours.timeZone object: {"name": <Windows ID>} or a full customTimeZone."""
    if str(value.get("@odata.type", "")).lower().endswith("customtimezone") or "bias" in value:
        daylight = value.get("daylightOffset") or {}
        return CustomZone(
            int(value.get("bias") or 0),
            _transition(value.get("standardOffset")),
            _transition(daylight),
            int(daylight.get("daylightBias") or 0),
        )
    return zone_for_name(str(value.get("name", "")))


def parse_local(text: str) -> datetime:
    """A dateTime string as Graph sends it; 7-digit fractions are cut to what Python keeps."""
    cleaned = text.strip().replace("Z", "+00:00")
    head, dot, rest = cleaned.partition(".")
    if dot:
        digits = "".join(ch for ch in rest if ch.isdigit())
        cleaned = f"{head}.{digits[:6].ljust(6, '0')}{rest[len(digits) :]}"
    return datetime.fromisoformat(cleaned)


def to_utc(local: datetime, zone: tzinfo) -> datetime:
    """A wall-clock time in `zone` as an aware UTC instant; an explicit offset in the text wins."""
    if local.tzinfo is None:
        local = local.replace(tzinfo=zone)
    return local.astimezone(UTC)


def format_graph(instant: datetime, zone: tzinfo = UTC) -> str:
    """Graph's response form: local wall time, 7 fractional digits, no offset."""
    local = instant.astimezone(zone).replace(tzinfo=None)
    micro = local.microsecond
    return f"{local.replace(microsecond=0).isoformat()}.{micro:06d}0"
