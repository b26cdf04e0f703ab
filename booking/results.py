"""What a search asks and answers, in either mode: times to propose, who could not be read, whether a slot is free."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from accounts.models import Membership
    from booking.rules import BookingRules


@dataclass(frozen=True)
class Suggestion:
    """A time to propose, in UTC, with what makes it good and how it sits in each colleague's day.

    `local_times`: (name, their clock at the start) for each colleague whose time zone is known (from
    Microsoft's working hours domain-wide, from their own profile in individual mode). From Graph (individual
    mode): `confidence`, `availability` as (name, status in words) and `reasons` (its suggestionReason); from
    Overlap's engine: `summary`, `reasons` and `flags` (e.g. outside someone's hours).
    """

    start: datetime
    end: datetime
    summary: str = ""
    reasons: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    local_times: tuple[tuple[str, datetime], ...] = ()
    confidence: float | None = None
    availability: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class CouldNotRead:
    name: str
    reason: str
    required: bool


@dataclass(frozen=True)
class SearchResult:
    """The best times first (`best`), every time earliest first (`slots`), and who could not be read.

    `source` is "overlap" (ranked from free/busy) or "microsoft" (Graph's findMeetingTimes). When `failed` is
    set there is no time at all, and it says why; `notes` explain an empty result and what to try.
    """

    source: str
    best: tuple[Suggestion, ...] = ()
    slots: tuple[Suggestion, ...] = ()
    unreadable: tuple[CouldNotRead, ...] = ()
    failed: str = ""
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class SlotCheck:
    """Whether a slot is still free for every required person; `problems` say who is not and why."""

    free: bool
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class Wanted:
    """One search: who (required, optional, allowed outside their hours), how long, the range [start, end),
    the moment it is asked, and the organization's rules. `zone` is the organizer's own zone: slots start on
    the grid of their clock."""

    organizer: Membership
    required: Sequence[Membership]
    optional: Sequence[Membership]
    widened: Sequence[Membership]
    duration: timedelta
    start: datetime
    end: datetime
    now: datetime
    rules: BookingRules
    zone: tzinfo
