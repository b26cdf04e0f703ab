"""How a room answers an invitation: Exchange's resource booking assistant, by the room's policy.

Sources: M365-FACTS §11; Set-CalendarProcessing (MicrosoftDocs/office-docs-powershell); msgraph-sdk-dotnet#2001.

- A meeting reaches a room like any attendee in the tenant (`calendar_meetings.deliver`): the room's calendar
  gets a tentative copy and the organizer's copy shows the room's `status.response` as `none`, also in the 201.
- The room answers asynchronously. Here the answer is given at the tenant's next Graph request after the one
  that invited it (or moved the meeting), or at once through the control API (`POST /_emulator/rooms/answer`):
  deterministic for tests, and like Exchange a caller never sees the answer in the reply that sent the invitation.
- `AutoAccept`: accept when free, decline on a conflict (`AllowConflicts` false), past the booking window
  (`BookingWindowInDays` from now; a series running past it is declined with `EnforceSchedulingHorizon`, so a
  `noEnd` series is), longer than `MaximumDurationInMinutes` (per occurrence), a series when
  `AllowRecurringMeetings` is false, and any meeting for a room whose bookingType is `reserved`.
  A series is declined when its conflicting occurrences exceed `MaximumConflictInstances` or
  `ConflictPercentageAllowed` (both 0 by default: one conflict declines the whole series); below both it is
  accepted (Exchange would then decline only the conflicting occurrences, which the emulator does not model).
- `AutoUpdate` (a delegate decides) and `None`: no automatic answer; the copy stays tentative.
- Accepting makes the room's copy busy; declining removes it from the room's calendar (the organizer's copy
  records either). A cancelled meeting's copy is marked cancelled, which frees the room.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from m365_emulator.calendar import CalendarStore, Event
from m365_emulator.calendar_meetings import respond
from m365_emulator.state import DirectoryUser, Tenant

BLOCKING = {"busy", "oof", "tentative"}
_SERIES_REACH = timedelta(days=3 * 366)  # how far past the booking window a series is looked at
PENDING = {"notResponded", "none"}


def rooms_invited(tenant: Tenant, event: Event) -> list[DirectoryUser]:
    """The room mailboxes among a meeting's attendees (whatever their attendee type: the room gets the invitation)."""
    found: dict[str, DirectoryUser] = {}
    for attendee in event.attendees:
        mailbox = tenant.user_by_address(attendee.address)
        if mailbox is not None and mailbox.room is not None:
            found[mailbox.id] = mailbox
    return list(found.values())


def invite(tenant: Tenant, event: Event) -> None:
    """A meeting was created or changed by its organizer: its rooms will answer (again) at the next request."""
    for room in rooms_invited(tenant, event):
        key = (event.ical_uid, room.id)
        if key not in tenant.room_answers_due:
            tenant.room_answers_due.append(key)


def answer_due(tenant: Tenant, now: datetime | None = None) -> int:
    """Let every room with an unanswered invitation answer, oldest first; how many answered."""
    if not tenant.room_answers_due or tenant.calendars is None:
        return 0
    store: CalendarStore = tenant.calendars
    answered = 0
    with store.lock:
        due, tenant.room_answers_due = tenant.room_answers_due, []
        for ical_uid, room_id in due:
            answered += _answer(store, tenant, ical_uid, room_id, now or datetime.now(UTC))
    return answered


def _answer(store: CalendarStore, tenant: Tenant, ical_uid: str, room_id: str, now: datetime) -> int:
    room = tenant.rooms.get(room_id)
    copy = next((e for e in store.copies(ical_uid) if e.mailbox_id == room_id and not e.is_organizer), None)
    if room is None or room.room is None or copy is None or copy.is_cancelled or copy.response not in PENDING:
        return 0
    verdict = decide(store, room, copy, now)
    if verdict is None:
        return 0
    respond(store, tenant, copy, verdict, now)
    return 1


def decide(store: CalendarStore, room: DirectoryUser, copy: Event, now: datetime) -> str | None:
    """ "accepted", "declined", or None when the policy gives no automatic answer."""
    assert room.room is not None
    policy = room.room.policy
    if policy.automate_processing.lower() != "autoaccept":
        return None
    if room.room.booking_type == "reserved" or refused_by_rules(room, copy, now):
        return "declined"
    return "declined" if too_many_conflicts(store, room, copy, now) else "accepted"


def refused_by_rules(room: DirectoryUser, event: Event, now: datetime) -> bool:
    """Recurring not allowed, too long, or past the booking window."""
    assert room.room is not None
    policy = room.room.policy
    if event.recurrence is not None and not policy.allow_recurring_meetings:
        return True
    if event.duration > timedelta(minutes=policy.maximum_duration_in_minutes):
        return True
    horizon = now + timedelta(days=policy.booking_window_in_days)
    if event.recurrence is None:
        return event.end > horizon
    if next(event.occurrences(horizon, horizon + _SERIES_REACH), None) is not None:
        return policy.enforce_scheduling_horizon
    return next(event.occurrences(now, horizon), None) is None


def too_many_conflicts(store: CalendarStore, room: DirectoryUser, event: Event, now: datetime) -> bool:
    assert room.room is not None
    policy = room.room.policy
    if policy.allow_conflicts:
        return False
    horizon = now + timedelta(days=policy.booking_window_in_days)
    lo = min(event.start, now) if event.recurrence is None else now
    occurrences = list(event.occurrences(lo, horizon))
    clashes = sum(1 for start, end in occurrences if clashes_with(store, room.id, event.ical_uid, start, end))
    if event.recurrence is None:
        return clashes > 0
    share = 100 * clashes / max(len(occurrences), 1)
    return clashes > policy.maximum_conflict_instances or share > policy.conflict_percentage_allowed


def clashes_with(store: CalendarStore, room_id: str, ical_uid: str, start: datetime, end: datetime) -> bool:
    """Whether the room holds another booking then: accepted or booked directly, not one still waiting."""
    for instance in store.instances(room_id, start, end):
        other = instance.event
        if other.ical_uid == ical_uid or instance.status not in BLOCKING:
            continue
        if not other.is_organizer and other.response in PENDING:
            continue  # an invitation the room has not answered yet holds nothing
        if instance.start < int(end.timestamp()) and instance.end > int(start.timestamp()):
            return True
    return False
