"""A slot in words: "10:00 for you, 14:30 for Ravi — mid-morning and early afternoon; keeps Ravi's afternoon
focus block". Subjects and locations never reach the engine, so no reason can quote one."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from itertools import repeat

from booking.engine.people import Frame, Prepared
from booking.engine.ranking import Assessment, assess
from booking.engine.types import Explanation, Person, PersonAtSlot, Slot

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# (local minute of the day it starts at, words), latest first.
_PARTS = (
    (20 * 60, "night"),
    (17 * 60 + 30, "evening"),
    (15 * 60 + 30, "late afternoon"),
    (13 * 60, "early afternoon"),
    (12 * 60, "midday"),
    (11 * 60 + 30, "late morning"),
    (10 * 60, "mid-morning"),
    (9 * 60, "morning"),
    (6 * 60, "early morning"),
    (0, "night"),
)


@dataclass(frozen=True)
class OptionalPerson:
    """An optional person and the slot starts (as masks) their calendar leaves free and that they can make
    (free and inside their working hours); both None when their calendar could not be read."""

    person: Person
    calendar_free: int | None
    free: int | None


@dataclass(frozen=True)
class Context:
    """What explaining a slot needs from its search."""

    frame: Frame
    duration: int
    you: str | None
    scored: Sequence[Prepared]  # required people, "you" first
    optional: Sequence[OptionalPerson]
    you_tz: tzinfo | None = None  # "you" in the page's zone, so that "10:00 for you" matches the times shown
    # The words already written in this search, by what they depend on (`_words_key`).
    _said: dict[object, tuple[tuple[str, ...], tuple[str, ...], str]] = field(default_factory=dict, compare=False)

    def explain(self, slot: Slot) -> Explanation:
        start = self.frame.floor(slot.start)
        assessed = getattr(slot, "assessed", ()) or [assess(person, start, self.duration) for person in self.scored]
        people = tuple(map(self._at, self.scored, assessed, repeat(slot.start)))
        optional = self._optional(start)
        first_day = people[0].local_start.toordinal() if people else 0
        key = (tuple(_words_key(p, first_day) for p in people), optional)
        words = self._said.get(key)
        if words is None:  # slots that read alike (same clocks, parts of day, reasons) share their words
            words = self._said[key] = self._words(people, optional)
        return Explanation(people, *optional, flags=words[0], reasons=words[1], summary=words[2])

    def _words(
        self, people: Sequence[PersonAtSlot], optional: tuple[tuple[str, ...], ...]
    ) -> tuple[tuple[str, ...], tuple[str, ...], str]:
        """(flags, reasons, summary) of a slot."""
        flags = tuple(
            f"outside {self._owner(p)} working hours, {_clock(p.local_start)} for {self._who(p)}"
            for p in people
            if p.outside_hours
        )
        reasons = flags + tuple(r for p in people for r in self._reasons(p)) + _optional_reason(*optional)
        summary = f"{self._times(people)} — {join_names(_unique(p.day_part for p in people))}"
        if reasons:
            summary += "; " + "; ".join(reasons)
        return flags, reasons, summary

    def _at(self, person: Prepared, found: Assessment, instant: datetime) -> PersonAtSlot:
        assert person.person.hours is not None
        tz = outlook = person.person.hours.tz
        if self.you_tz is not None and person.person.id == self.you:
            tz = self.you_tz  # the clock the page shows; night or morning is still that of their own day
        focus_part = ""
        if found.focus:
            middle = self.frame.instant(found.focus_middle).astimezone(outlook)
            focus_part = "morning" if middle.hour < 12 else "afternoon" if middle.hour < 17 else "evening"
        their_day = instant.astimezone(outlook)
        return PersonAtSlot(
            person.person.id,
            person.person.name,
            their_day if tz is outlook else instant.astimezone(tz),
            found.cost,
            found.outside,
            found.edge,
            found.lunch,
            found.back_to_back,
            found.focus,
            focus_part,
            _PART_AT[their_day.hour * 60 + their_day.minute],
        )

    def _optional(self, start: int) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
        """Names of the optional people: free, busy, free but outside their working hours, unknown."""
        free: list[str] = []
        busy: list[str] = []
        outside: list[str] = []
        unknown: list[str] = []
        for o in self.optional:
            if o.free is None or o.calendar_free is None:
                unknown.append(o.person.name)
            elif o.free >> start & 1:
                free.append(o.person.name)
            else:
                (outside if o.calendar_free >> start & 1 else busy).append(o.person.name)
        return tuple(free), tuple(busy), tuple(outside), tuple(unknown)

    def _reasons(self, p: PersonAtSlot) -> list[str]:
        owner, reasons = self._owner(p), []
        if p.day_edge:
            reasons.append(f"at the {p.day_edge} of {owner} working day")
        if p.lunch:
            reasons.append(f"over {owner} lunch hour")
        if p.back_to_back:
            where = {"after": "right after", "before": "right before", "between": "between two"}[p.back_to_back]
            reasons.append(f"{where} {'of' if p.back_to_back == 'between' else 'another of'} {owner} meetings")
        if p.focus:
            reasons.append(f"{p.focus} {owner} {p.focus_part} focus block")
        return reasons

    def _times(self, people: Sequence[PersonAtSlot]) -> str:
        first_day = people[0].local_start.date() if people else None
        groups: dict[str, list[str]] = {}
        for p in people:
            clock = _clock(p.local_start)
            if p.local_start.date() != first_day:
                clock += " " + _WEEKDAYS[p.local_start.weekday()]
            groups.setdefault(clock, []).append(self._who(p))
        return ", ".join(f"{clock} for {join_names(names)}" for clock, names in groups.items())

    def _who(self, p: PersonAtSlot) -> str:
        return "you" if p.person_id == self.you else p.name

    def _owner(self, p: PersonAtSlot) -> str:
        return "your" if p.person_id == self.you else f"{p.name}'s"


def _clock(local: datetime) -> str:
    return f"{local.hour:02d}:{local.minute:02d}"  # strftime is several times slower


def _part(minute: int) -> str:
    return next(words for since, words in _PARTS if minute >= since)


_PART_AT = tuple(map(_part, range(24 * 60)))  # the part of the day of each local minute


def _words_key(p: PersonAtSlot, first_day: int) -> tuple[object, ...]:
    """What a person's share of a slot's words depends on: who, their clock (and weekday when their day is not the
    first person's), and how the slot sits in their day."""
    local = p.local_start
    other_day = local.toordinal() != first_day
    return (
        p.person_id,
        local.hour,
        local.minute,
        local.weekday() if other_day else -1,
        p.outside_hours,
        p.day_edge,
        p.lunch,
        p.back_to_back,
        p.focus,
        p.focus_part,
        p.day_part,
    )


def _optional_reason(*groups: tuple[str, ...]) -> tuple[str, ...]:
    if not any(groups):
        return ()
    states = zip(groups, ("free", "busy", "outside working hours", "unknown"), strict=True)
    said = [f"{join_names(names)} {state}" for names, state in states if names]
    return ("optional: " + ", ".join(said),)


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def join_names(names: Sequence[str]) -> str:
    """Names as a sentence joins them: Anna; Anna and Ravi; Anna, Ravi and Sam."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
