"""Near misses: when no time suits everyone, the smallest changes to the search that would open one.

Each change is tried with the same search and the same rules; a change is offered only when the changed search
really has a time, and only the smallest step of its kind (30 minutes of someone's hours before 60, 45 minutes
of meeting before 30).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from booking.engine.people import Frame, prepare
from booking.engine.search import earliest_start, frame_of, search, start_grid, unavailable
from booking.engine.types import MINUTE, Person, Request, WorkingHours

STRETCHES = (30, 60)  # minutes someone's working day may start earlier or end later
# What a change costs, to rank them: stretching someone's day by half an hour is the smallest ask.
_COST = {"stretch": 1, "shorter": 1, "optional": 3, "later": 4}


@dataclass(frozen=True)
class NearMiss:
    """A change to the search and the best time it opens, with its cost in words.

    kind: "optional" (person_id made optional), "stretch" (person_id's day starts `minutes` early when `early`,
    else ends `minutes` late; applied as searching outside their hours), "shorter" (a meeting of `minutes`),
    "later" (the same search on the day of `start`, beyond the range).
    """

    kind: str
    words: str
    start: datetime
    end: datetime
    cost: int
    person_id: str = ""
    minutes: int = 0
    early: bool = False


def near_misses(
    people: Sequence[Person],
    request: Request,
    *,
    durations: Sequence[int] = (),
    stretch: bool = True,
    optional_keeps_hours: bool = False,
    count: int = 3,
) -> tuple[NearMiss, ...]:
    """The `count` cheapest changes that open a time, cheapest first (then earliest). `durations` are the
    meeting lengths the member may pick; `stretch` False leaves out stretching hours and `optional_keeps_hours`
    makes an optional person's working hours still bound the meeting (individual mode: Microsoft's suggestions
    keep everyone's hours, optional people's too)."""
    starts = _starts(people, request)
    found = [*_optional(people, request, starts, optional_keeps_hours), *_shorter(people, request, durations)]
    if stretch:
        found += _stretched(people, request, starts)
    chosen = sorted(found, key=lambda change: (change.cost, change.earliest))[:count]
    return tuple(change.best() for change in chosen)


@dataclass(frozen=True)
class _Change:
    """A change that opens a time (its earliest start known), its best time worked out only when offered."""

    people: Sequence[Person]
    request: Request
    cost: int
    earliest: datetime
    words: Callable[[datetime], str]  # the words, given the time
    kind: str
    person_id: str = ""
    minutes: int = 0
    early: bool = False

    def best(self) -> NearMiss:
        result = search(self.people, self.request)
        slot = result.best[0]
        return NearMiss(
            self.kind, self.words(slot.start), slot.start, slot.end, self.cost, self.person_id, self.minutes, self.early
        )


def _change(
    people: Sequence[Person],
    request: Request,
    kind: str,
    words: Callable[[datetime], str],
    earliest: datetime | None = None,
    **how: Any,
) -> _Change | None:
    """The change, when the changed search has a time at all (`earliest`, when the caller worked it out)."""
    earliest = earliest or earliest_start(people, request)
    if earliest is None:
        return None
    cost = _COST[kind] * (how.get("minutes", 30) // 30 if kind == "stretch" else 1)
    return _Change(people, request, cost, earliest, words, kind, **how)


@dataclass(frozen=True)
class _Starts:
    """The starts each required person can make under the unchanged search, worked out once: a change to one
    person is checked against everyone else's starts (the same rules as `earliest_start`), so a group of 20 is
    not prepared again for each of the dozens of changes tried."""

    grid: int
    frame: Frame
    can_make: dict[str, int]  # required person's id -> the starts they can make

    def earliest(self, person_id: str, theirs: int) -> datetime | None:
        """The first start everyone can make when `person_id` can make `theirs` (-1: any, as optional)."""
        allowed = self.grid
        for other, starts in self.can_make.items():
            allowed &= theirs if other == person_id else starts
        return self.frame.instant((allowed & -allowed).bit_length() - 1) if allowed else None


def _starts(people: Sequence[Person], request: Request) -> _Starts:
    frame = frame_of(request)
    grid = start_grid(frame, request, request.duration // MINUTE)
    return _Starts(grid, frame, {p.id: _can_make(p, frame, request) for p in people if p.required})


def _can_make(person: Person, frame: Frame, request: Request) -> int:
    if person.unreadable is not None:  # never counted as free
        return 0
    prepared = prepare(person, frame, request.blocking)
    keep = person.id not in request.widened
    return ~unavailable(prepared, frame, request, request.duration // MINUTE, keep_hours=keep)


def earliest_beyond(people: Sequence[Person], request: Request) -> NearMiss | None:
    """The earliest time for everyone in `request`'s window (a window beyond the member's range)."""
    result = search(people, request)
    if not result.slots:
        return None
    slot = result.slots[0]
    said = request.vocabulary
    words = said.earliest_for_everyone.format(when=said.when(slot.start.astimezone(request.grid_tz)))
    return NearMiss("later", words, slot.start, slot.end, _COST["later"])


def _optional(people: Sequence[Person], request: Request, starts: _Starts, keeps_hours: bool) -> list[_Change]:
    """Each required colleague made optional, while one other stays required (a meeting needs one). When
    `keeps_hours`, their calendar no longer counts but their working hours still do: the time found is then
    searched with them required and free all day (a readable person only), inside their hours."""
    found = []
    colleagues = [p for p in people if p.required and p.id != request.you]
    for person in colleagues if len(colleagues) > 1 else ():
        if keeps_hours and person.unreadable is not None:
            continue
        free = dataclasses.replace(person, busy=())
        theirs = _can_make(free, starts.frame, request) if keeps_hours else -1
        if (earliest := starts.earliest(person.id, theirs)) is None:
            continue
        optional = free if keeps_hours else dataclasses.replace(person, required=False)
        changed = [optional if p.id == person.id else p for p in people]
        words = _words(request, request.vocabulary.works_if_optional, name=person.name)
        found.append(_change(changed, request, "optional", words, earliest, person_id=person.id))
    return [change for change in found if change]


def _shorter(people: Sequence[Person], request: Request, durations: Sequence[int]) -> list[_Change]:
    """The longest allowed meeting shorter than the one asked for that fits."""
    asked = request.duration // MINUTE
    for minutes in sorted((m for m in durations if m < asked), reverse=True):
        changed = dataclasses.replace(request, duration=timedelta(minutes=minutes))
        words = _words(request, request.vocabulary.shorter_fits, minutes=minutes)
        change = _change(people, changed, "shorter", words, minutes=minutes)
        if change:
            return [change]
    return []


def _stretched(people: Sequence[Person], request: Request, starts: _Starts) -> list[_Change]:
    """For each required person (not you, not already searched outside their hours), the smallest stretch of
    their working day, earlier or later, that opens a time."""
    found = []
    for person in people:
        if not person.required or person.id in (request.you, *request.widened) or person.hours is None:
            continue
        for minutes in STRETCHES:
            changes = [c for early in (True, False) if (c := _stretch(people, request, person, minutes, early, starts))]
            if changes:
                found.append(min(changes, key=lambda change: change.earliest))
                break
    return found


def _stretch(
    people: Sequence[Person], request: Request, person: Person, minutes: int, early: bool, starts: _Starts
) -> _Change | None:
    assert person.hours is not None
    hours = stretched_hours(person.hours, minutes, early=early)
    if hours is None:
        return None
    stretched = dataclasses.replace(person, hours=hours)
    if (earliest := starts.earliest(person.id, _can_make(stretched, starts.frame, request))) is None:
        return None
    changed = [stretched if p.id == person.id else p for p in people]
    edge = hours.start if early else hours.end
    said = request.vocabulary
    ask = said.works_if_early if early else said.works_if_late
    clock = said.clocks[edge.hour * 60 + edge.minute]
    words = _words(request, ask, name=person.name, minutes=minutes, clock=clock)
    return _change(changed, request, "stretch", words, earliest, person_id=person.id, minutes=minutes, early=early)


def stretched_hours(hours: WorkingHours, minutes: int, *, early: bool) -> WorkingHours | None:
    """The working hours with the day starting `minutes` earlier (or ending later) on the same local day; None
    when that would cross midnight or the day already has no edge (all day, night shifts)."""
    start, end = _minutes(hours.start), _minutes(hours.end) or 24 * 60
    if end <= start:
        return None
    start, end = (start - minutes, end) if early else (start, end + minutes)
    if start < 0 or end > 24 * 60:
        return None
    return dataclasses.replace(hours, start=_time(start), end=_time(end % (24 * 60)))


def _minutes(moment: time) -> int:
    return moment.hour * 60 + moment.minute


def _time(minutes: int) -> time:
    return time(minutes // 60, minutes % 60)


def _words(request: Request, template: str, **values: object) -> Callable[[datetime], str]:
    """The words of a change, once its time is known: `template` with the time on the page's clock."""
    said, zone = request.vocabulary, request.grid_tz
    return lambda instant: template.format(when=said.when(instant.astimezone(zone)), **values)
