"""A series judged whole: each wall-clock time of the organizer's day, tried on every occurrence.

The same hard rules as a single search (`search.unavailable`: blocking statuses with the buffers, working hours
unless widened, the notice), read once over the whole horizon as bitmasks, then looked up per occurrence. A time
that fits every occurrence ranks first; any other says which occurrences clash, for whom and why.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from booking.engine.masks import bit_text, spread
from booking.engine.people import Frame, Prepared, prepare
from booking.engine.recurrence import Recurrence, occurrence_dates, occurrence_starts
from booking.engine.search import frame_of, unavailable
from booking.engine.types import ALWAYS_BLOCKING, MINUTE, Busy, Person, Request, Unreadable

# Strongest first: the word a clash gives when several statuses meet one occurrence.
_WORDS = (("oof", "out of office"), ("busy", "busy"), ("unknown", "calendar unknown"), ("tentative", "tentative"))
OUTSIDE = "outside working hours"
TOO_SOON = "too soon (before the minimum notice)"


@dataclass(frozen=True)
class Problem:
    """Why one person cannot make one occurrence ("" as `name` when it is nobody's: too soon)."""

    name: str
    why: str


@dataclass(frozen=True)
class Clash:
    """An occurrence that does not work: its date (in the organizer's zone), its start, and who cannot."""

    day: date
    start: datetime
    problems: tuple[Problem, ...]


@dataclass(frozen=True)
class Shift:
    """From `day` on, the series' time is `now` for `name` (in their own zone), no longer `before`."""

    name: str
    day: date
    before: time
    now: time


@dataclass(frozen=True)
class SeriesTime:
    """One wall-clock time of the series in the organizer's zone, judged on every occurrence (starts in UTC)."""

    at: time
    starts: tuple[datetime, ...]
    clashes: tuple[Clash, ...]
    shifts: tuple[Shift, ...]

    @property
    def fits(self) -> bool:
        return not self.clashes


@dataclass(frozen=True)
class SeriesResult:
    """Every time that works for at least one occurrence, those that work for all first; `failed` when someone
    required could not be read (then no time is given)."""

    dates: tuple[date, ...]
    times: tuple[SeriesTime, ...] = ()
    unreadable: tuple[Unreadable, ...] = ()
    failed: str = ""


@dataclass(frozen=True)
class _Reader:
    """A required person's starts, as "0"/"1" text over the frame: blocked by their calendar, outside hours."""

    person: Person
    blocked: str
    outside: str


def search_series(people: Sequence[Person], request: Request, recurrence: Recurrence, zone: tzinfo) -> SeriesResult:
    """Judge each time of day on the organizer's grid (in `zone`) on every occurrence of `recurrence`.

    `request` gives the rules (duration, granularity, notice, buffers, blocking statuses, widened people); its
    window is replaced by the series' days. Fails closed like `search`: an unreadable required person gives no
    time. Times are ordered by how many occurrences clash, then by time of day; a time every occurrence clashes
    on is left out.
    """
    dates = occurrence_dates(recurrence)
    unreadable = tuple(Unreadable(p.id, p.name, p.unreadable, p.required) for p in people if p.unreadable is not None)
    if any(u.required for u in unreadable):
        names = ", ".join(u.name for u in unreadable if u.required)
        return SeriesResult(dates, unreadable=unreadable, failed=f"No series time until {names} can be read.")
    if not dates:
        return SeriesResult(dates)
    request = _over(request, dates, zone)
    frame, duration = frame_of(request), request.duration // MINUTE
    readers = [_reader(prepare(p, frame, request.blocking), frame, request, duration) for p in people if p.required]
    others = [p for p in people if p.id != request.you and p.hours is not None]
    judged = (_judge(at, dates, zone, frame, request, readers, others) for at in _times(request))
    times = sorted((t for t in judged if len(t.clashes) < len(dates)), key=lambda t: (len(t.clashes), t.at))
    return SeriesResult(dates, tuple(times), unreadable)


def _over(request: Request, dates: tuple[date, ...], zone: tzinfo) -> Request:
    """The request's rules over the series' local days, first to last."""
    start = datetime.combine(dates[0], time(0), tzinfo=zone)
    end = datetime.combine(dates[-1] + timedelta(days=1), time(0), tzinfo=zone)
    return dataclasses.replace(request, start=start, end=end)


def _times(request: Request) -> list[time]:
    """The organizer's times of day on the granularity grid whose meeting ends by midnight."""
    step, length = request.granularity // MINUTE, request.duration // MINUTE
    return [time(m // 60, m % 60) for m in range(0, 24 * 60 - length + 1, step)]


def _reader(person: Prepared, frame: Frame, request: Request, duration: int) -> _Reader:
    blocked = unavailable(person, frame, request, duration, keep_hours=False)
    outside = 0
    if person.person.id not in request.widened:
        outside = spread(((1 << frame.size) - 1) & ~person.working, duration)
    return _Reader(person.person, bit_text(blocked, frame.size), bit_text(outside, frame.size))


def _judge(
    at: time,
    dates: tuple[date, ...],
    zone: tzinfo,
    frame: Frame,
    request: Request,
    readers: list[_Reader],
    others: list[Person],
) -> SeriesTime:
    starts = occurrence_starts(dates, at, zone)
    clashes = []
    for day, start in zip(dates, starts, strict=True):
        problems = _problems(start, frame, request, readers)
        if problems:
            clashes.append(Clash(day, start, problems))
    return SeriesTime(at, starts, tuple(clashes), _shifts(dates, starts, others))


def _problems(start: datetime, frame: Frame, request: Request, readers: list[_Reader]) -> tuple[Problem, ...]:
    if start < request.now + request.minimum_notice:
        return (Problem("", TOO_SOON),)
    minute = frame.floor(start)
    found = []
    for reader in readers:
        if reader.blocked[minute] == "1":
            found.append(Problem(reader.person.name, _status_word(reader.person.busy, start, request)))
        elif reader.outside[minute] == "1":
            found.append(Problem(reader.person.name, OUTSIDE))
    return tuple(found)


def _status_word(busy: tuple[Busy, ...], start: datetime, request: Request) -> str:
    """The strongest blocking status meeting the occurrence or its buffers."""
    low, high = start - request.buffer_before, start + request.duration + request.buffer_after
    blocking = request.blocking | ALWAYS_BLOCKING
    statuses = {b.status for b in busy if b.status in blocking and b.start < high and low < b.end}
    return next((word for status, word in _WORDS if status in statuses), "busy")


def _shifts(dates: tuple[date, ...], starts: tuple[datetime, ...], others: list[Person]) -> tuple[Shift, ...]:
    """Where the series' time moves on another person's clock (their working hours' zone) from one occurrence to
    the next: a clock change on one side of the meeting only."""
    found = []
    for person in others:
        assert person.hours is not None
        local = [start.astimezone(person.hours.tz).timetz().replace(tzinfo=None) for start in starts]
        for index in range(1, len(local)):
            if local[index] != local[index - 1]:
                found.append(Shift(person.name, dates[index], local[index - 1], local[index]))
    return tuple(found)


@dataclass(frozen=True)
class WayRound:
    """A near miss booked anyway: each clashing occurrence's day moved to another time of that day that works
    for it (`moves`), or skipped when no time does."""

    moves: tuple[tuple[date, time], ...]
    skip: tuple[date, ...]


def way_round(judged: SeriesTime, times: Sequence[SeriesTime]) -> WayRound:
    """For each occurrence `judged` clashes on, the time of that same day nearest to it that works on it (from
    the other `times` of the same search), else a skip."""
    moves, skip = [], []
    minutes = judged.at.hour * 60 + judged.at.minute
    for clash in judged.clashes:
        fitting = [t.at for t in times if t.at != judged.at and all(c.day != clash.day for c in t.clashes)]
        if fitting:
            moves.append((clash.day, min(fitting, key=lambda at: (abs(at.hour * 60 + at.minute - minutes), at))))
        else:
            skip.append(clash.day)
    return WayRound(tuple(moves), tuple(skip))
