"""Graph's time: 7-digit timestamps without offsets, Windows zone names and custom zones with bias rules."""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo
from typing import Any

from integrations.microsoft.errors import BadRequest
from localtime import CustomTimeZone, UnknownZone, windows_to_iana, zone_named
from localtime.custom import parse_time_of_day

__all__ = [
    "CustomTimeZone",
    "UnknownTimeZone",
    "date_time_zone",
    "format_datetime",
    "get_zone",
    "parse_date_time_zone",
    "parse_datetime",
    "parse_time_of_day",
    "windows_to_iana",
    "zone_from_graph",
]

_FRACTION = re.compile(r"(\.\d{1,6})\d*")


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


def get_zone(name: str) -> tzinfo:
    """A tzinfo for a Windows or IANA zone name in any case, legacy IANA names (Asia/Calcutta, US/Pacific)
    included, from the shipped zone data (`localtime`)."""
    try:
        return zone_named(name)
    except UnknownZone:
        raise UnknownTimeZone(f"Unknown time zone {name!r}.", code="UnknownTimeZone") from None


def zone_from_graph(value: dict[str, Any]) -> tzinfo:
    """A tzinfo for Graph's timeZone object: `{"name": ...}` or a customTimeZone with bias rules."""
    if "bias" in value or "customTimeZone" in str(value.get("@odata.type", "")):
        return CustomTimeZone.from_graph(value)
    return get_zone(str(value.get("name") or "UTC"))
