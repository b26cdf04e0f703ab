"""Each person's calendar and working days, turned into minutes of one search (see `Frame`)."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import lru_cache

from booking.engine.masks import disjoint_runs_mask
from booking.engine.types import ALWAYS_BLOCKING, MINUTE, Person, WorkingHours

LUNCH_START, LUNCH_END = 12 * 60, 13 * 60  # local minutes of the day
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Frame:
    """Minute 0 is `origin` (the window's start less the buffer before); `size` minutes reach past the window's
    end by the buffer after, so that meetings just outside the window still push slots away."""

    origin: datetime
    size: int

    def floor(self, instant: datetime) -> int:
        return (instant - self.origin) // MINUTE

    def ceil(self, instant: datetime) -> int:
        return -((self.origin - instant) // MINUTE)

    def instant(self, minute: int) -> datetime:
        return self.origin + minute * MINUTE


@dataclass(frozen=True, slots=True)
class Day:
    """One working day in search minutes: [start, end), and its lunch hour [lunch_start, lunch_end)."""

    start: int
    end: int
    lunch_start: int
    lunch_end: int


@dataclass(frozen=True)
class Prepared:
    """A readable person, ready for the search: sorted, merged blocking runs and working days in minutes."""

    person: Person
    busy_starts: list[int]
    busy_ends: list[int]
    days: Sequence[Day]
    day_starts: Sequence[int]
    blocked: int  # mask of minutes with a blocking status
    working: int  # mask of minutes inside working hours

    def day_at(self, minute: int) -> Day | None:
        """The working day that started last at or before `minute`."""
        index = bisect_right(self.day_starts, minute) - 1
        return self.days[index] if index >= 0 else None

    def next_day_start(self, minute: int) -> int | None:
        index = bisect_right(self.day_starts, minute)
        return self.day_starts[index] if index < len(self.day_starts) else None


def prepare(person: Person, frame: Frame, blocking: frozenset[str]) -> Prepared:
    """Merge the person's blocking time and lay their working days over the frame."""
    if person.hours is None:
        raise ValueError(f"{person.name} is readable but has no working hours.")
    origin = frame.origin
    blocks = blocking | ALWAYS_BLOCKING
    runs = _merged(
        [
            ((item.start - origin) // MINUTE, -((origin - item.end) // MINUTE))
            for item in person.busy
            if item.status in blocks and item.end > item.start
        ]
    )
    days, day_starts, working = working_time(person.hours, frame)
    return Prepared(
        person=person,
        busy_starts=[start for start, _ in runs],
        busy_ends=[end for _, end in runs],
        days=days,
        day_starts=day_starts,
        blocked=disjoint_runs_mask(runs, frame.size),
        working=working,
    )


def _merged(runs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    runs.sort()
    merged: list[tuple[int, int]] = []
    last_end = None
    for start, end in runs:
        if last_end is not None and start <= last_end:
            if end > last_end:
                merged[-1] = (merged[-1][0], end)
                last_end = end
        else:
            merged.append((start, end))
            last_end = end
    return merged


@lru_cache(maxsize=256)
def working_time(hours: WorkingHours, frame: Frame) -> tuple[tuple[Day, ...], tuple[int, ...], int]:
    """Working days over the frame, their starts, and the mask of their minutes. Kept for the process (a mask of 60
    days is 11 kB): every search of the same range by people with the same hours lays out the same days."""
    days = tuple(_working_days(hours, frame))
    return days, tuple(day.start for day in days), disjoint_runs_mask(((d.start, d.end) for d in days), frame.size)


def _working_days(hours: WorkingHours, frame: Frame) -> list[Day]:
    """The person's working days that touch the frame, each converted from local wall time on its own date,
    so that 09:00 stays 09:00 across a daylight-saving change. Days that abut (all-day hours) are joined."""
    first = frame.origin.astimezone(hours.tz).date() - timedelta(days=1)
    last = frame.instant(frame.size).astimezone(hours.tz).date() + timedelta(days=1)
    days: list[Day] = []
    bounds = _bounds(hours)
    for offset in range((last - first).days + 1):
        local_date = first + timedelta(days=offset)
        if local_date.weekday() not in hours.days:
            continue
        day = _day(hours.tz, local_date, frame, bounds)
        if days and day.start <= days[-1].end:
            days[-1] = Day(days[-1].start, max(day.end, days[-1].end), days[-1].lunch_start, days[-1].lunch_end)
        else:
            days.append(day)
    return days


def _bounds(hours: WorkingHours) -> tuple[int, int]:
    """The working day's start and end in local minutes after midnight (an end past midnight runs into the next
    day)."""
    start = hours.start.hour * 60 + hours.start.minute
    end = hours.end.hour * 60 + hours.end.minute + (1 if hours.end.second or hours.end.microsecond else 0)
    return start, end + 24 * 60 if end <= start else end


def _day(tz: tzinfo, local_date: date, frame: Frame, bounds: tuple[int, int]) -> Day:
    base = (frame.origin - EPOCH) // MINUTE  # the origin is on a whole minute (`search.frame_of`)
    start, end, lunch_start, lunch_end = day_minutes(tz, local_date, bounds)
    return Day(start - base, end - base, lunch_start - base, lunch_end - base)


@lru_cache(maxsize=16384)
def day_minutes(tz: tzinfo, local_date: date, bounds: tuple[int, int]) -> tuple[int, int, int, int]:
    """A working day's start, end, lunch start and lunch end in UTC minutes since 1970: wall-clock arithmetic from
    the date's midnight, then the zone's offset for that wall time. Kept for the process: every search of the same
    people over the same weeks lays out the same days."""
    start, end = bounds
    midnight = datetime.combine(local_date, datetime.min.time(), tzinfo=tz)
    first = ((midnight + start * MINUTE).astimezone(UTC) - EPOCH) // MINUTE
    last = ((midnight + end * MINUTE).astimezone(UTC) - EPOCH) // MINUTE
    if last - first == end - start:  # no clock change during the day: local minutes are elapsed minutes
        return first, last, first + LUNCH_START - start, first + LUNCH_END - start
    lunch_start = ((midnight + LUNCH_START * MINUTE).astimezone(UTC) - EPOCH) // MINUTE
    lunch_end = ((midnight + LUNCH_END * MINUTE).astimezone(UTC) - EPOCH) // MINUTE
    return first, last, lunch_start, lunch_end
