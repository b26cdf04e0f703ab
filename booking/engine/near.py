"""Near misses: when no time suits everyone, the smallest changes to the search that would open one.

Each change is tried with the same search and the same rules; a change is offered only when the changed search
really has a time, and only the smallest step of its kind (30 minutes of someone's hours before 60, 45 minutes
of meeting before 30).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo

from booking.engine.search import search
from booking.engine.types import MINUTE, Person, Request, Slot, WorkingHours

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
    count: int = 3,
) -> tuple[NearMiss, ...]:
    """The `count` cheapest changes that open a time, cheapest first (then earliest). `durations` are the
    meeting lengths the member may pick; `stretch` False leaves out stretching hours (individual mode, where
    Microsoft's suggestions keep everyone's hours)."""
    found = [*_optional(people, request), *_shorter(people, request, durations)]
    if stretch:
        found += _stretched(people, request)
    return tuple(sorted(found, key=lambda miss: (miss.cost, miss.start))[:count])


def earliest_beyond(people: Sequence[Person], request: Request) -> NearMiss | None:
    """The earliest time for everyone in `request`'s window (a window beyond the member's range)."""
    result = search(people, request)
    if not result.slots:
        return None
    slot = result.slots[0]
    words = f"the earliest time for everyone is {_when(slot.start, request.grid_tz)}"
    return NearMiss("later", words, slot.start, slot.end, _COST["later"])


def best(people: Sequence[Person], request: Request) -> Slot | None:
    """The best-ranked slot of a search, or None."""
    result = search(people, request)
    return result.best[0] if result.best else None


def _optional(people: Sequence[Person], request: Request) -> list[NearMiss]:
    """Each required colleague made optional, while one other stays required (a meeting needs one)."""
    found = []
    colleagues = [p for p in people if p.required and p.id != request.you]
    for person in colleagues if len(colleagues) > 1 else ():
        changed = [dataclasses.replace(p, required=False) if p.id == person.id else p for p in people]
        slot = best(changed, request)
        if slot is not None:
            words = f"{_when(slot.start, request.grid_tz)} works if {person.name} is optional"
            found.append(NearMiss("optional", words, slot.start, slot.end, _COST["optional"], person.id))
    return found


def _shorter(people: Sequence[Person], request: Request, durations: Sequence[int]) -> list[NearMiss]:
    """The longest allowed meeting shorter than the one asked for that fits."""
    asked = request.duration // MINUTE
    for minutes in sorted((m for m in durations if m < asked), reverse=True):
        slot = best(people, dataclasses.replace(request, duration=timedelta(minutes=minutes)))
        if slot is not None:
            words = f"a {minutes}-minute meeting fits on {_when(slot.start, request.grid_tz)}"
            return [NearMiss("shorter", words, slot.start, slot.end, _COST["shorter"], minutes=minutes)]
    return []


def _stretched(people: Sequence[Person], request: Request) -> list[NearMiss]:
    """For each required person (not you, not already searched outside their hours), the smallest stretch of
    their working day, earlier or later, that opens a time."""
    found = []
    for person in people:
        if not person.required or person.id in (request.you, *request.widened) or person.hours is None:
            continue
        for minutes in STRETCHES:
            misses = [m for early in (True, False) if (m := _stretch(people, request, person, minutes, early))]
            if misses:
                found.append(min(misses, key=lambda miss: miss.start))
                break
    return found


def _stretch(people: Sequence[Person], request: Request, person: Person, minutes: int, early: bool) -> NearMiss | None:
    assert person.hours is not None
    hours = stretched_hours(person.hours, minutes, early=early)
    if hours is None:
        return None
    changed = [dataclasses.replace(p, hours=hours) if p.id == person.id else p for p in people]
    slot = best(changed, request)
    if slot is None:
        return None
    edge = hours.start if early else hours.end
    ask = f"starts {minutes} minutes early" if early else f"stays {minutes} minutes late"
    words = f"{_when(slot.start, request.grid_tz)} works if {person.name} {ask} ({edge:%H:%M} for {person.name})"
    return NearMiss("stretch", words, slot.start, slot.end, _COST["stretch"] * minutes // 30, person.id, minutes, early)


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


def _when(instant: datetime, zone: tzinfo) -> str:
    return f"{instant.astimezone(zone):%A %-d %B %H:%M}"
