"""What booking asks of Microsoft: free/busy, suggested times, and the meetings Overlap creates.

Booking imports this module and the result types it names, nothing else of the integration. The
organization's mode decides how each call is made, and booking never sees it: domain-wide acts in
the organizer's mailbox with the tenant's app-only token; individual mode acts as the organizer with
their own grant. Every failure leaves as a `CalendarError` (or `ConnectionNotReady` when the
organization is not connected); a refusal of the whole connection is recorded on it at once, so the
admins see it and no further call goes out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from accounts.models import Membership
from integrations.connection import (
    ConnectionNotReady,
    connection_report_error,
    member_client,
    organization_client,
)
from integrations.explain import explain_error
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
    Schedule,
    ScheduleError,
    WorkingHours,
)
from integrations.models import CalendarGrant, Connection, MailboxReach

__all__ = [
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
    "Readiness",
    "Schedule",
    "ScheduleError",
    "WorkingHours",
    "calendar_readiness",
    "event_cancel",
    "event_create",
    "event_find_by_tag",
    "event_reschedule",
    "events_read",
    "free_busy",
    "graph_suggests_times",
    "not_enabled",
    "suggest_times",
]

T = TypeVar("T")
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
    their own calendar first. Who the admin's security group keeps out is `not_enabled`'s answer.
    """

    problem: str = ""
    connect_calendar: bool = False
    graph_suggests: bool = False


def calendar_readiness(*, organizer: Membership) -> Readiness:
    """What the booking page needs to know before it searches; asks nothing of Microsoft."""
    connection = Connection.objects.filter(organization=organizer.organization).first()
    if connection is None or not connection.is_active:
        status = connection.get_status_display().lower() if connection else "not configured"
        fix = connection.last_error_fix if connection and connection.last_error_fix else ""
        who = "you must" if organizer.is_admin else "an admin of your organization must"
        problem = f"Microsoft 365 is {status} for {organizer.organization}: {who} connect it on the integration page."
        return Readiness(problem=f"{problem} {fix}".strip())
    delegated = connection.mode == Connection.Mode.DELEGATED
    if (
        delegated
        and not CalendarGrant.objects.filter(membership=organizer, status=CalendarGrant.Status.CONNECTED).exists()
    ):
        return Readiness(
            problem="Your organization uses individual calendar connections: connect your calendar first.",
            connect_calendar=True,
            graph_suggests=True,
        )
    return Readiness(graph_suggests=delegated)


def not_enabled(*, organizer: Membership, people: Iterable[Membership]) -> dict[int, str]:
    """Which of these people the last reach check found out of Overlap's reach (outside the admin's security
    group, no mailbox), by membership id, with the reason. One query for just these people."""
    ids = [m.pk for m in people]
    if not ids:
        return {}
    rows = MailboxReach.objects.filter(organization_id=organizer.organization_id, membership_id__in=ids)
    return dict(rows.filter(reachable=False).values_list("membership_id", "reason"))


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

    A person Microsoft could not read comes back with `error` set: never treat them as free.
    """
    client, mailbox = _client(organizer)
    return _call(organizer, lambda: client.get_schedules(mailbox, list(people), start, end, interval_minutes))


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
    return _call(organizer, lambda: client.create_event(mailbox, new))


def event_find_by_tag(*, organizer: Membership, tag: str) -> Event | None:
    """The event Overlap tagged with `tag` (a booking code) in the organizer's calendar, if it exists.

    For an outcome nobody knows (a create whose reply was lost): a filter on Overlap's own extended
    property, never a listing of the calendar.
    """
    client, mailbox = _client(organizer)
    return _call(organizer, lambda: client.find_event_by_tag(mailbox, tag))


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


def events_read(*, organizer: Membership, event_ids: Iterable[str]) -> dict[str, Event | CalendarError]:
    """Read back Overlap's own events by id, 20 to a $batch: each id maps to its event or its error.

    A cancelled or deleted event maps to a `CalendarError` with `gone` set.
    """
    client, mailbox = _client(organizer)
    results = _call(organizer, lambda: client.get_events(mailbox, event_ids))
    return {event_id: _event_or_error(organizer, found) for event_id, found in results.items()}


def _mode(organizer: Membership) -> str:
    connection = Connection.objects.filter(organization=organizer.organization).first()
    if connection is None:
        raise ConnectionNotReady("Microsoft 365 is not connected for this organization.")
    return connection.mode


def _client(organizer: Membership) -> tuple[GraphClient, str]:
    """The client and the mailbox path for this organizer, in the organization's mode."""
    if _mode(organizer) == Connection.Mode.DOMAIN_WIDE:
        return organization_client(organization=organizer.organization), organizer.user.email
    try:
        return member_client(membership=organizer), "me"
    except errors.MicrosoftError as error:
        raise _calendar_error(error) from error


def _call(organizer: Membership, action: Callable[[], T]) -> T:
    try:
        return action()
    except errors.MicrosoftError as error:
        _report(organizer, error)
        raise _calendar_error(error) from error


def _event_or_error(organizer: Membership, found: Event | errors.MicrosoftError) -> Event | CalendarError:
    if isinstance(found, Event):
        return found
    _report(organizer, found)
    return _calendar_error(found)


def _report(organizer: Membership, error: errors.MicrosoftError) -> None:
    """A refusal of the tenant's consent or of Overlap's registration marks the connection at once."""
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
