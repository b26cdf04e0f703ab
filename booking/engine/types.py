"""The engine's inputs and outputs: plain, immutable dataclasses with aware datetimes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta, tzinfo
from functools import cached_property
from typing import Any, NamedTuple, Protocol, TypeVar

from booking.engine.words import ENGLISH, Vocabulary

# Graph's freeBusyStatus values, in Graph's casing.
STATUSES = ("free", "tentative", "busy", "oof", "workingElsewhere", "unknown")
# Busy, out of office and tentative block by default (an organization may choose otherwise). "unknown" always
# blocks, whatever the choice: a status nobody could read must never be taken for free time.
DEFAULT_BLOCKING = frozenset({"busy", "oof", "tentative"})
ALWAYS_BLOCKING = frozenset({"unknown"})
DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MINUTE = timedelta(minutes=1)
T = TypeVar("T")


def made(cls: type[T], **fields: Any) -> T:
    """An instance of a frozen dataclass with every one of its fields given, as its constructor makes it, for loops
    that make one per busy item or slot: a frozen dataclass's `__init__` sets each field through
    `object.__setattr__`, about twice what filling its `__dict__` at once costs."""
    made = object.__new__(cls)
    made.__dict__.update(fields)
    return made


@dataclass(frozen=True)
class Busy:
    """A stretch of someone's calendar with its Graph status. Only the statuses the request names block."""

    start: datetime
    end: datetime
    status: str = "busy"


@dataclass(frozen=True)
class WorkingHours:
    """Working days (Monday = 0) and a local start and end, kept in local time across daylight-saving changes.

    An end at or before the start runs into the next day (a night shift); equal start and end mean all day.
    """

    days: frozenset[int]
    start: time
    end: time
    tz: tzinfo


@dataclass(frozen=True)
class Person:
    """One person of a search. A person with `unreadable` set has no known free/busy: the search fails closed
    if they are required, and shows them as unknown if they are optional."""

    id: str
    name: str
    required: bool = True
    busy: tuple[Busy, ...] = ()
    hours: WorkingHours | None = None
    unreadable: str | None = None


@dataclass(frozen=True)
class Request:
    """What to search for. Every datetime must be aware; the window is [start, end)."""

    start: datetime
    end: datetime
    duration: timedelta
    now: datetime
    granularity: timedelta = timedelta(minutes=15)
    minimum_notice: timedelta = timedelta(0)
    buffer_before: timedelta = timedelta(0)
    buffer_after: timedelta = timedelta(0)
    blocking: frozenset[str] = DEFAULT_BLOCKING
    # Ids of people the member allowed outside their working hours; such slots are flagged.
    widened: frozenset[str] = frozenset()
    # The person the reasons call "you" (the organizer), if any.
    you: str | None = None
    # The clock the reasons read "you" in: the zone the page shows times in (None: your working hours' zone).
    you_tz: tzinfo | None = None
    # Slots start where this zone's clock is on the granularity grid (e.g. :00, :15, :30, :45).
    grid_tz: tzinfo = UTC
    best_count: int = 5
    # The reader's words for the reasons and for why nothing fits (`booking.engine.words`); English by default.
    vocabulary: Vocabulary = ENGLISH


@dataclass(frozen=True)
class Unreadable:
    """A person whose free/busy could not be read, and why (in words a member can act on)."""

    person_id: str
    name: str
    reason: str
    required: bool


class PersonAtSlot(NamedTuple):
    """How a slot sits in one required (or widened) person's day.

    A named tuple rather than a frozen dataclass: one is made per person for every slot whose words are read,
    and a frozen dataclass costs several times as much to make."""

    person_id: str
    name: str
    local_start: datetime
    cost: int
    outside_hours: bool = False
    day_edge: str = ""  # "start" or "end" of their working day, or ""
    lunch: bool = False
    back_to_back: str = ""  # "after", "before", "between" another meeting, or ""
    focus: str = ""  # "cuts" or "keeps" a free block of two hours or more, or ""
    focus_part: str = ""  # where that block lies in their day: "morning", "afternoon" or "evening"
    day_part: str = ""  # "mid-morning", "night"…: read on their working hours' clock, whatever `local_start`'s zone


