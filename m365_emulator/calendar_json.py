"""Reading request bodies the way Graph's calendar endpoints do, leniently, and writing its dateTimeTimeZone.

Microsoft's own examples send PascalCase property names and numbers or booleans as strings, and Graph takes
them; so bodies are read with lower-cased keys and scalar values are coerced.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from m365_emulator.calendar_tz import (
    UnknownTimeZone,
    format_graph,
    parse_local,
    to_utc,
    zone_for_name,
)
from m365_emulator.http import GraphCall, GraphError

_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$", re.IGNORECASE)
VALIDATION_FAILED = "At least one property failed validation."


def lower_keys(value: Any) -> Any:
    """The same JSON with every object key lower-cased (values untouched)."""
    if isinstance(value, dict):
        return {str(k).lower(): lower_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [lower_keys(v) for v in value]
    return value


def as_bool(value: Any, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


def as_number(value: Any, name: str, default: float) -> float:
    """A number, also when sent as a string ("15"); anything else is a 400."""
    if value is None or value == "":
        return default
    try:
        return float(value)
    except (TypeError, ValueError):
        raise GraphError(400, "BadRequest", f"Invalid value for property '{name}'.") from None


def bad_zone(name: str) -> GraphError:
    # Code and wording as commonly reported for Outlook endpoints; UNCONFIRMED in Microsoft's documentation.
    return GraphError(
        400,
        "TimeZoneNotSupportedException",
        f"A valid TimeZone value must be specified. The following TimeZone value is not supported: '{name}'.",
    )


def read_time(raw: Any, name: str) -> tuple[datetime, str]:
    """A dateTimeTimeZone (keys already lower-cased) as (UTC instant, zone name as sent)."""
    if not isinstance(raw, dict) or not raw.get("datetime"):
        raise GraphError(400, "ErrorPropertyValidationFailure", f"{VALIDATION_FAILED} Missing '{name}'.")
    zone_name = str(raw.get("timezone") or "").strip()
    try:
        zone = zone_for_name(zone_name)
        local = parse_local(str(raw["datetime"]))
    except UnknownTimeZone:
        raise bad_zone(zone_name) from None
    except ValueError:
        raise GraphError(400, "BadRequest", f"Cannot read '{raw['datetime']}' as a dateTime for '{name}'.") from None
    return to_utc(local, zone), zone_name


def read_duration(text: Any, default: timedelta) -> timedelta:
    """An ISO 8601 duration such as PT1H or PT2H30M."""
    if text in (None, ""):
        return default
    match = _DURATION.match(str(text).strip())
    if not match or not any(match.groups()):
        raise GraphError(400, "BadRequest", f"Invalid value '{text}' for property 'meetingDuration'.")
    days, hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def response_zone(call: GraphCall) -> tuple[str, tzinfo, dict[str, str]]:
    """The zone responses are written in, and the Preference-Applied header when the Prefer zone was honoured.

    An unknown zone in `Prefer` is ignored (answers stay in UTC, no Preference-Applied), as HTTP preferences
    may be; whether Graph instead refuses it is UNCONFIRMED.
    """
    wanted = call.prefer_time_zone
    if wanted:
        try:
            return wanted, zone_for_name(wanted), {"Preference-Applied": f'outlook.timezone="{wanted}"'}
        except UnknownTimeZone:
            pass
    return "UTC", UTC, {}


def write_time(instant: datetime, zone_name: str, zone: tzinfo) -> dict[str, str]:
    return {"dateTime": format_graph(instant, zone), "timeZone": zone_name}
