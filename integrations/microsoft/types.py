"""What the Graph client returns and accepts: plain dataclasses, aware UTC datetimes, no wire format."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, tzinfo

# Overlap's own single-value extended property: the tag that marks an event as one it created.
TAG_PROPERTY_ID = "String {6a1f3d2e-8c4b-4e5f-9a7d-0b3c2e1f4d5a} Name OverlapBookingCode"

FREE_BUSY_STATUSES = ("free", "tentative", "busy", "oof", "workingElsewhere", "unknown")
RESPONSES = ("none", "organizer", "tentativelyAccepted", "accepted", "declined")


@dataclass(frozen=True)
class DirectoryUser:
    id: str
    display_name: str
    mail: str | None
    user_principal_name: str
    account_enabled: bool | None = None
    user_type: str | None = None
    given_name: str | None = None
    surname: str | None = None
    job_title: str | None = None

    @property
    def address(self) -> str:
        """The SMTP address to book with: mail, or the UPN when the user has no mail set."""
        return self.mail or self.user_principal_name


@dataclass(frozen=True)
class DirectoryPage:
    """One page of the directory: people listed (new or changed, in a delta read) and object ids removed.

    `delta_link`: on the last page only, where to ask next time for what changed since.
    """

    users: list[DirectoryUser]
    removed: list[str] = field(default_factory=list)
    delta_link: str | None = None


@dataclass(frozen=True)
class Room:
    """A room from the places API (`microsoft.graph.room`). Rooms hidden from the address list never come back
    from Graph, so a room missing here is gone for Overlap. `address` is the room mailbox's SMTP address, what
    getSchedule and a resource attendee take."""

    id: str
    address: str
    display_name: str
    capacity: int | None = None
    building: str = ""
    floor_number: int | None = None
    floor_label: str = ""
    display_device: str = ""
    video_device: str = ""
    audio_device: str = ""
    wheelchair: bool = False
    bookable: bool = True  # bookingType "reserved" rooms cannot be booked
    place_id: str = ""


@dataclass(frozen=True)
class RoomList:
    """A room list (`microsoft.graph.roomList`): a building or a floor, named by its address."""

    id: str
    address: str
    display_name: str


@dataclass(frozen=True)
class BusyItem:
    """Busy time from getSchedule. Deliberately no subject and no location."""

    start: datetime
    end: datetime
    status: str  # one of FREE_BUSY_STATUSES


@dataclass(frozen=True)
class WorkingHours:
    days: tuple[str, ...]  # lowercase English day names
    start: time
    end: time
    tz: tzinfo


@dataclass(frozen=True)
class ScheduleError:
    message: str
    response_code: str


@dataclass(frozen=True)
class Schedule:
    """One mailbox's free/busy. When `error` is set, nothing else is known: treat the person as unavailable."""

    address: str
    availability_view: str = ""
    items: tuple[BusyItem, ...] = ()
    working_hours: WorkingHours | None = None
    error: ScheduleError | None = None


@dataclass(frozen=True)
class AttendeeAvailability:
    address: str
    availability: str  # one of FREE_BUSY_STATUSES


@dataclass(frozen=True)
class MeetingTimeSuggestion:
    start: datetime
    end: datetime
    confidence: float
    organizer_availability: str
    attendees: tuple[AttendeeAvailability, ...]
    reason: str = ""
    order: int | None = None


@dataclass(frozen=True)
class MeetingTimeSuggestions:
    suggestions: tuple[MeetingTimeSuggestion, ...]
    # "" when there are suggestions; else e.g. attendeesUnavailable, organizerUnavailable (camelCase).
    empty_reason: str = ""


@dataclass(frozen=True)
class Attendee:
    address: str
    name: str = ""
    type: str = "required"
    response: str = "none"  # one of RESPONSES; Graph's notResponded reads as none
    response_time: datetime | None = None  # None until the attendee responds


@dataclass(frozen=True)
class NewAttendee:
    address: str
    name: str = ""
    type: str = "required"


@dataclass(frozen=True)
class SeriesRule:
    """Graph's patternedRecurrence for a new series, in Graph's own words (`recurrencePattern`,
    `recurrenceRange`): `pattern` weekly / absoluteMonthly / relativeMonthly, `days_of_week` as "tuesday", `index`
    first..last; the range from `start_date` to `end_date` or for `occurrences`, in `time_zone` (a Windows name,
    the organizer's: the series keeps their wall-clock time)."""

    pattern: str
    interval: int
    start_date: date
    time_zone: str
    days_of_week: tuple[str, ...] = ()
    day_of_month: int = 0
    index: str = ""
    end_date: date | None = None
    occurrences: int | None = None


@dataclass(frozen=True)
class NewEvent:
    """An event for Overlap to create. `transaction_id` makes a retried create return the same event."""

    subject: str
    start: datetime
    end: datetime
    attendees: tuple[NewAttendee, ...] = ()
    body: str = ""
    body_type: str = "text"  # or "HTML"
    location: str = ""
    location_address: str = ""  # a room's address: `location` names the room (it books nothing by itself)
    teams: bool = True
    transaction_id: str | None = None
    tag: str | None = None  # written to TAG_PROPERTY_ID
    recurrence: SeriesRule | None = None  # a series: one event, `start`/`end` its first occurrence


@dataclass(frozen=True)
class EventChanges:
    """A PATCH: only the fields that are not None are sent."""

    subject: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    body: str | None = None
    body_type: str = "text"
    location: str | None = None
    location_address: str = ""
    attendees: tuple[NewAttendee, ...] | None = None


@dataclass(frozen=True)
class Event:
    id: str
    ical_uid: str | None = None
    subject: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    is_cancelled: bool = False
    web_link: str | None = None
    join_url: str | None = None
    attendees: tuple[Attendee, ...] = ()
    organizer: str | None = None
    transaction_id: str | None = None
    tag: str | None = None
    response: str | None = None  # the mailbox owner's own response
    change_key: str | None = None
    show_as: str | None = None
    is_organizer: bool | None = None

    def attendee(self, address: str) -> Attendee | None:
        wanted = address.lower()
        return next((a for a in self.attendees if a.address.lower() == wanted), None)


@dataclass(frozen=True)
class Occurrence:
    """One occurrence of a series, as Graph's instances listing gives it (cancelled ones are not listed).

    `original_start`: where the pattern put it (aware UTC), which names it for good; `start`/`end`: where it is
    now. `kind` is "exception" once the organizer moved it. `attendees`: each attendee's answer to this very
    occurrence, as `Event.attendees` holds a meeting's.
    """

    id: str
    series_master_id: str
    original_start: datetime
    start: datetime
    end: datetime
    kind: str = "occurrence"  # or "exception"
    attendees: tuple[Attendee, ...] = ()

    def attendee(self, address: str) -> Attendee | None:
        wanted = address.lower()
        return next((a for a in self.attendees if a.address.lower() == wanted), None)


@dataclass(frozen=True)
class DelegatedGrant:
    """A member's finished sign-in: the encrypted MSAL token cache to store, and who they are."""

    cache_blob: str = field(repr=False)
    oid: str
    tid: str
    username: str  # preferred_username, else upn
    name: str
    email: str | None
    scopes: tuple[str, ...]