class Explanation(NamedTuple):
    """A slot in words: each scored person's view of it, the optional people, flags and reasons (a named tuple,
    as `PersonAtSlot`, for the cost of making one per slot)."""

    people: tuple[PersonAtSlot, ...]
    optional_free: tuple[str, ...]  # names
    optional_busy: tuple[str, ...]
    optional_outside_hours: tuple[str, ...]  # free, but outside their working hours
    optional_unknown: tuple[str, ...]  # their calendar could not be read
    flags: tuple[str, ...]  # e.g. "outside Ravi's working hours, 18:30 for Ravi"
    reasons: tuple[str, ...]  # e.g. "keeps Ravi's afternoon focus block"
    summary: str  # "10:00 for you, 14:30 for Ravi — mid-morning and early afternoon; keeps Ravi's ..."


@dataclass(frozen=True)
class Slot:
    """A meeting's time, [start, end) in UTC: what a member books or moves a meeting to."""

    start: datetime
    end: datetime


class Wording(Protocol):
    """How a search puts its slots into words (`reasons.Context`)."""

    def explain(self, slot: Slot) -> Explanation: ...

    def words(self, slot: Slot) -> tuple[tuple[str, ...], tuple[str, ...], str]: ...


@dataclass(frozen=True)
class RankedSlot(Slot):
    """A time that satisfies every hard rule, with its fairness scores.

    Its words are worked out when first asked for, so that a search over weeks stays cheap: `summary` and `flags`
    alone (what a list of times reads), or the whole `explanation`.
    """

    worst: int  # the highest cost any required person pays
    total: int  # everyone's costs together
    optional_free_count: int
    outside_hours: bool  # outside some widened person's working hours
    _wording: Wording = field(compare=False, repr=False)
    # What ranking found for each scored person (their `ranking.Assessment`), kept so that the words need not
    # work it out again.
    assessed: tuple[Any, ...] = field(default=(), compare=False, repr=False)
    minute: int = field(default=-1, compare=False, repr=False)  # of its search (`people.Frame`), when known

    @classmethod
    def made(
        cls,
        start: datetime,
        end: datetime,
        scores: tuple[int, int, int, bool],
        wording: Wording,
        assessed: tuple[Any, ...],
        minute: int,
    ) -> RankedSlot:
        """The same slot as the constructor makes, for the ranking's loop (see `made`; written out here, where a
        call with keywords would cost what it saves)."""
        slot = object.__new__(cls)
        worst, total, optional_free_count, outside_hours = scores
        slot.__dict__.update(
            start=start,
            end=end,
            worst=worst,
            total=total,
            optional_free_count=optional_free_count,
            outside_hours=outside_hours,
            _wording=wording,
            assessed=assessed,
            minute=minute,
        )
        return slot

    @property
    def rank_key(self) -> tuple[int, int, int, datetime]:
        """Worst-off person first, then everyone together, then more optional people free, then earliest."""
        return (self.worst, self.total, -self.optional_free_count, self.start)

    @cached_property
    def explanation(self) -> Explanation:
        return self._wording.explain(self)

    @property
    def summary(self) -> str:
        return self._wording.words(self)[2]

    @property
    def flags(self) -> tuple[str, ...]:
        """E.g. "outside Ravi's working hours, 18:30 for Ravi"; the explanation's flags."""
        return self._wording.words(self)[0]


@dataclass(frozen=True)
class Result:
    """The answer to a search. When `failed` is set, `slots` is empty and `unreadable` says who and why."""

    best: tuple[RankedSlot, ...] = ()
    slots: tuple[RankedSlot, ...] = ()  # every slot, earliest first
    unreadable: tuple[Unreadable, ...] = ()
    failed: str = ""
    notes: tuple[str, ...] = ()  # when there is no slot: why, and what to try

    def by_day(self, tz: tzinfo) -> list[tuple[datetime, tuple[RankedSlot, ...]]]:
        """Every slot grouped by the local day (in `tz`) it starts on; each day as its local midnight."""
        days: dict[datetime, list[RankedSlot]] = {}
        for slot in self.slots:
            local = slot.start.astimezone(tz)
            midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
            days.setdefault(midnight, []).append(slot)
        return [(day, tuple(slots)) for day, slots in days.items()]
