"""A slot in words: "10:00 for you, 14:30 for Ravi — mid-morning and early afternoon; keeps Ravi's afternoon
focus block". Subjects and locations never reach the engine, so no reason can quote one."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from functools import cached_property, lru_cache
from itertools import repeat

from booking.engine.clocks import DAY_MINUTES, LocalClock, weekday
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


Words = tuple[tuple[str, ...], tuple[str, ...], str]  # (flags, reasons, summary) of a slot
Names = tuple[str, ...]
OptionalNames = tuple[Names, Names, Names, Names]  # free, busy, free outside their hours, unknown
# A scored person's share of a slot's words but their clock (`Context._seen`): their clock when outside their
# hours (else -1), the part of the day on their own clock, that of their focus block, then the assessment's outside,
# edge, lunch, back to back and focus.
Share = tuple[int, str, str, bool, str, bool, str, str]
_NO_OPTIONAL: OptionalNames = ((), (), (), ())


@dataclass(frozen=True)
class Context:
    """What explaining a slot needs from its search."""

    frame: Frame
    duration: int
    you: str | None
    scored: Sequence[Prepared]  # required people, "you" first
    optional: Sequence[OptionalPerson]
    you_tz: tzinfo | None = None  # "you" in the page's zone, so that "10:00 for you" matches the times shown
    # What this search already wrote: each set of clocks as words, and the rest of a slot's words (`_seen`).
    _timed: dict[tuple[int, ...], str] = field(default_factory=dict, compare=False)
    _said: dict[tuple[tuple[Share, ...], OptionalNames], Words] = field(default_factory=dict, compare=False)

    def words(self, slot: Slot) -> Words:
        """A slot's flags, reasons and summary, without the objects of its `explain`: what a list of times reads.

        The words are made of two parts, each kept for the slots that share it: the clocks ("10:00 for you, 14:30
        for Ravi") and the rest (parts of the day, reasons, the optional people), so that most slots of a search
        only look both up."""
        start = getattr(slot, "minute", -1)
        if start < 0:
            start = self.frame.floor(slot.start)
        clocks, rest = self._seen(start, self._assessed(slot, start))
        optional = self._optional(start) if self.optional else _NO_OPTIONAL
        times = self._timed.get(clocks)
        if times is None:
            times = self._timed[clocks] = _times_of(self._names, clocks)
        said = self._said.get((rest, optional))
        if said is None:
            said = self._said[rest, optional] = _words_of(self._names, rest, optional)
        return said[0], said[1], f"{times} — {said[2]}"

    def explain(self, slot: Slot) -> Explanation:
        start = self.frame.floor(slot.start)
        flags, reasons, summary = self.words(slot)
        people = tuple(map(self._at, self.scored, self._assessed(slot, start), repeat(slot.start)))
        optional = self._optional(start) if self.optional else _NO_OPTIONAL
        return Explanation(people, *optional, flags=flags, reasons=reasons, summary=summary)

    def _assessed(self, slot: Slot, start: int) -> Sequence[Assessment]:
        return getattr(slot, "assessed", ()) or [assess(person, start, self.duration) for person in self.scored]

    @cached_property
    def _clocks(self) -> list[tuple[LocalClock, LocalClock]]:
        """Each scored person's clock as the page shows it, and their working hours' clock (the same object when
        they agree)."""
        clocks = []
        for person in self.scored:
            assert person.person.hours is not None
            outlook = LocalClock(person.person.hours.tz, self.frame)
            mine = self.you_tz is not None and person.person.id == self.you
            clocks.append((LocalClock(self.you_tz, self.frame) if mine and self.you_tz else outlook, outlook))
        return clocks

    @cached_property
    def _names(self) -> tuple[tuple[str, str], ...]:
        """Each scored person as the words name them: (who, whose)."""
        return tuple(
            ("you", "your") if p.person.id == self.you else (p.person.name, f"{p.person.name}'s") for p in self.scored
        )

    def _seen(self, start: int, assessed: Iterable[Assessment]) -> tuple[tuple[int, ...], tuple[Share, ...]]:
        """What the slot's words depend on, as plain tuples (cheaper than named ones): each scored person's clock
        (local minute of the day, and their weekday when their day is not the first person's, else -1), one after
        the other; and each one's `Share`."""
        clocks: list[int] = []
        rest: list[Share] = []
        first_day = None
        for (shown, outlook), found in zip(self._clocks, assessed, strict=True):
            offset = shown.steady.get((shown.base + start) // DAY_MINUTES)  # `LocalClock.at`, its usual case inline
            local = shown.base + start + offset if offset is not None else shown.at(start)
            day = local // DAY_MINUTES
            clock = local - day * DAY_MINUTES
            if first_day is None:
                first_day = day
            clocks.append(clock)
            clocks.append(-1 if day == first_day else weekday(local))
            own = local if outlook is shown else outlook.at(start)
            focus_part = ""
            if found.focus:
                focus_part = _focus_part(outlook.at(found.focus_middle) % DAY_MINUTES // 60)
            rest.append((clock if found.outside else -1, _PART_AT[own % DAY_MINUTES], focus_part, *found[1:6]))
        return tuple(clocks), tuple(rest)

    def _at(self, person: Prepared, found: Assessment, instant: datetime) -> PersonAtSlot:
        assert person.person.hours is not None
        tz = outlook = person.person.hours.tz
        if self.you_tz is not None and person.person.id == self.you:
            tz = self.you_tz  # the clock the page shows; night or morning is still that of their own day
        focus_part = ""
        if found.focus:
            focus_part = _focus_part(self.frame.instant(found.focus_middle).astimezone(outlook).hour)
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

    def _optional(self, start: int) -> OptionalNames:
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


# The words of a search are kept for the process, by the names they use and what they say: the same people search
# again and again (and read the same words), and writing them cost more than reading every other part of a slot.
_KEPT_WORDS = 8192


@lru_cache(maxsize=_KEPT_WORDS)
def _times_of(names: tuple[tuple[str, str], ...], clocks: tuple[int, ...]) -> str:
    """ "10:00 for you, 14:30 for Ravi": each scored person's (who, whose) and clock (`Context._seen`)."""
    groups: dict[str, list[str]] = {}
    for (who, _), clock, other_day in zip(names, clocks[::2], clocks[1::2], strict=True):
        text = _CLOCK_AT[clock]
        if other_day != -1:
            text += " " + _WEEKDAYS[other_day]
        groups.setdefault(text, []).append(who)
    return ", ".join(f"{clock} for {join_names(who)}" for clock, who in groups.items())


@lru_cache(maxsize=_KEPT_WORDS)
def _words_of(names: tuple[tuple[str, str], ...], rest: tuple[Share, ...], optional: OptionalNames) -> Words:
    """(flags, reasons, the summary after its clocks) of a slot."""
    flags: tuple[str, ...] = ()
    said: tuple[str, ...] = ()
    for name, share in zip(names, rest, strict=True):
        own_flags, own_reasons = _share_of(name, share)
        flags += own_flags
        said += own_reasons
    reasons = flags + said + _optional_reason(*optional)
    tail = join_names(_unique(p[1] for p in rest))
    if reasons:
        tail += "; " + "; ".join(reasons)
    return flags, reasons, tail


@lru_cache(maxsize=_KEPT_WORDS)
def _share_of(name: tuple[str, str], share: Share) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """One scored person's flags and reasons."""
    who, whose = name
    flags = (f"outside {whose} working hours, {_CLOCK_AT[share[0]]} for {who}",) if share[3] else ()
    return flags, tuple(_reasons(whose, share[2], *share[4:]))


def forget_words() -> None:
    """Drop the words kept for the process (for measuring what a first search costs)."""
    for kept in (_times_of, _words_of, _share_of):
        kept.cache_clear()


def _focus_part(hour: int) -> str:
    """Where a focus block lies in its owner's day, by the hour of its middle."""
    return "morning" if hour < 12 else "afternoon" if hour < 17 else "evening"


def _reasons(owner: str, focus_part: str, edge: str, lunch: bool, back_to_back: str, focus: str) -> list[str]:
    reasons = []
    if edge:
        reasons.append(f"at the {edge} of {owner} working day")
    if lunch:
        reasons.append(f"over {owner} lunch hour")
    if back_to_back:
        where = {"after": "right after", "before": "right before", "between": "between two"}[back_to_back]
        reasons.append(f"{where} {'of' if back_to_back == 'between' else 'another of'} {owner} meetings")
    if focus:
        reasons.append(f"{focus} {owner} {focus_part} focus block")
    return reasons


def _part(minute: int) -> str:
    return next(words for since, words in _PARTS if minute >= since)


_PART_AT = tuple(map(_part, range(24 * 60)))  # the part of the day of each local minute
_CLOCK_AT = tuple(f"{minute // 60:02d}:{minute % 60:02d}" for minute in range(24 * 60))  # "HH:MM" of each


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
