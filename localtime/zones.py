"""Zones by name: IANA names (legacy links included) and Windows names, in any case, from the shipped IANA data.

The host's zone files are never read: a host with old rules would otherwise move a meeting by an hour after a
country changes its clocks, and one without legacy links would refuse names Outlook still sends.
"""

from __future__ import annotations

import re
import zoneinfo
from datetime import UTC, datetime, timedelta, tzinfo
from functools import cache, lru_cache
from importlib import resources
from typing import Any

from tzlocal.windows_tz import tz_win, win_tz

from localtime.custom import CUSTOM_NAME, CustomTimeZone

_IANA_NAME = re.compile(r"[A-Za-z0-9_+-]+(/[A-Za-z0-9_+-]+)*")
# Names Outlook uses for UTC that are not in CLDR's table.
_UTC_NAMES = {"utc", "etc/utc", "gmt", "z", "tzone://microsoft/utc", "coordinated universal time"}
# Instants a custom zone's offsets are compared at to find the Windows zone Outlook would name.
_SAMPLES = tuple(datetime(2026, month, day, 12, tzinfo=UTC) for month in range(1, 13) for day in (1, 15))


class UnknownZone(LookupError):
    """A name that is neither an IANA zone of the shipped data nor a Windows zone CLDR maps."""


def use_shipped_zone_data() -> None:
    """Make every `zoneinfo.ZoneInfo` of this process read the shipped tzdata package, never the host's files."""
    zoneinfo.reset_tzpath(to=[])
    zoneinfo.ZoneInfo.clear_cache()


def windows_to_iana(name: str) -> str | None:
    """CLDR's IANA zone for a Windows zone name (any case), or None."""
    cleaned = name.strip().lower()
    if cleaned in _UTC_NAMES:
        return "UTC"
    return _windows_by_lower().get(cleaned)


def windows_name(zone: tzinfo) -> str:
    """The Windows name Outlook gives this zone ("GMT Standard Time" for Europe/London): a series' recurrence zone.
    A zone without one (a custom zone, or UTC) by the Windows zone keeping its offsets all year, else "UTC"."""
    key = str(getattr(zone, "key", ""))
    if key and key in tz_win:  # CLDR's table, as tzlocal ships it, also maps "" (to a Mexican zone)
        return str(tz_win[key])
    match = _windows_match(_offsets(zone))
    return match if match != CUSTOM_NAME else "UTC"


def canonical_name(name: str) -> str:
    """The IANA name as the shipped data spells it, for an IANA or Windows name in any case; UnknownZone if none."""
    cleaned = name.strip()
    iana = windows_to_iana(cleaned) or _iana_by_lower().get(cleaned.lower())
    if iana is None:
        raise UnknownZone(name)
    return iana


def zone_named(name: str) -> tzinfo:
    """The zone of an IANA name (Asia/Calcutta, US/Pacific too) or a Windows name, in any case; UnknownZone if none."""
    return _zone(canonical_name(name))


def zone_or_none(name: str) -> tzinfo | None:
    """`zone_named`, or None for "" or a name that is no zone."""
    try:
        return zone_named(name) if name.strip() else None
    except UnknownZone:
        return None


def outlook_name(zone: tzinfo) -> str:
    """The zone's name as a person reads it: its IANA name (Europe/Paris), a custom zone's own name, or, for the
    "Customized Time Zone" Graph sends for India and others, the Windows zone whose clock it keeps
    ("India Standard Time")."""
    if isinstance(zone, CustomTimeZone):
        return _windows_match(_offsets(zone)) if zone.name == CUSTOM_NAME else zone.name
    return str(getattr(zone, "key", "") or zone.tzname(None) or zone)


def _offsets(zone: tzinfo) -> tuple[timedelta | None, ...]:
    return tuple(sample.astimezone(zone).utcoffset() for sample in _SAMPLES)


def _windows_match(offsets: tuple[timedelta | None, ...]) -> str:
    """The first Windows name (alphabetically) whose zone keeps these offsets all year, else Graph's own name."""
    return _windows_by_offsets().get(offsets, CUSTOM_NAME)


@cache
def _windows_by_offsets() -> dict[tuple[timedelta | None, ...], str]:
    found: dict[tuple[timedelta | None, ...], str] = {}
    for windows in sorted(win_tz, reverse=True):  # the alphabetically first name wins
        found[_offsets(_zone(win_tz[windows]))] = windows
    return found


@cache
def _windows_by_lower() -> dict[str, str]:
    return {windows.lower(): iana for windows, iana in win_tz.items()}


@cache
def _iana_by_lower() -> dict[str, str]:
    return {name.lower(): name for name in _shipped_names()}


def _shipped_names() -> list[str]:
    """Every zone name of the shipped tzdata package (its own list, legacy links included)."""
    listing = resources.files("tzdata").joinpath("zones").read_text()
    return [line.strip() for line in listing.splitlines() if line.strip()]


@lru_cache(maxsize=1024)
def _zone(name: str) -> tzinfo:
    """The zone from the IANA data Overlap ships (the tzdata package)."""
    if not _IANA_NAME.fullmatch(name):
        raise UnknownZone(name)
    try:
        with resources.files("tzdata.zoneinfo").joinpath(*name.split("/")).open("rb") as data:
            return ShippedZone.from_file(data, key=name)
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError, ValueError):
        raise UnknownZone(name) from None


class ShippedZone(zoneinfo.ZoneInfo):
    """A zone read from the shipped IANA data. It pickles as its name (a plain ZoneInfo read from a file would
    refuse), so that free/busy holding it can go through a cache."""

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return (zone_named, (str(self.key),))
