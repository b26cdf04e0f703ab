"""Changing a booked series as Outlook does: the near miss's skipped and moved occurrences once the series exists
(the worker), and the organizer's changes from the meeting page: one occurrence moved or cancelled, "this and
the following ones" (the series ended the day before), the whole series moved to another time of day, or the whole
series cancelled.

Occurrences are found in Microsoft by where the pattern put them (`original_start`), read from the instances of
Overlap's own series (by the id it created), never from a calendar listing. Each change is done at most once
whatever retries or a second worker do: a skipped occurrence that Microsoft no longer lists was already
cancelled, a moved one that already stands at its new time was already moved, and the row records what was done.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext

import integrations.calendars as calendars
from accounts.models import User
from booking.engine import Slot
from booking.forms import slot_of
from booking.models import Booking, BookingOccurrence
from booking.occurrences import day_of, organizer_zone
from booking.rules import booking_rules_of
from booking.search.availability import availability_forget
from booking.services import (
    BookingRefused,
    after_reschedule,
    check_people_times,
    organizer_only,
    people_of,
    taken,
)
from integrations.calendars import CalendarError, ConnectionNotReady, Occurrence

State = BookingOccurrence.State
log = logging.getLogger(__name__)
_MARGIN = timedelta(days=1)  # the instances window reaches a day beyond the occurrences looked for


def series_pending_apply(*, booking: Booking) -> int:
    """Cancel the occurrences the member skipped and move those they moved, in the confirmed series; how many were
    done now. A transient `CalendarError` propagates (the task tries again); a permanent one is recorded on the
    occurrence's booking history and the occurrence left as Microsoft has it."""
    pending = list(booking.occurrences.filter(state__in=(State.SKIP, State.MOVE)))
    if booking.state != Booking.State.CONFIRMED or not booking.event_id or not pending:
        return 0
    listed = _listed(booking, pending)
    if listed and not set(listed) & set(booking.occurrences.values_list("original_start", flat=True)):
        # Microsoft's series does not fall where Overlap's does: an occurrence not listed would not mean cancelled.
        log.error("Booking %s: the series in Microsoft 365 does not match its occurrences; nothing skipped", booking.pk)
        return 0
    done = sum(_apply(booking, occurrence, listed.get(occurrence.original_start)) for occurrence in pending)
    booking.hold_times()
    return done


def _listed(booking: Booking, occurrences: list[BookingOccurrence]) -> dict[datetime, Occurrence]:
    lo = min(min(o.original_start, o.start) for o in occurrences) - _MARGIN
    hi = max(max(o.original_start, o.end) for o in occurrences) + _MARGIN
    found = calendars.series_occurrences(organizer=booking.organizer, event_id=booking.event_id, lo=lo, hi=hi)
    return {o.original_start: o for o in found}


def _apply(booking: Booking, occurrence: BookingOccurrence, listed: Occurrence | None) -> bool:
    """One pending change, unless Microsoft already shows it done."""
    if listed is not None:
        occurrence.graph_id = listed.id
    if occurrence.state == State.SKIP:
        if listed is not None:
            _cancel_in_microsoft(booking, listed.id, occurrence.comment)
        occurrence.state = State.CANCELLED
        occurrence.save(update_fields=["state", "graph_id"])
        booking.history.create(kind="occurrence_skipped", state=booking.state, detail=f"{day_of(occurrence):%-d %b}")
        return listed is not None
    if listed is None:  # cancelled in Outlook before Overlap could move it
        occurrence.state, occurrence.cancelled_in_outlook = State.CANCELLED, True
        occurrence.save(update_fields=["state", "cancelled_in_outlook", "graph_id"])
        return False
    moved = (listed.start, listed.end) != (occurrence.start, occurrence.end)
    if moved:
        calendars.occurrence_move(
            organizer=booking.organizer, occurrence_id=listed.id, start=occurrence.start, end=occurrence.end
        )
    occurrence.state, occurrence.moved = State.HELD, True
    occurrence.save(update_fields=["state", "moved", "graph_id"])
    detail = f"{day_of(occurrence):%-d %b} to {occurrence.start:%H:%M} UTC"
    booking.history.create(kind="occurrence_moved", state=booking.state, detail=detail)
    return moved


def _cancel_in_microsoft(booking: Booking, occurrence_id: str, comment: str) -> None:
    try:
        calendars.occurrence_cancel(organizer=booking.organizer, occurrence_id=occurrence_id, comment=comment)
    except CalendarError as error:
        if not error.gone:  # gone: another run cancelled it meanwhile
            raise


