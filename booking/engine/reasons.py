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
from booking.engine.words import ENGLISH, Vocabulary

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
    vocabulary: Vocabulary = ENGLISH  # the reader's words
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
            times = self._timed[clocks] = _times_of(self._names, clocks, self.vocabulary)
        said = self._said.get((rest, optional))
        if said is None:
            said = self._said[rest, optional] = _words_of(self._names, rest, optional, self.vocabulary)
        return said[0], said[1], f"{times}{self.vocabulary.dash}{said[2]}"

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
        words = self.vocabulary
        return tuple(
            (words.you, words.your)
            if p.person.id == self.you
            else (p.person.name, words.whose.format(name=p.person.name))
            for p in self.scored
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
def _times_of(names: tuple[tuple[str, str], ...], clocks: tuple[int, ...], words: Vocabulary = ENGLISH) -> str:
    """ "10:00 for you, 14:30 for Ravi": each scored person's (who, whose) and clock (`Context._seen`)."""
    groups: dict[str, list[str]] = {}
    for (who, _), clock, other_day in zip(names, clocks[::2], clocks[1::2], strict=True):
        text = words.clocks[clock]
        if other_day != -1:
            text += " " + words.weekdays[other_day]
        groups.setdefault(text, []).append(who)
    return words.comma.join(words.time_for.format(clock=clock, names=words.names(who)) for clock, who in groups.items())


@lru_cache(maxsize=_KEPT_WORDS)
def _words_of(
    names: tuple[tuple[str, str], ...], rest: tuple[Share, ...], optional: OptionalNames, words: Vocabulary = ENGLISH
) -> Words:
    """(flags, reasons, the summary after its clocks) of a slot."""
    flags: tuple[str, ...] = ()
    said: tuple[str, ...] = ()
    for name, share in zip(names, rest, strict=True):
        own_flags, own_reasons = _share_of(name, share, words)
        flags += own_flags
        said += own_reasons
    reasons = flags + said + _optional_reason(words, *optional)
    tail = words.names([words.part(p) for p in _unique(p[1] for p in rest)])
    if reasons:
        tail += words.semicolon + words.semicolon.join(reasons)
    return flags, reasons, tail


@lru_cache(maxsize=_KEPT_WORDS)
def _share_of(
    name: tuple[str, str], share: Share, words: Vocabulary = ENGLISH
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """One scored person's flags and reasons."""
    who, whose = name
    flags = (words.outside.format(whose=whose, clock=words.clocks[share[0]], who=who),) if share[3] else ()
    return flags, tuple(_reasons(words, whose, share[2], *share[4:]))


def forget_words() -> None:
    """Drop the words kept for the process (for measuring what a first search costs)."""
    for kept in (_times_of, _words_of, _share_of):
        kept.cache_clear()


def _focus_part(hour: int) -> str:
    """Where a focus block lies in its owner's day, by the hour of its middle."""
    return "morning" if hour < 12 else "afternoon" if hour < 17 else "evening"


def _reasons(
    words: Vocabulary, owner: str, focus_part: str, edge: str, lunch: bool, back_to_back: str, focus: str
) -> list[str]:
    reasons = []
    if edge:
        reasons.append((words.day_start if edge == "start" else words.day_end).format(whose=owner))
    if lunch:
        reasons.append(words.lunch.format(whose=owner))
    if back_to_back:
        where = {"after": words.right_after, "before": words.right_before, "between": words.between}[back_to_back]
        reasons.append(where.format(whose=owner))
    if focus:
        reasons.append(
            (words.cuts if focus == "cuts" else words.keeps).format(whose=owner, part=words.part(focus_part))
        )
    return reasons


def _part(minute: int) -> str:
    return next(words for since, words in _PARTS if minute >= since)


_PART_AT = tuple(map(_part, range(24 * 60)))  # the part of the day of each local minute
_CLOCK_AT = tuple(f"{minute // 60:02d}:{minute % 60:02d}" for minute in range(24 * 60))  # "HH:MM" of each


def _optional_reason(words: Vocabulary, *groups: tuple[str, ...]) -> tuple[str, ...]:
    if not any(groups):
        return ()
    states = (words.optional_free, words.optional_busy, words.optional_outside, words.optional_unknown)
    said = [state.format(names=words.names(names)) for names, state in zip(groups, states, strict=True) if names]
    return (words.optional.format(people=words.comma.join(said)),)


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def join_names(names: Sequence[str]) -> str:
    """Names as a sentence joins them: Anna; Anna and Ravi; Anna, Ravi and Sam."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
