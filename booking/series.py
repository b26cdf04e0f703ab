"""A booked series: its recurrence as the Booking row keeps it, and as Graph is asked to create it.

The row keeps Overlap's own `Recurrence` (plain JSON); Microsoft gets Graph's patternedRecurrence in the
organizer's Windows zone, so the series keeps their wall-clock time across clock changes."""

from __future__ import annotations

from datetime import date, tzinfo
from typing import Any

from booking.engine.recurrence import Recurrence, occurrence_dates
from booking.series_words import series_in_words
from integrations.calendars import SeriesRule
from localtime import windows_name

_GRAPH_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_GRAPH_INDEX = {1: "first", 2: "second", 3: "third", 4: "fourth", -1: "last"}


def recurrence_json(recurrence: Recurrence) -> dict[str, Any]:
    """The recurrence as the Booking row stores it."""
    return {
        "kind": recurrence.kind,
        "start": recurrence.start.isoformat(),
        "interval": recurrence.interval,
        "days": sorted(recurrence.days),
        "day_of_month": recurrence.day_of_month,
        "index": recurrence.index,
        "count": recurrence.count,
        "until": recurrence.until.isoformat() if recurrence.until else None,
    }


def recurrence_from_json(data: dict[str, Any]) -> Recurrence:
    return Recurrence(
        kind=str(data["kind"]),
        start=date.fromisoformat(data["start"]),
        interval=int(data["interval"]),
        days=frozenset(int(d) for d in data["days"]),
        day_of_month=int(data["day_of_month"]),
        index=int(data["index"]),
        count=data["count"],
        until=date.fromisoformat(data["until"]) if data["until"] else None,
    )


def series_rule(recurrence: Recurrence, zone: tzinfo) -> SeriesRule:
    """Graph's recurrence for this series, in the organizer's Windows zone; "every weekday" is Outlook's weekly
    pattern of Monday to Friday."""
    days = tuple(_GRAPH_DAYS[d] for d in sorted(recurrence.days or range(5)))
    common: dict[str, Any] = {
        "start_date": recurrence.start,
        "time_zone": windows_name(zone),
        "end_date": recurrence.until,
        "occurrences": recurrence.count,
        "interval": recurrence.interval,
    }
    if recurrence.kind in ("weekly", "weekdays"):
        return SeriesRule("weekly", days_of_week=days, **common)
    if recurrence.kind == "monthly_date":
        return SeriesRule("absoluteMonthly", day_of_month=recurrence.day_of_month, **common)
    return SeriesRule("relativeMonthly", days_of_week=days, index=_GRAPH_INDEX[recurrence.index], **common)


def series_words_of(data: dict[str, Any]) -> str:
    """The stored series in words (My meetings, the meeting page)."""
    recurrence = recurrence_from_json(data)
    return series_in_words(recurrence, occurrence_dates(recurrence))
