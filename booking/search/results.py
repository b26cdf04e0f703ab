"""What a search asks and answers, in either mode: times to propose, who could not be read, whether a slot is free."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING

from booking import engine
from integrations.calendars import CalendarError, ConnectionNotReady
from localtime import outlook_name, zone_or_none

if TYPE_CHECKING:
    from accounts.models import Membership
    from booking.rules import BookingRules


@dataclass(frozen=True)
class RoomPick:
    """The room a suggested time comes with, as a page names it; `code` is the room's UUID (the link's `room`)."""

    code: str
    name: str
    where: str = ""
    capacity: int | None = None


@dataclass(frozen=True)
class RoomsAnswer:
    """What a search with a room says of rooms: what was asked (`asked`), how many fitting rooms were read, why the
    others were not offered (`not_offered`, one line per reason), and whether the member's own getSchedule read
    them (individual mode, where Microsoft's findMeetingTimes is not trusted with rooms)."""

    asked: str
    read: int
    not_offered: tuple[str, ...] = ()
    individual: bool = False


@dataclass(frozen=True)
class Suggestion:
    """A time to propose, in UTC, with what makes it good and how it sits in each colleague's day.

    `local_times`: (name, their clock at the start, their zone's name) for each colleague whose time zone is
    known (the zone of their working hours, as getSchedule tells it in either mode). From Overlap's engine:
    `summary`, `reasons` and `flags` (e.g. outside someone's hours).
    """

    start: datetime
    end: datetime
    summary: str = ""
    reasons: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    local_times: tuple[tuple[str, datetime, str], ...] = ()
    room: RoomPick | None = None  # the room that goes with this time, when a room was asked for


def named_zone(name: str) -> tzinfo | None:
    """The zone of this IANA or Windows name (any case), or None for "" or a name that is not one."""
    return zone_or_none(name)


@dataclass(frozen=True)
class TheirTime:
    """A meeting on one colleague's clock."""

    name: str
    start: datetime
    end: datetime
    zone: str


def their_times(people: Sequence[Membership], start: datetime, end: datetime) -> tuple[TheirTime, ...]:
    """[start, end) on the clock of each person whose zone Overlap knows (`User.zone_for_others`)."""
    found = ((m.user.display_name, named_zone(m.user.zone_for_others)) for m in people)
    return tuple(
        TheirTime(name, start.astimezone(zone), end.astimezone(zone), zone_label(zone)) for name, zone in found if zone
    )


# The name Outlook gives every zone written out as bias and rules: it says nothing, so the offsets are shown.
_CUSTOM_ZONE = "Customized Time Zone"


def zone_label(zone: tzinfo) -> str:
    """A zone as a person reads it: its IANA name (Europe/Paris), the name Outlook shows for a custom zone (its
    own, or the Windows zone that keeps the same clock: "India Standard Time"), else its offsets from UTC
    ("UTC+05:30"; "UTC-08:00, UTC-07:00 in daylight saving time")."""
    name = outlook_name(zone)
    if name and name.lower() != _CUSTOM_ZONE.lower():
        return name
    year = datetime.now(UTC).year
    offsets = [zone.utcoffset(datetime(year, month, 15, 12, tzinfo=UTC).astimezone(zone)) for month in (1, 7)]
    standard, summer = sorted(o or timedelta(0) for o in offsets)
    if standard == summer:
        return _utc_offset(standard)
    return f"{_utc_offset(standard)}, {_utc_offset(summer)} in daylight saving time"


def _utc_offset(offset: timedelta) -> str:
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


@dataclass(frozen=True)
class CouldNotRead:
    name: str
    reason: str
    required: bool


@dataclass(frozen=True)
class Hard:
    """For a search with few times or none: who blocks each day, and (with none) the near misses, cheapest first."""

    days: tuple[engine.BlockedDay, ...] = ()
    near: tuple[engine.NearMiss, ...] = ()


@dataclass(frozen=True)
class SearchResult:
    """The best times first (`best`), every time earliest first (`slots`), and who could not be read.

    `source` is "overlap" (ranked from free/busy) or "microsoft" (ranked from free/busy, among the times Graph's
    findMeetingTimes offers). With a room asked for, every time names its room and `rooms` says why the other
    rooms were not offered. When `failed` is
    set there is no time at all, and it says why; `notes` explain an empty result and what to try.
    """

    source: str
    best: tuple[Suggestion, ...] = ()
    slots: tuple[Suggestion, ...] = ()
    unreadable: tuple[CouldNotRead, ...] = ()
    failed: str = ""
    notes: tuple[str, ...] = ()
    hard: Hard = Hard()
    rooms: RoomsAnswer | None = None  # when a room was asked for
    # A digest of the free/busy the times were ranked from (`availability._digest`): the search's answer is kept
    # with it, and shown again while the cache holds the same free/busy (`page._kept`).
    free_busy: str = ""


@dataclass(frozen=True)
class SlotCheck:
    """Whether a slot is still free for every required person; `problems` say who is not and why. `error`: why
    Microsoft could not be asked, as it raised it (a permanent `CalendarError` is a refusal for good, e.g. the
    organizer has left the directory, so asking again will not help; anything else, asking later may)."""

    free: bool
    problems: tuple[str, ...] = ()
    error: CalendarError | ConnectionNotReady | None = None

    @property
    def refused(self) -> CalendarError | None:
        """Microsoft's refusal for good, if that is why the slot could not be checked."""
        return self.error if isinstance(self.error, CalendarError) and self.error.permanent else None


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