def occurrence_slot(*, booking: Booking, occurrence: BookingOccurrence, at: time | None) -> Slot:
    """The occurrence at `at` on its own day of the organizer's clock, as long as it lasts, on the organization's
    grid and in the future."""
    if at is None:
        raise BookingRefused("Say the time to move this occurrence to.")
    zone = organizer_zone(booking)
    start = datetime.combine(day_of(occurrence), at, tzinfo=zone).astimezone(UTC)
    minutes = int((occurrence.end - occurrence.start).total_seconds() // 60)
    try:
        return slot_of(start.isoformat(), minutes, rules=booking_rules_of(organization=booking.organization), zone=zone)
    except ValidationError as error:
        raise BookingRefused(" ".join(error.messages)) from None


def occurrence_cancel(*, booking: Booking, occurrence: BookingOccurrence, actor: User, comment: str = "") -> None:
    """Cancel one occurrence of a confirmed series (organizer only); the attendees are told, with `comment`."""
    _changeable(booking, actor, occurrence)
    listed = _listed(booking, [occurrence]).get(occurrence.original_start) if not occurrence.graph_id else None
    occurrence_id = occurrence.graph_id or (listed.id if listed else "")
    try:
        if occurrence_id:
            _cancel_in_microsoft(booking, occurrence_id, comment)
    except (CalendarError, ConnectionNotReady) as error:
        raise BookingRefused(getattr(error, "reason", str(error))) from None
    with transaction.atomic():
        occurrence.state, occurrence.comment, occurrence.graph_id = State.CANCELLED, comment, occurrence_id
        occurrence.save(update_fields=["state", "comment", "graph_id"])
        booking.history.create(
            actor=actor, kind="occurrence_cancelled", state=booking.state, detail=_said(occurrence, comment)
        )
        booking.hold_times()
    availability_forget(organization=booking.organization, people=people_of(booking))


def occurrence_reschedule(*, booking: Booking, occurrence: BookingOccurrence, actor: User, slot: Slot) -> None:
    """Move one occurrence (organizer only) after a fresh check of the new time, on its own day in the organizer's
    zone (Microsoft refuses a move onto or past a neighbour's day); start and end only, so the Teams link stays."""
    _changeable(booking, actor, occurrence)
    if slot.start.astimezone(organizer_zone(booking)).date() != day_of(occurrence):
        raise BookingRefused("An occurrence moves within its own day; to change every one, move the series.")
    _fresh(booking, occurrence, slot)
    listed = _listed(booking, [occurrence]).get(occurrence.original_start)
    if listed is None:
        raise BookingRefused("Microsoft 365 no longer has this occurrence (cancelled in Outlook?).")
    previous = (occurrence.start, occurrence.end)
    try:
        with transaction.atomic():
            occurrence.start, occurrence.end, occurrence.moved, occurrence.graph_id = (
                slot.start,
                slot.end,
                True,
                listed.id,
            )
            occurrence.save(update_fields=["start", "end", "moved", "graph_id"])
            booking.hold_times()
            calendars.occurrence_move(
                organizer=booking.organizer, occurrence_id=listed.id, start=slot.start, end=slot.end
            )
            detail = f"{day_of(occurrence):%-d %b} to {slot.start:%H:%M} UTC"
            booking.history.create(actor=actor, kind="occurrence_moved", state=booking.state, detail=detail)
    except IntegrityError:
        occurrence.start, occurrence.end = previous
        raise BookingRefused(
            gettext("This time overlaps another meeting booked through Overlap for someone in it.")
        ) from None
    except (CalendarError, ConnectionNotReady) as error:
        occurrence.start, occurrence.end = previous
        raise BookingRefused(getattr(error, "reason", str(error))) from None
    availability_forget(organization=booking.organization, people=people_of(booking))


def series_end_from(*, booking: Booking, occurrence: BookingOccurrence, actor: User, comment: str = "") -> None:
    """Cancel this occurrence and the following ones (organizer only): the series ends the day before it, as
    Outlook does it; the occurrences before it, their changes and the Teams link stay."""
    _changeable(booking, actor, occurrence)
    earlier = booking.occurrences.filter(original_start__lt=occurrence.original_start)
    if not earlier.exists():
        raise BookingRefused("This is the series' first occurrence: cancel the whole series instead.")
    last_day = day_of(occurrence) - timedelta(days=1)
    try:
        calendars.series_end(organizer=booking.organizer, event_id=booking.event_id, last_day=last_day)
    except (CalendarError, ConnectionNotReady) as error:
        raise BookingRefused(getattr(error, "reason", str(error))) from None
    with transaction.atomic():
        later = booking.occurrences.filter(original_start__gte=occurrence.original_start)
        later.exclude(state=State.CANCELLED).update(state=State.CANCELLED, comment=comment)
        detail = _said(occurrence, comment, "from ")
        booking.history.create(actor=actor, kind="series_ended", state=booking.state, detail=detail)
        booking.hold_times()
    availability_forget(organization=booking.organization, people=people_of(booking))


def series_move(*, booking: Booking, actor: User, at: time | None) -> None:
    """Move the whole series to `at` (a time of the organizer's day; organizer only), as Outlook does: the master's
    start and end are PATCHed, so every occurrence the pattern places moves to that time of its own day. The
    occurrences moved or cancelled before keep their changes (a time of day is not the pattern: M365-FACTS §10),
    so they are neither checked nor moved here. Every remaining occurrence is checked at its new time first."""
    organizer_only(booking=booking, actor=actor)
    _series_changeable(booking)
    if at is None:
        raise BookingRefused("Say the time to move the series to.")
    zone, length = organizer_zone(booking), booking.end - booking.start
    rows = list(booking.occurrences.all())
    following = [o for o in rows if not (o.moved or o.moved_in_outlook)]  # where the pattern places them
    new = {o.pk: datetime.combine(day_of(o), at, tzinfo=zone).astimezone(UTC) for o in rows}
    first = datetime.combine(booking.start.astimezone(zone).date(), at, tzinfo=zone).astimezone(UTC)
    if (first, first + length) == (booking.start, booking.end):
        raise BookingRefused(f"The series is already at {at:%H:%M}.")
    _fresh_series(booking, [(new[o.pk], new[o.pk] + length) for o in following if o.is_held and o.end > _now()])
    previous = {o.pk: (o.original_start, o.start, o.end) for o in rows}
    try:
        with transaction.atomic():
            for row in rows:
                row.original_start = new[row.pk]  # where the pattern now puts it (Graph's originalStart)
                if row in following:
                    row.start, row.end = new[row.pk], new[row.pk] + length
            BookingOccurrence.objects.bulk_update(rows, ["original_start", "start", "end"])
            booking.move(
                Booking.State.CONFIRMED,
                actor=actor,
                kind="series_moved",
                detail=f"every occurrence to {at:%H:%M}",
                start=first,
                end=first + length,
            )
            event = calendars.series_move(
                organizer=booking.organizer, event_id=booking.event_id, start=first, end=first + length
            )
    except IntegrityError:
        _undo(booking, rows, previous)
        raise BookingRefused(
            gettext("This time overlaps another meeting booked through Overlap for someone in it.")
        ) from None
    except (CalendarError, ConnectionNotReady) as error:
        _undo(booking, rows, previous)
        raise BookingRefused(getattr(error, "reason", str(error))) from None
    after_reschedule(booking, event, actor)


def _series_changeable(booking: Booking) -> None:
    if booking.state != Booking.State.CONFIRMED or not booking.recurrence:
        raise BookingRefused(f"A {booking.get_state_display().lower()} meeting cannot be changed.")
    if booking.occurrences.filter(state__in=BookingOccurrence.UNDONE).exists():
        raise BookingRefused("The occurrences skipped or moved when booking are still being done: try again soon.")
    if not booking.occurrences.filter(state=State.HELD, end__gt=_now()).exists():
        raise BookingRefused("No occurrence of this series is still to come.")


def _fresh_series(booking: Booking, times: list[tuple[datetime, datetime]]) -> None:
    """Fresh free/busy and the rules at every remaining occurrence's new time; the series' own present times are
    itself, not a clash (the guard judges Overlap's bookings)."""
    own = [(o.start, o.end) for o in booking.occurrences.all() if o.is_held]
    try:
        check = check_people_times(booking, times, itself=own)
    except (CalendarError, ConnectionNotReady) as error:
        raise BookingRefused(getattr(error, "reason", str(error))) from None
    if not check.free:
        raise BookingRefused(taken(check.problems))


def _undo(
    booking: Booking, rows: list[BookingOccurrence], previous: dict[int, tuple[datetime, datetime, datetime]]
) -> None:
    """The transaction rolled back the rows; the objects in memory say what the database says again."""
    for row in rows:
        row.original_start, row.start, row.end = previous[row.pk]
    booking.refresh_from_db()


def _now() -> datetime:
    return datetime.now(UTC)


def _changeable(booking: Booking, actor: User, occurrence: BookingOccurrence) -> None:
    organizer_only(booking=booking, actor=actor)
    if booking.state != Booking.State.CONFIRMED or not booking.recurrence:
        raise BookingRefused(f"A {booking.get_state_display().lower()} meeting cannot be changed.")
    if occurrence.booking_id != booking.pk:
        raise BookingRefused("This meeting has no such occurrence.")
    if occurrence.state != State.HELD:
        raise BookingRefused(
            f"The occurrence of {day_of(occurrence):%-d %b} is {occurrence.get_state_display().lower()}."
        )
    if occurrence.end <= datetime.now(occurrence.end.tzinfo):
        raise BookingRefused("This occurrence is over.")


def _fresh(booking: Booking, occurrence: BookingOccurrence, slot: Slot) -> None:
    """Fresh availability of the new time; its own old time is judged by the guard alone (it blocks itself)."""
    check = check_people_times(booking, [(slot.start, slot.end)])
    overlaps_itself = slot.start < occurrence.end and occurrence.start < slot.end
    if not check.free and not overlaps_itself:
        raise BookingRefused(taken(check.problems))


def _said(occurrence: BookingOccurrence, comment: str, prefix: str = "") -> str:
    day = f"{prefix}{day_of(occurrence):%-d %b}"
    return f"{day}: {comment}" if comment else day
