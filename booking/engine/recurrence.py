"""A meeting series' dates and times, as Outlook and Graph expand them (pure).

The rules are Graph's `recurrencePattern` / `recurrenceRange` (`../shared/M365-FACTS.md`, "Recurring meetings"):
the first occurrence is the first fitting date on or after the range's start; weekly intervals count weeks that
begin on Sunday (Graph's default `firstDayOfWeek`); a monthly date past the month's end falls on its last day;
"every weekday" is Outlook's weekly pattern of Monday to Friday. Each occurrence keeps the series' wall-clock
time in the organizer's zone, so its UTC instant moves across clock changes.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

KINDS = ("weekly", "weekdays", "monthly_date", "monthly_weekday")
WEEKDAYS = frozenset(range(5))
# The longest series Overlap searches, counted from the first occurrence's date: six months. Outlook allows
# series without end, but every getSchedule window is under 62 days and each one is a Graph request per 20
# people; 26 weeks is three windows, read together in one $batch.
HORIZON = timedelta(weeks=26)
_SUNDAY = 6
_ORDINALS = ("first", "second", "third", "fourth", "last")
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class Recurrence:
    """A series: its pattern (`kind`, `interval`, `days` Monday = 0, `day_of_month`, `index` 1-4 or -1 for the
    last) from the range's `start` date, ending after `count` occurrences or on `until` (inclusive)."""

    kind: str
    start: date
    interval: int = 1
    days: frozenset[int] = frozenset()
    day_of_month: int = 0
    index: int = 1
    count: int | None = None
    until: date | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS or self.interval < 1 or (self.count is None) == (self.until is None):
            raise ValueError("A series needs a known pattern, an interval of 1 or more and exactly one end.")
        if self.kind in ("weekly", "monthly_weekday") and not self.days:
            raise ValueError("A weekly or monthly-on-a-weekday series needs its days.")


def occurrence_dates(recurrence: Recurrence) -> tuple[date, ...]:
    """Every occurrence's date, first to last (at most a horizon's worth beyond the start, whatever the end)."""
    last = last_day(recurrence.start)
    if recurrence.until is not None:
        last = min(last, recurrence.until)
    found: list[date] = []
    for day in _pattern(recurrence, last):
        if recurrence.count is not None and len(found) == recurrence.count:
            break
        found.append(day)
    return tuple(found)


def within_horizon(recurrence: Recurrence) -> bool:
    """Whether the whole series lies inside the horizon Overlap searches."""
    if recurrence.until is not None:
        return recurrence.until <= last_day(recurrence.start)
    return len(occurrence_dates(recurrence)) == recurrence.count


def last_day(start: date) -> date:
    """The last date a series starting on `start` may reach (the horizon is 26 whole weeks)."""
    return start + HORIZON - timedelta(days=1)


def occurrence_starts(dates: tuple[date, ...], at: time, zone: tzinfo) -> tuple[datetime, ...]:
    """Each date at the wall-clock time `at` in `zone`, in UTC: the time of day stays, the instant moves when
    the clocks change (a time the spring change skips is read with fold 0, as `zoneinfo` reads it)."""
    return tuple(datetime.combine(day, at, tzinfo=zone).astimezone(UTC) for day in dates)


def _pattern(recurrence: Recurrence, last: date) -> Iterator[date]:
    if recurrence.kind in ("weekly", "weekdays"):
        days = recurrence.days if recurrence.kind == "weekly" else WEEKDAYS
        interval = recurrence.interval if recurrence.kind == "weekly" else 1
        yield from _weekly(recurrence.start, last, days, interval)
    else:
        yield from _monthly(recurrence, last)


def _weekly(start: date, last: date, days: frozenset[int], interval: int) -> Iterator[date]:
    week = start - timedelta(days=(start.weekday() - _SUNDAY) % 7)
    offsets = sorted((day - _SUNDAY) % 7 for day in days)
    while week <= last:
        for offset in offsets:
            day = week + timedelta(days=offset)
            if start <= day <= last:
                yield day
        week += timedelta(weeks=interval)


def _monthly(recurrence: Recurrence, last: date) -> Iterator[date]:
    year, month = recurrence.start.year, recurrence.start.month
    while date(year, month, 1) <= last:
        day = _day_in(recurrence, year, month)
        if recurrence.start <= day <= last:
            yield day
        year, month = divmod(year * 12 + month - 1 + recurrence.interval, 12)
        month += 1


def _day_in(recurrence: Recurrence, year: int, month: int) -> date:
    length = calendar.monthrange(year, month)[1]
    if recurrence.kind == "monthly_date":
        return date(year, month, min(recurrence.day_of_month, length))
    matching = [date(year, month, d) for d in range(1, length + 1) if date(year, month, d).weekday() in recurrence.days]
    return matching[-1] if recurrence.index == -1 else matching[recurrence.index - 1]


def series_words(recurrence: Recurrence, dates: tuple[date, ...]) -> str:
    """The series as the pages say it: "Weekly on Tuesday, 26 times, until 24 Aug 2027"."""
    day = _DAYS[min(recurrence.days)] if recurrence.days else ""
    pattern = {
        "weekly": f"Weekly on {day}" if recurrence.interval == 1 else f"Every {recurrence.interval} weeks on {day}",
        "weekdays": "Every weekday",
        "monthly_date": f"Monthly on day {recurrence.day_of_month}",
        "monthly_weekday": f"Monthly on the {_ORDINALS[recurrence.index - 1 if recurrence.index > 0 else 4]} {day}",
    }[recurrence.kind]
    if not dates:
        return pattern
    return f"{pattern}, {len(dates)} time{'s' if len(dates) != 1 else ''}, until {dates[-1]:%-d %b %Y}"
