"""What booking asks of Microsoft: free/busy, suggested times, and the meetings Overlap creates.

Booking imports this module and the result types it names, nothing else of the integration. The
organization's mode decides how each call is made, and booking never sees it: domain-wide acts in
the organizer's mailbox (named by their Entra ID object id) with the tenant's app-only token; individual
mode acts as the organizer with their own grant. Every address sent as data (free/busy, attendees) must be
the directory address of one of the organization's people (`mailbox_addresses`), never `User.email`.
Every failure leaves as a `CalendarError` (or `ConnectionNotReady` when the organization is not
connected); a refusal of the whole connection is recorded on it at once, so the admins see it and no
further call goes out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TypeVar

from django.db.models import F, QuerySet

from accounts.access import read_with
from accounts.models import Membership
from integrations.connection.answering import microsoft_did_not_answer
from integrations.connection.clients import ConnectionNotReady, member_client, organization_client
from integrations.connection.explain import explain_error
from integrations.connection.lookup import connection_for
from integrations.connection.problems import connection_report_error, person_left_directory
from integrations.directory.mailboxes import NO_RECORD, Mailbox, directory_addresses, directory_mailboxes
from integrations.microsoft import errors
from integrations.microsoft.client import GraphClient
from integrations.microsoft.types import (
    Attendee,
    AttendeeAvailability,
    BusyItem,
    Event,
    EventChanges,
    MeetingTimeSuggestion,
    MeetingTimeSuggestions,
    NewAttendee,
    NewEvent,
    Occurrence,
    Schedule,
    ScheduleError,
    SeriesRule,
    WorkingHours,
)
from integrations.models import CalendarGrant, Connection, DirectoryEntry, Room, RoomList

__all__ = [
    "NO_RECORD",
    "READINESS_RELATED",
    "Attendee",
    "AttendeeAvailability",
    "BusyItem",
    "CalendarError",
    "ConnectionNotReady",
    "Event",
    "MeetingTimeSuggestion",
    "MeetingTimeSuggestions",
    "NewAttendee",
    "NewEvent",
    "NotEnabled",
    "Occurrence",
    "Readiness",
    "Room",
    "RoomList",
    "Schedule",
    "ScheduleError",
    "SeriesRule",
    "WorkingHours",
    "calendar_readiness",
    "event_cancel",
    "event_change_room",
    "event_create",
    "event_find_by_tag",
    "event_reschedule",
    "events_read",
    "free_busy",
    "free_busy_over",
    "graph_suggests_times",
    "mailbox_addresses",
    "not_enabled",
    "occurrence_cancel",
    "occurrence_move",
    "rooms_free_busy",
    "rooms_offered",
    "series_end",
    "series_occurrences",
    "series_occurrences_of",
    "suggest_times",
    "with_reach",
]

T = TypeVar("T")
NO_MAILBOX = (
    "You have no mailbox in {organization}'s Microsoft 365 directory (you joined with a password or as a guest). "
    "You can join meetings that colleagues organize with you, but you cannot organize meetings here: Overlap "
    "books only in the organization's own mailboxes. If you should have one, ask an admin to sync the directory."
)
LEFT_DIRECTORY = (
    "{name} has left {organization}'s Microsoft 365 directory: Microsoft 365 no longer has their mailbox, so "
    "Overlap cannot book in their calendar. Someone still in the organization can book the meeting instead."
)
# Graph's 404 codes for a user or mailbox that is not there (deleted, soft-deleted, never licensed), as opposed
# to an event that is not there (ErrorItemNotFound on an event's path).
_MAILBOX_GONE = frozenset(
    {"errorinvaliduser", "mailboxnotenabledforrestapi", "resourcenotfound", "request_resourcenotfound"}
)
# Refusals that concern the organization's whole connection, not one mailbox or one event.
_CONNECTION_REFUSALS = (errors.ConsentMissing, errors.ClientConfigurationError, errors.TenantNotFound)


class CalendarError(Exception):
    """Microsoft did not do what was asked.

    `permanent`: trying again will not help (transient ones were already retried within the client's
    budget); `gone`: the mailbox or the event no longer exists; `retry_after`: Microsoft's advice in
    seconds; `reason`: words a member or an admin can read; `reconnect`: the organizer's own calendar
    connection (individual mode) must be made again.
    """

    def __init__(
        self,
        reason: str,
        *,
        code: str,
        permanent: bool,
        gone: bool = False,
        retry_after: float | None = None,
        reconnect: bool = False,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code
        self.permanent = permanent
        self.gone = gone
        self.retry_after = retry_after
        self.reconnect = reconnect


@dataclass(frozen=True)
class Readiness:
    """Whether booking can ask Microsoft for this organizer now, and if not, who must do what.

    `problem` is empty when it can. `connect_calendar`: individual mode, and the organizer must connect
    their own calendar first. `rooms`: members may ask for a room. Who the admin's security group keeps out
    is `not_enabled`'s answer.
    """

    problem: str = ""
    connect_calendar: bool = False
    graph_suggests: bool = False
    rooms: bool = False  # members may ask for a room (`rooms_offered`)


# What `calendar_readiness` reads, for `accounts.access.membership_for(..., also=...)`: read with the organizer, they
# cost the booking page's search no query of their own.
READINESS_RELATED = ("organization__microsoft_connection", "directory_entry")


def calendar_readiness(*, organizer: Membership) -> Readiness:
    """What the booking page needs to know before it searches; asks nothing of Microsoft."""
    connection = _connection_of(organizer)
    if connection is None or not connection.is_active:
        status = connection.get_status_display().lower() if connection else "not configured"
        fix = connection.last_error_fix if connection and connection.last_error_fix else ""
        who = "you must" if organizer.is_admin else "an admin of your organization must"
        problem = f"Microsoft 365 is {status} for {organizer.organization}: {who} connect it on the integration page."
        return Readiness(problem=f"{problem} {fix}".strip())
    delegated = connection.mode == Connection.Mode.DELEGATED
    if not delegated and not _in_directory(organizer):
        return Readiness(problem=NO_MAILBOX.format(organization=organizer.organization))
    if (
        delegated
        and not CalendarGrant.objects.filter(membership=organizer, status=CalendarGrant.Status.CONNECTED).exists()
    ):
        return Readiness(
            problem="Your organization uses individual calendar connections: connect your calendar first.",
            connect_calendar=True,
            graph_suggests=True,
        )
    return Readiness(graph_suggests=delegated, rooms=connection.rooms_ready)


def _connection_of(organizer: Membership) -> Connection | None:
    read, connection = read_with(organizer.organization, "microsoft_connection")
    return connection if read else connection_for(organization=organizer.organization)


def _in_directory(organizer: Membership) -> bool:
    """Whether the organizer has an enabled directory record (a mailbox Overlap may read)."""
    read, entry = read_with(organizer, "directory_entry")
    if read:
        return entry is not None and bool(entry.account_enabled)
    return DirectoryEntry.objects.filter(membership=organizer, account_enabled=True).exists()


@dataclass(frozen=True)
class NotEnabled:
    """Why Overlap cannot book with a person: no mailbox in the organization's directory (`no_mailbox`: they
    cannot even be invited), or out of reach at the last reach check (the reason the check gave)."""

    reason: str
    no_mailbox: bool = False

    def __str__(self) -> str:
        return self.reason


# What `not_enabled` reads of each person (attribute: path from the membership), for a query that reads the people
# anyway: `with_reach` adds them to it, so that `not_enabled` then makes no query of its own.
_REACH = {
    "_reach_in_directory": "directory_entry__account_enabled",
    "_reach_reachable": "mailbox_reach__reachable",
    "_reach_reason": "mailbox_reach__reason",
}


def with_reach(people: QuerySet[Membership]) -> QuerySet[Membership]:
    """These people, each read with what `not_enabled` needs to know of them (in the same query)."""
    return people.annotate(**{name: F(path) for name, path in _REACH.items()})


def not_enabled(*, organizer: Membership, people: Iterable[Membership]) -> dict[int, NotEnabled]:
    """Which of these people Overlap cannot book with, by membership id, and why: no mailbox in the
    organization's directory (a guest, a password account), or out of reach at the last reach check (outside
    the admin's security group, no mailbox). No query for people read `with_reach` (in this request); one query
    for just these people otherwise."""
    people = list(people)
    if not people:
        return {}
    if all(hasattr(m, "_reach_in_directory") for m in people):
        rows: Iterable[tuple[int, bool | None, bool | None, str | None]] = [
            (m.pk, *(getattr(m, name) for name in _REACH)) for m in people
        ]
    else:
        rows = Membership.objects.filter(
            organization_id=organizer.organization_id, pk__in=[m.pk for m in people]
        ).values_list("pk", *_REACH.values())
    found = {}
    for pk, in_directory, reachable, reason in rows:
        if not in_directory:
            found[pk] = NotEnabled(NO_RECORD, no_mailbox=True)
        elif reachable is False:
            found[pk] = NotEnabled(reason or "")
    return found


def mailbox_addresses(*, organizer: Membership, people: Iterable[Membership]) -> dict[int, str]:
    """Each person's address as their directory record gives it, by membership id: what `free_busy`,
    `suggest_times` and `NewAttendee` take. People without a record are left out (see `not_enabled`)."""
    ids = [m.pk for m in people]

    def lookup() -> GraphClient | None:  # asked only for a record whose address is not stored yet
        if _mode(organizer) != Connection.Mode.DOMAIN_WIDE:
            return None
        return organization_client(organization=organizer.organization)

    found = _call(
        organizer,
        lambda: directory_mailboxes(organization=organizer.organization, membership_ids=ids, lookup=lookup),
    )
    return {pk: mailbox.address for pk, mailbox in found.items()}


def graph_suggests_times(*, organizer: Membership) -> bool:
    """Whether `suggest_times` works for this organizer's organization (individual mode only).

    In domain-wide mode Overlap ranks times itself from `free_busy`: Graph's findMeetingTimes takes no
    app-only token.
    """
    return _mode(organizer) == Connection.Mode.DELEGATED


def free_busy(
    *, organizer: Membership, people: Sequence[str], start: datetime, end: datetime, interval_minutes: int = 15
) -> dict[str, Schedule]:
    """Each person's busy times in [start, end), keyed by the address as given (the organizer may be one).

    A person Microsoft could not read comes back with `error` set: never treat them as free. So does an address
    that is no directory record's (see `mailbox_addresses`): Microsoft is not asked about it.
    """
    return free_busy_over(organizer=organizer, people=people, windows=[(start, end)], interval_minutes=interval_minutes)


def free_busy_over(
    *,
    organizer: Membership,
    people: Sequence[str],
    windows: list[tuple[datetime, datetime]],
    interval_minutes: int = 15,
) -> dict[str, Schedule]:
    """`free_busy` over back-to-back windows of under 62 days each (a series' horizon), read in one $batch."""
    client, mailbox = _client(organizer)
    known = directory_addresses(organization=organizer.organization, addresses=people)
    asked = [p for p in people if p.lower() in known]
    found = _call(
        organizer,
        lambda: client.get_schedules_over(mailbox, asked, windows, interval_minutes) if asked else {},
        names_mailbox_only=True,
    )
    # An address that is no directory record's was never sent: it came from somewhere a member can write.
    unknown = ScheduleError(message=NO_RECORD, response_code="no_mailbox")
    return {p: found.get(p) or Schedule(p, error=unknown) for p in people}


def rooms_offered(*, organizer: Membership) -> bool:
    """Whether members of this organization may ask for a room: an admin turned rooms on, Microsoft granted
    Place.Read.All, and the connection works."""
    connection = _connection_of(organizer)
    return connection is not None and connection.rooms_ready


def rooms_free_busy(
    *, organizer: Membership, rooms: Sequence[str], start: datetime, end: datetime, interval_minutes: int = 15
) -> dict[str, Schedule]:
    """Each room's free/busy in [start, end), keyed by the address as given: getSchedule with room addresses
    (20 a call, a $batch of calls for more), in the organizer's mailbox domain-wide or with the member's own
    getSchedule in individual mode. Only the organization's synced rooms are asked about; any other address
    comes back unreadable. Subjects and locations (a room shows the organizer's name) are dropped by the client.
    """
    client, mailbox = _client(organizer)
    known = set(
        Room.objects.filter(
            organization_id=organizer.organization_id, address__in=[r.lower() for r in rooms]
        ).values_list("address", flat=True)
    )
    asked = [r for r in rooms if r.lower() in known]
    found = _call(
        organizer,
        lambda: client.get_schedules(mailbox, asked, start, end, interval_minutes) if asked else {},
        names_mailbox_only=True,
    )
    unknown = ScheduleError(message="This is not one of the organization's rooms.", response_code="no_room")
    return {r: found.get(r) or Schedule(r, error=unknown) for r in rooms}


def suggest_times(
    *,
    organizer: Membership,
    attendees: Sequence[str],
    start: datetime,
    end: datetime,
    duration: timedelta,
    optional: Sequence[str] = (),
    max_candidates: int = 20,
    activity_domain: str = "work",
    minimum_attendee_percentage: float = 100.0,
) -> MeetingTimeSuggestions:
    """Graph's suggested times in [start, end) for the organizer, the required `attendees` and the `optional`
    ones, in Graph's order with its reasons (individual mode only: one findMeetingTimes as the organizer).

    `activity_domain`: `work` keeps everyone's working hours, `unrestricted` any hour. Graph returns only
    suggestions whose confidence (the attendees' average chance of attending) reaches
    `minimum_attendee_percentage`.
    """
    if not graph_suggests_times(organizer=organizer):
        raise CalendarError(
            "Microsoft suggests times only in individual mode; use free_busy.", code="mode", permanent=True
        )
    client, _ = _client(organizer)
    _only_directory(organizer, [*attendees, *optional])
    return _call(
        organizer,
        lambda: client.find_meeting_times(
            list(attendees),
            start,
            end,
            duration,
            optional=list(optional),
            max_candidates=max_candidates,
            activity_domain=activity_domain,
            minimum_attendee_percentage=minimum_attendee_percentage,
        ),
    )


def event_create(*, organizer: Membership, new: NewEvent) -> Event:
    """Create the meeting once, in the organizer's calendar; Exchange invites the attendees.

    `new.transaction_id` is required (the booking's UUID): a retry after a timeout or a 5xx returns
    the meeting already made instead of making a second one.
    """
    if not new.transaction_id:
        raise ValueError("An event is created with a transaction_id, so that a retry makes no second meeting.")
    client, mailbox = _client(organizer)
    _only_directory(organizer, [a.address for a in new.attendees])
    return _call(organizer, lambda: client.create_event(mailbox, new), names_mailbox_only=True)


def event_find_by_tag(*, organizer: Membership, tag: str) -> Event | None:
    """The event Overlap tagged with `tag` (a booking code) in the organizer's calendar, if it exists.

    For an outcome nobody knows (a create whose reply was lost): a filter on Overlap's own extended
    property, never a listing of the calendar.
    """
    client, mailbox = _client(organizer)
    return _call(organizer, lambda: client.find_event_by_tag(mailbox, tag), names_mailbox_only=True)


def event_reschedule(*, organizer: Membership, event_id: str, start: datetime, end: datetime) -> Event:
    """Move the meeting: only start and end are sent, so the Teams link and the body stay as they are."""
    if not start < end:
        raise ValueError("A meeting must end after it starts.")
    client, mailbox = _client(organizer)
    return _call(organizer, lambda: client.update_event(mailbox, event_id, EventChanges(start=start, end=end)))


def event_cancel(*, organizer: Membership, event_id: str, comment: str = "") -> None:
    """Cancel as the organizer: the attendees get a cancellation with `comment`."""
    client, mailbox = _client(organizer)
    _call(organizer, lambda: client.cancel_event(mailbox, event_id, comment))


def event_change_room(
    *, organizer: Membership, event_id: str, attendees: Sequence[NewAttendee], room: Room | None
) -> Event:
    """Put another room on the meeting, or none: PATCH only `attendees` (the people as they are, the new room as
    a `resource` attendee) and `location`; the start, the end and the Teams link are not sent, so they stay."""
    _only_directory(organizer, [a.address for a in attendees])
    changes = EventChanges(
        attendees=tuple(attendees),
        location=room.name if room else "",
        location_address=room.address if room else "",
    )
    client, mailbox = _client(organizer)
    return _call(organizer, lambda: client.update_event(mailbox, event_id, changes))


def events_read(*, organizer: Membership, event_ids: Iterable[str]) -> dict[str, Event | CalendarError]:
    """Read back Overlap's own events by id, 20 to a $batch: each id maps to its event or its error.

    A cancelled or deleted event maps to a `CalendarError` with `gone` set.
    """
    client, mailbox = _client(organizer)
    results = _call(organizer, lambda: client.get_events(mailbox, event_ids))
    return {event_id: _event_or_error(organizer, found) for event_id, found in results.items()}


def series_occurrences(*, organizer: Membership, event_id: str, lo: datetime, hi: datetime) -> list[Occurrence]:
    """The occurrences of Overlap's own series `event_id` (the id it created) that overlap [lo, hi), sorted by
    start, each with its attendees' answers to it; cancelled ones are not there. Only the series' instances are
    read (a few fields each), never the calendar around them.
    """
    if not lo < hi:
        raise ValueError("The window must end after it starts.")
    client, mailbox = _client(organizer)
    return _call(organizer, lambda: client.series_instances(mailbox, event_id, lo, hi))


def series_occurrences_of(
    *, organizer: Membership, wanted: Mapping[str, tuple[datetime, datetime]]
) -> dict[str, list[Occurrence] | CalendarError]:
    """`series_occurrences` for several of the organizer's series at once (event id -> window), in one $batch of
    20 (read-back's way): each series maps to its occurrences or to its own error (`gone` for a series no longer
    there), so one refused series does not hide the others."""
    if not wanted:
        return {}
    if any(not lo < hi for lo, hi in wanted.values()):
        raise ValueError("Each window must end after it starts.")
    client, mailbox = _client(organizer)
    results = _call(organizer, lambda: client.series_instances_many(mailbox, wanted))
    return {
        event_id: found if isinstance(found, list) else _refused(organizer, found)
        for event_id, found in results.items()
    }


def occurrence_move(*, organizer: Membership, occurrence_id: str, start: datetime, end: datetime) -> Occurrence:
    """Move one occurrence: only its start and end are sent (it becomes an exception; the series, its body and
    its Teams link stay). Moving it onto or past a neighbouring occurrence's day is refused (permanent)."""
    if not start < end:
        raise ValueError("A meeting must end after it starts.")
    client, mailbox = _client(organizer)
    return _call(organizer, lambda: client.move_occurrence(mailbox, occurrence_id, start, end))


def occurrence_cancel(*, organizer: Membership, occurrence_id: str, comment: str = "") -> None:
    """Cancel one occurrence as the organizer: the attendees get a cancellation of that day with `comment`."""
    client, mailbox = _client(organizer)
    _call(organizer, lambda: client.cancel_event(mailbox, occurrence_id, comment))


def series_end(*, organizer: Membership, event_id: str, last_day: date) -> Event:
    """End the series `event_id` on `last_day` (its date in the series' zone), cancelling the occurrences after it:
    Outlook's "this and the following ones" is a shorter range, the pattern and its exceptions until then kept."""
    client, mailbox = _client(organizer)
    return _call(organizer, lambda: client.end_series(mailbox, event_id, last_day))


def series_move(*, organizer: Membership, event_id: str, start: datetime, end: datetime) -> Event:
    """Move the whole series `event_id`: its master's first occurrence to [start, end), every occurrence to that
    time of day in the series' zone; the pattern, the occurrences moved or cancelled, and the Teams link stay."""
    if not start < end:
        raise ValueError("A meeting must end after it starts.")
    client, mailbox = _client(organizer)
    return _call(organizer, lambda: client.move_series(mailbox, event_id, start, end))


def _mode(organizer: Membership) -> str:
    connection = connection_for(organization=organizer.organization)
    if connection is None:
        raise ConnectionNotReady("Microsoft 365 is not connected for this organization.")
    return connection.mode


def _client(organizer: Membership) -> tuple[GraphClient, str]:
    """The client and the mailbox for this organizer, in the organization's mode: their object id (domain-wide),
    never an address; raises `CalendarError` for an organizer without a mailbox in the directory."""
    if _mode(organizer) == Connection.Mode.DOMAIN_WIDE:
        return organization_client(organization=organizer.organization), _organizer_mailbox(organizer).object_id
    try:
        return member_client(membership=organizer), "me"
    except errors.MicrosoftError as error:
        raise _calendar_error(error) from error


def _organizer_mailbox(organizer: Membership) -> Mailbox:
    entry = DirectoryEntry.objects.filter(membership=organizer, account_enabled=True).first()
    if entry is None:
        raise CalendarError(NO_MAILBOX.format(organization=organizer.organization), code="no_mailbox", permanent=True)
    return Mailbox(entry.object_id, entry.mail)


def _only_directory(organizer: Membership, addresses: Iterable[str]) -> None:
    """Refuse, before Microsoft is asked, any address that is not a directory address of the organization (a
    person's, or one of its synced rooms')."""
    wanted = {a.lower() for a in addresses}
    unknown = wanted - directory_addresses(organization=organizer.organization, addresses=wanted)
    if unknown:
        rooms = Room.objects.filter(organization_id=organizer.organization_id, address__in=unknown)
        unknown -= set(rooms.values_list("address", flat=True))
    if unknown:
        who = ", ".join(sorted(unknown))
        raise CalendarError(f"{who}: {NO_RECORD}.", code="no_mailbox", permanent=True)


def _call(organizer: Membership, action: Callable[[], T], *, names_mailbox_only: bool = False) -> T:
    """Run a Graph call for this organizer; its errors leave as `CalendarError`. `names_mailbox_only`: the call's
    path names the organizer's mailbox and no event, so a 404 can only mean the mailbox is gone."""
    try:
        return action()
    except errors.MicrosoftError as error:
        _report(organizer, error)
        if _mailbox_gone(error, names_mailbox_only=names_mailbox_only):
            raise _left_directory(organizer, error) from error
        raise _calendar_error(error) from error


def _mailbox_gone(error: errors.MicrosoftError, *, names_mailbox_only: bool) -> bool:
    return isinstance(error, errors.NotFound) and (names_mailbox_only or error.code.lower() in _MAILBOX_GONE)


def _left_directory(organizer: Membership, error: errors.MicrosoftError) -> CalendarError:
    """A deleted organizer: Microsoft 365 no longer has the mailbox named by their object id. Unless the person
    is there without a mailbox (MailboxNotEnabledForRESTAPI), Entra ID has removed them: their sessions end now."""
    if error.code.lower() != "mailboxnotenabledforrestapi":
        person_left_directory(membership=organizer)
    reason = LEFT_DIRECTORY.format(name=organizer.user.display_name, organization=organizer.organization)
    return CalendarError(reason, code=error.code or "mailbox_gone", permanent=True)


def _event_or_error(organizer: Membership, found: Event | errors.MicrosoftError) -> Event | CalendarError:
    return found if isinstance(found, Event) else _refused(organizer, found)


def _refused(organizer: Membership, error: errors.MicrosoftError) -> CalendarError:
    _report(organizer, error)
    return _calendar_error(error)


def _report(organizer: Membership, error: errors.MicrosoftError) -> None:
    """A refusal of the tenant's consent or of Overlap's registration marks the connection at once; Microsoft not
    answering (after the client's retries) is told to the organization's admins."""
    microsoft_did_not_answer(organization=organizer.organization, error=error)
    # Domain-wide, a 403 outside the access policy concerns one mailbox; any other 403 means the
    # permissions are gone. Acting as a member, a 403 is about what that person may see.
    app_refused = isinstance(error, errors.AccessDenied) and not error.by_policy
    if isinstance(error, _CONNECTION_REFUSALS) or (app_refused and _mode(organizer) == Connection.Mode.DOMAIN_WIDE):
        connection_report_error(organization=organizer.organization, error=error)


def _calendar_error(error: errors.MicrosoftError) -> CalendarError:
    if isinstance(error, errors.ReauthenticationRequired):
        reason = "Microsoft no longer accepts this person's calendar connection: they must connect it again."
    else:
        reason = explain_error(error).message
    return CalendarError(
        reason,
        code=error.code or type(error).__name__,
        permanent=error.permanent,
        gone=isinstance(error, errors.NotFound),
        retry_after=getattr(error, "retry_after", None),
        reconnect=isinstance(error, errors.ReauthenticationRequired),
    )
