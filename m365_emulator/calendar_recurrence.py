"""Recurring series as Exchange expands them: Graph's patternedRecurrence, dates first, then local times.

Sources: Graph v1.0 reference `resources/patternedrecurrence`, `resources/recurrencepattern`,
`resources/recurrencerange` and `resources/event` (microsoftgraph/microsoft-graph-docs-contrib, `api-reference/
v1.0/resources/*.md`); Exchange's own recurrence blob, [MS-OXOCAL] 2.2.1.44 (`AppointmentRecurrencePattern`),
for what Graph's pages leave implicit.

The rules followed, and where they differ from RFC 5545 (and from `dateutil.rrule`, which follows the RFC):
- A pattern is `daily`, `weekly`, `absoluteMonthly`, `relativeMonthly`, `absoluteYearly` or `relativeYearly`;
  `interval` counts days, weeks, months or years from the range's `startDate`.
- `weekly` needs `daysOfWeek`; `firstDayOfWeek` (default sunday) says where the weeks that `interval` skips
  begin, as RFC 5545's WKST does.
- `absoluteMonthly` / `absoluteYearly` need `dayOfMonth` (and `month` for yearly). A day past the month's end
  falls on its last day (Outlook: "the occurrence will fall on the last day of the month"; [MS-OXOCAL]); RFC 5545
  skips such months instead.
- `relativeMonthly` / `relativeYearly` need `daysOfWeek` and take `index` (first, second, third, fourth, last;
  default first): "on which instance of the allowed days specified in daysOfWeek the event occurs, counted from
  the first instance in the month". With several days the instances of all of them are counted together
  (`daysOfWeek` monday..friday, `index` second = the month's second weekday), which is RFC 5545's BYSETPOS.
- `startDate` and `endDate` are dates in `recurrenceTimeZone` (default: the start's zone). The first occurrence
  is the first date on or after `startDate` that fits the pattern; `startDate` itself counts only if it fits
  (RFC 5545 always counts DTSTART). `endDate` is inclusive; `numbered` counts occurrences that fit.
- Each occurrence starts at the series start's wall-clock time and ends at its end's wall-clock offset, both
  in `recurrenceTimeZone` ([MS-OXOCAL] StartTimeOffset / EndTimeOffset are minutes after local midnight), then
  converted: an all-day occurrence runs from local midnight to local midnight even on a 23- or 25-hour day.
  RFC 5545 gives every instance of a DTEND-defined event the same exact duration instead.
- A wall-clock time that does not exist on a day (the hour skipped in spring) or exists twice (autumn) is read
  as Python's `zoneinfo` reads it with fold=0 (UNCONFIRMED how Exchange places it).
"""

from __future__ import annotations

import calendar as _cal
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

PATTERNS = ("daily", "weekly", "absoluteMonthly", "relativeMonthly", "absoluteYearly", "relativeYearly")
INDEXES = ("first", "second", "third", "fourth", "last")
RANGES = ("endDate", "noEnd", "numbered")


@dataclass
class Recurrence:
    """A patternedRecurrence: the pattern, the range, and the zone its dates are in. Plain data (picklable)."""

    pattern: str  # one of PATTERNS
    interval: int
    days_of_week: tuple[int, ...]  # 0 = Monday; weekly, relativeMonthly, relativeYearly
    first_day_of_week: int
    range_type: str  # one of RANGES
    start_date: date
    end_date: date | None = None
    occurrences: int | None = None
    time_zone: str = "UTC"
    day_of_month: int = 0  # absoluteMonthly, absoluteYearly
    month: int = 0  # 1..12: absoluteYearly, relativeYearly
    index: str = "first"  # relativeMonthly, relativeYearly

    def dates(self, until: date) -> Iterator[date]:
        """Occurrence dates from the range start up to `until` (inclusive), honouring the range's end."""
        last = min(until, self.end_date) if self.range_type == "endDate" and self.end_date else until
        for produced, day in enumerate(self._pattern_dates(last)):
            if self.range_type == "numbered" and produced >= (self.occurrences or 0):
                return
            yield day

    def _pattern_dates(self, last: date) -> Iterator[date]:
        step = max(self.interval, 1)
        if self.pattern == "daily":
            day = self.start_date
            while day <= last:
                yield day
                day += timedelta(days=step)
        elif self.pattern == "weekly":
            yield from self._weekly(last, step)
        else:
            yield from self._monthly(last, step * 12 if self.pattern.endswith("Yearly") else step)

    def _weekly(self, last: date, step: int) -> Iterator[date]:
        week = self.start_date - timedelta(days=(self.start_date.weekday() - self.first_day_of_week) % 7)
        offsets = sorted({(d - self.first_day_of_week) % 7 for d in self.days_of_week})
        while week <= last:
            for offset in offsets:
                day = week + timedelta(days=offset)
                if self.start_date <= day <= last:
                    yield day
            week += timedelta(weeks=step)

    def _monthly(self, last: date, months: int) -> Iterator[date]:
        """Monthly and yearly patterns: one date in every `months`-th month from the start's month (or year)."""
        year, month = self.start_date.year, self.start_date.month
        if self.pattern.endswith("Yearly"):
            month = self.month or month
        while date(year, month, 1) <= last:
            day = self._day_in(year, month)
            if day is not None and self.start_date <= day <= last:
                yield day
            year, month = divmod(year * 12 + month - 1 + months, 12)
            month += 1

    def _day_in(self, year: int, month: int) -> date | None:
        length = _cal.monthrange(year, month)[1]
        if self.pattern.startswith("absolute"):
            return date(year, month, min(max(self.day_of_month, 1), length))
        wanted = set(self.days_of_week)
        matching = [date(year, month, d) for d in range(1, length + 1) if date(year, month, d).weekday() in wanted]
        if not matching:
            return None
        position = INDEXES.index(self.index) if self.index in INDEXES else 0
        return matching[-1] if self.index == "last" else matching[min(position, len(matching) - 1)]
