"""Booking's writes: book, confirm in Microsoft 365, try again, reschedule, cancel.

Every move of a booking goes through `Booking.move` (checked, recorded once). Microsoft is reached only
through `integrations.calendars`. The meeting is created once, in the organizer's mailbox, with the
booking's UUID as transactionId and its code as Overlap's tag, so that no retry makes a second one.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

from celery import current_app
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

import integrations.calendars as calendars
from accounts.models import Membership, User
from booking import preferences
from booking.engine import Slot
from booking.engine.recurrence import Recurrence
from booking.models import NOT_ANSWERING, Booking, IllegalMove, Participant, lock_guards
from booking.occurrences import NearMiss, occurrences_record
from booking.search.availability import (
    SearchResult,
    SlotCheck,
    availability_check_slot,
    availability_check_times,
    availability_forget,
    member_zone,
)
from booking.search.page import new_times_for
from booking.search.rooms import RoomAsk, free_rooms_at, room_is_free
from booking.selectors import booking_people
from booking.series import recurrence_from_json, recurrence_json, series_rule
from integrations.calendars import CalendarError, ConnectionNotReady, Event, NewAttendee, NewEvent

ROOM_HELD = (Booking.State.PENDING, Booking.State.CONFIRMED)  # as the room guard holds a room (migration 0008)
log = logging.getLogger(__name__)
CONFIRM_TASK = "booking.tasks.confirm_booking"  # the task that runs booking_confirm


class BookingRefused(Exception):
    """A booking, a reschedule or a cancel that cannot be done; `message` says why in words a member reads."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RoomTaken(BookingRefused):
    """The room was booked through Overlap for this time since the page showed it; `other` is a fitting room
    free for the same time (None when there is none), for the member to take instead."""

    def __init__(self, message: str, other: calendars.Room | None) -> None:
        super().__init__(message)
        self.other = other


def booking_create(
    *,
    organizer: Membership,
    required: Sequence[Membership],
    optional: Sequence[Membership],
    slot: Slot,
    subject: str,
    agenda: str = "",
    teams: bool = True,
    recurrence: Recurrence | None = None,
    near_miss: NearMiss | None = None,
    room: calendars.Room | None = None,
    room_ask: RoomAsk | None = None,
) -> Booking:
    """Commit the booking PENDING (the guard refuses a person's overlapping booking) and enqueue its confirmation.

    With `recurrence`, one series: `slot` is its first occurrence, and Microsoft gets one series event; every
    occurrence is recorded and guarded. `near_miss` names the occurrences (by their day in the organizer's zone)
    to skip or move: the worker does it once the series exists (`booking.series_changes`). With `room` (and the
    `room_ask` it was chosen for), the room is booked with the meeting: a room another Overlap booking holds at
    this time raises `RoomTaken` with another fitting room free then, if any."""
    _refuse_unless_ready(organizer)
    try:
        with transaction.atomic():
            booking = Booking.objects.create(
                organization=organizer.organization,
                organizer=organizer,
                start=slot.start,
                end=slot.end,
                subject=subject,
                agenda=agenda,
                teams=teams,
                recurrence=recurrence_json(recurrence) if recurrence else None,
                **_room_fields(room, room_ask),
            )
            if recurrence:
                occurrences_record(booking=booking, recurrence=recurrence, near_miss=near_miss or NearMiss())
            _add_participants(booking, organizer, required, optional)
            booking.history.create(actor=organizer.user, kind="booked", state=booking.state)
            if room is not None:
                preferences.room_preference_save(membership=organizer, room=room)
            _enqueue_confirm(booking)
    except IntegrityError:  # the people's guard refuses inside (`_add_participants`): this is the room's
        if room is None or room_ask is None:
            raise
        raise _room_taken(organizer, room, room_ask, slot) from None
    return booking


def _room_fields(room: calendars.Room | None, ask: RoomAsk | None) -> dict[str, object]:
    if room is None:
        return {}
    need = ask.as_json() if ask else None
    return {
        "room": room,
        "room_name": room.name,
        "room_address": room.address,
        "room_response": "none",
        "room_need": need,
    }


def _room_taken(organizer: Membership, room: calendars.Room, ask: RoomAsk, slot: Slot) -> RoomTaken:
    """The room went to another Overlap booking: offer the first fitting room free then (Microsoft's calendars
    and Overlap's own bookings both), or say there is none."""
    taken = gettext("%(room)s was booked for this time since you searched.") % {"room": room.name}
    try:
        held = _rooms_held(organizer, slot.start, slot.end, excluding=None)
        rooms = free_rooms_at(organizer=organizer, ask=ask, start=slot.start, end=slot.end, excluding=[room.address])
    except (CalendarError, ConnectionNotReady):
        rooms, held = [], set()
    other = next((r for r in rooms if r.address not in held), None)
    if other is None:
        return RoomTaken(f"{taken} {gettext('No other fitting room is free then: search again.')}", None)
    return RoomTaken(f"{taken} {gettext('%(room)s is free then: book it instead?') % {'room': other.name}}", other)


def _rooms_held(organizer: Membership, start: datetime, end: datetime, *, excluding: Booking | None) -> set[str]:
    """The rooms Overlap's own bookings hold in [start, end) (as the room guard counts them)."""
    held = (
        Booking.objects.filter(
            organization_id=organizer.organization_id, state__in=ROOM_HELD, start__lt=end, end__gt=start
        )
        .exclude(room_address="")
        .exclude(room_response="declined")
    )
    if excluding is not None:
        held = held.exclude(pk=excluding.pk)
    return set(held.values_list("room_address", flat=True))


def _refuse_unless_ready(organizer: Membership) -> None:
    problem = calendars.calendar_readiness(organizer=organizer).problem
    if problem:
        raise BookingRefused(problem)


def _add_participants(
    booking: Booking, organizer: Membership, required: Sequence[Membership], optional: Sequence[Membership]
) -> None:
    """The booking's people, then each guarded person's holds on its times, one person at a time so that the
    refusal names who is double-booked."""
    roles = [(organizer, Participant.Role.ORGANIZER), *((m, Participant.Role.REQUIRED) for m in required)]
    roles += [(m, Participant.Role.OPTIONAL) for m in optional]
    for membership, role in roles:
        response = Participant.Response.ORGANIZER if role == Participant.Role.ORGANIZER else Participant.Response.NONE
        booking.participants.create(
            membership=membership, role=role, response=response, guarded=role != Participant.Role.OPTIONAL
        )
    lock_guards(m.pk for m, role in roles if role != Participant.Role.OPTIONAL)  # all at once, in id order
    for membership, role in roles:
        if role == Participant.Role.OPTIONAL:
            continue
        try:
            with transaction.atomic():
                booking.hold_times(people=[membership.pk])
        except IntegrityError:
            raise BookingRefused(
                gettext("This time overlaps another meeting booked through Overlap for %(name)s.")
                % {"name": membership.user.display_name}
            ) from None


def _enqueue_confirm(booking: Booking) -> None:
    booking_confirm_enqueue(booking_id=booking.pk)


def booking_confirm_enqueue(*, booking_id: int) -> None:
    """Send the booking's confirmation to the workers once the current transaction commits.

    The booking is committed by then and holds its slot: a broker that does not answer (or, in-process, a
    confirmation that met a transient error) is logged, the member sees "Creating your meeting…", and the
    sweep (`booking.sweep`) sends it again; it never turns into an error page.
    """
    transaction.on_commit(lambda: _send_confirm(booking_id))


def _send_confirm(booking_id: int) -> None:
    # By name, as the beat does: the task calls this module, so importing it here would close a circle. Django
    # registers it on start (booking.apps).
    try:
        current_app.tasks[CONFIRM_TASK].delay(booking_id)
    except Exception:  # after the commit, anything raised here would only turn a saved booking into a 500
        log.exception("Booking %s is saved but its confirmation was not sent; the sweep sends it again", booking_id)


def booking_microsoft_not_answering(*, booking_id: int, reason: str) -> None:
    """A try met Microsoft not answering and another comes later: recorded once per spell, for the meeting page
    to say that Microsoft 365 is not answering and that Overlap keeps trying."""
    booking = Booking.objects.get(pk=booking_id)
    last = booking.history.order_by("at", "id").last()
    if booking.state == Booking.State.PENDING and (last is None or last.kind != NOT_ANSWERING):
        booking.history.create(kind=NOT_ANSWERING, state=booking.state, detail=reason)


def booking_confirm_later(*, booking_id: int, seconds: float = 0) -> None:
    """Record that a confirmation is under way or due again in `seconds`: the sweep leaves the booking alone until
    then plus BOOKING_SWEEP_AFTER_SECONDS, so that one booking never has two retry chains."""
    due = timezone.now() + timedelta(seconds=seconds)
    Booking.objects.filter(pk=booking_id, state=Booking.State.PENDING).update(updated=due)


def booking_confirm(*, booking: Booking) -> str:
    """Create the meeting in Microsoft 365 and confirm the booking; idempotent, safe to run again.

    A permanent refusal fails the booking with its reason; a transient `CalendarError` propagates, for
    the task to retry later. A booking whose create was already attempted (the reply may have been lost)
    is first looked up by its tag, so that a retry adopts the meeting rather than making a second one.
    """
    booking.refresh_from_db()
    if booking.state != Booking.State.PENDING:
        return booking.state
    organizer = booking.organizer
    try:
        event = _existing_event(booking) or _create_event(booking)
    except ConnectionNotReady as exc:
        return booking_fail(booking=booking, reason=str(exc), fix="admin")
    except CalendarError as error:
        if not error.permanent and not error.reconnect:
            raise
        return booking_fail(booking=booking, reason=error.reason, fix="reconnect" if error.reconnect else "admin")
    if event is None:
        return booking.state
    _confirm(booking, event, actor=None)
    availability_forget(organization=organizer.organization, people=people_of(booking))
    return booking.state


def _existing_event(booking: Booking) -> Event | None:
    if booking.create_attempted_at is None:
        return None
    return calendars.event_find_by_tag(organizer=booking.organizer, tag=str(booking.code))


def _create_event(booking: Booking) -> Event | None:
    """Check the slot (every standing occurrence of a series) with fresh availability, then create the event once;
    None when a time is taken."""
    participants = _participants(booking)
    check = _check_times(booking, participants, [(start, end) for _, start, end in booking.times()])
    if not check.free:
        made = _made_meanwhile(booking)
        if made is None:
            _slot_not_free(booking, check)
        return made
    if booking.room_address and not _room_ready(booking):
        return None
    Booking.objects.filter(pk=booking.pk).update(create_attempted_at=timezone.now())
    return calendars.event_create(organizer=booking.organizer, new=_new_event(booking, participants))


def _room_ready(booking: Booking) -> bool:
    """The booking's room is still free (fresh from Microsoft), or else another fitting room free for the time
    takes its place (recorded for the member to see); False when none is, and the booking failed saying so.
    Microsoft not answering raises, for the task to try again."""
    organizer, start, end = booking.organizer, booking.start, booking.end
    if room_is_free(organizer=organizer, address=booking.room_address, start=start, end=end):
        return True
    ask, taken = RoomAsk.from_json(booking.room_need), booking.room_name
    held = _rooms_held(organizer, start, end, excluding=booking)
    others = (
        []
        if ask is None
        else free_rooms_at(organizer=organizer, ask=ask, start=start, end=end, excluding=[booking.room_address])
    )
    for room in (r for r in others if r.address not in held):
        if _room_switch(booking, room, f"{taken} was booked meanwhile; {room.name} is free at this time instead."):
            return True
    reason = gettext("%(room)s was booked meanwhile, and no other fitting room is free at this time") % {"room": taken}
    booking_fail(booking=booking, reason=reason, fix="other_time")
    return False


def _room_switch(booking: Booking, room: calendars.Room, detail: str, *, actor: User | None = None) -> bool:
    """Put `room` on the booking (the room guard may refuse it: False), with a line in its history."""
    try:
        with transaction.atomic():
            Booking.objects.filter(pk=booking.pk).update(
                room=room, room_name=room.name, room_address=room.address, room_response="none"
            )
            booking.history.create(actor=actor, kind="room_changed", state=booking.state, detail=detail)
    except IntegrityError:
        return False
    booking.refresh_from_db()
    return True


def _made_meanwhile(booking: Booking) -> Event | None:
    """The meeting another run of this same confirmation made since this one looked (the sweep sending again a
    booking still waiting in a busy queue): that meeting is what makes the slot look taken, and it is adopted."""
    booking.refresh_from_db(fields=["create_attempted_at"])
    return _existing_event(booking)


def _slot_not_free(booking: Booking, check: SlotCheck) -> None:
    """Why the fresh check said no, decided by types, never by words: the organizer's calendar connection,
    Microsoft refusing for good (the organizer has left the directory), Microsoft not answering, or a busy person.

    Microsoft not answering is transient: it raises, for the task to try again after a while.
    """
    readiness = calendars.calendar_readiness(organizer=booking.organizer)
    if readiness.problem and readiness.connect_calendar:
        booking_fail(booking=booking, reason=readiness.problem, fix="reconnect")
    elif check.refused:  # Microsoft's own word (e.g. the organizer has left the directory) says the most
        booking_fail(booking=booking, reason=check.refused.reason, fix="admin")
    elif readiness.problem:
        booking_fail(booking=booking, reason=readiness.problem, fix="admin")
    elif check.error is not None:  # Microsoft could not be asked: a transient error, tried again later
        raise CalendarError(" ".join(check.problems), code="slot_check", permanent=False)
    else:
        booking_fail(booking=booking, reason=taken(check.problems), fix="other_time")


def _new_event(booking: Booking, participants: list[Participant]) -> NewEvent:
    """The meeting as Microsoft is asked to create it: each attendee at the address of their directory record,
    never `User.email` (which a member can change); one without a record is refused by `event_create`."""
    attendees = _invited(booking, participants)
    return NewEvent(
        subject=booking.subject,
        start=booking.start,
        end=booking.end,
        attendees=attendees + _room_attendee(booking),
        body=booking.agenda,
        location=booking.room_name if booking.room_address else "",
        location_address=booking.room_address,
        teams=booking.teams,
        transaction_id=str(booking.code),
        tag=str(booking.code),
        recurrence=_series_rule(booking),
    )


def _invited(booking: Booking, participants: list[Participant]) -> tuple[NewAttendee, ...]:
    """The people invited, each at their directory record's address (never `User.email`) with their role."""
    invited = [p for p in participants if p.role != Participant.Role.ORGANIZER]
    addresses = calendars.mailbox_addresses(organizer=booking.organizer, people=[p.membership for p in invited])
    missing = [p.user.display_name for p in invited if p.membership_id not in addresses]
    if missing:
        raise CalendarError(f"{', '.join(missing)}: {calendars.NO_RECORD}.", code="no_mailbox", permanent=True)
    return tuple(NewAttendee(addresses[p.membership_id], p.user.display_name, p.role) for p in invited)


def _room_attendee(booking: Booking) -> tuple[NewAttendee, ...]:
    """The room as a `resource` attendee at its directory address: what books it (the location only names it)."""
    return (NewAttendee(booking.room_address, booking.room_name, "resource"),) if booking.room_address else ()


def _series_rule(booking: Booking) -> calendars.SeriesRule | None:
    """A series' rule in the organizer's page zone: the clock the series' times were searched and shown in."""
    if not booking.recurrence:
        return None
    return series_rule(recurrence_from_json(booking.recurrence), member_zone(booking.organizer))


def _confirm(booking: Booking, event: Event, *, actor: User | None) -> None:
    with transaction.atomic():
        claimed = Booking.objects.select_for_update().get(pk=booking.pk)
        if claimed.state != Booking.State.PENDING:
            return
        claimed.move(
            Booking.State.CONFIRMED,
            actor=actor,
            kind="confirmed",
            detail="The meeting stands in Microsoft 365; Exchange sent the invitations.",
            event_id=event.id,
            ical_uid=event.ical_uid or "",
            web_link=event.web_link or "",
            join_url=event.join_url or "",
            failure_reason="",
            failure_fix="",
        )
    booking.refresh_from_db()


def taken(problems: Sequence[str]) -> str:
    """Why a time a booking held is no longer free, in the reader's language, each person's problem after it."""
    return gettext("Someone's calendar is no longer free at this time: %(problems)s") % {"problems": " ".join(problems)}


def booking_fail(*, booking: Booking, reason: str, fix: str = "retry") -> str:
    """End a PENDING booking FAILED with words the member can read and what to do ("retry", "reconnect"…)."""
    with transaction.atomic():
        claimed = Booking.objects.select_for_update().get(pk=booking.pk)
        if claimed.state == Booking.State.PENDING:
            claimed.move(
                Booking.State.FAILED, actor=None, kind="failed", detail=reason, failure_reason=reason, failure_fix=fix
            )
    booking.refresh_from_db()
    return booking.state


def booking_retry(*, booking: Booking, actor: User) -> Booking:
    """Try a failed booking again: the same booking (same UUID, so never a second meeting), PENDING again.

    A booking stuck PENDING (no worker ran it) is sent to the workers again as it is.
    """
    organizer_only(booking=booking, actor=actor)
    if booking.start <= timezone.now():
        raise BookingRefused(gettext("This time has passed; pick another time."))
    _refuse_unless_ready(booking.organizer)
    if booking.is_stuck:  # nobody ran the confirmation: send it again (the task is idempotent)
        with transaction.atomic():
            booking.history.create(actor=actor, kind="retried", state=booking.state)
            Booking.objects.filter(pk=booking.pk).update(updated=timezone.now())
            _enqueue_confirm(booking)
        return booking
    try:
        with transaction.atomic():
            booking.move(Booking.State.PENDING, actor=actor, kind="retried", failure_reason="", failure_fix="")
            _enqueue_confirm(booking)
    except IllegalMove as exc:
        raise BookingRefused(str(exc)) from None
    except IntegrityError:
        raise BookingRefused(
            gettext("This time overlaps another meeting booked through Overlap for someone in it; pick another time.")
        ) from None
    return booking


def booking_reschedule(*, booking: Booking, actor: User, slot: Slot) -> Booking:
    """Move the meeting (organizer only): fresh availability, then a PATCH of start and end only.

    The guard is updated in the same transaction as the move; the Teams link is checked afterwards.
    """
    organizer_only(booking=booking, actor=actor)
    if booking.state != Booking.State.CONFIRMED:
        raise BookingRefused(_cannot(booking, moved=True))
    if slot.start <= timezone.now():
        raise BookingRefused(gettext("Pick a time in the future."))
    _check_new_slot(booking, slot)
    if booking.room_address and booking.room_address in _rooms_held(
        booking.organizer, slot.start, slot.end, excluding=booking
    ):
        raise BookingRefused(
            gettext("%(room)s is booked through Overlap at that time: pick another time.") % {"room": booking.room_name}
        )
    previous = (booking.start, booking.end, booking.room_response)
    # The room goes along (it stays a resource attendee; only start and end are sent) and answers anew.
    room = {"room_response": "none"} if booking.room_address else {}
    try:
        with transaction.atomic():
            booking.move(
                Booking.State.CONFIRMED, actor=actor, kind="rescheduled", start=slot.start, end=slot.end, **room
            )
            event = calendars.event_reschedule(
                organizer=booking.organizer, event_id=booking.event_id, start=slot.start, end=slot.end
            )
    except IntegrityError:
        booking.start, booking.end, booking.room_response = previous
        raise BookingRefused(
            gettext("This time overlaps another meeting booked through Overlap for someone in it.")
        ) from None
    except (CalendarError, ConnectionNotReady) as error:
        booking.start, booking.end, booking.room_response = previous
        raise BookingRefused(getattr(error, "reason", str(error))) from None
    after_reschedule(booking, event, actor)
    return booking


def _participants(booking: Booking) -> list[Participant]:
    return list(booking.participants.select_related("membership__user"))


def _check_slot(booking: Booking, participants: list[Participant], start: datetime, end: datetime) -> SlotCheck:
    """Fresh availability of [start, end) for the booking's people (the organizer and every required colleague)."""
    return availability_check_slot(
        organizer=booking.organizer,
        required=[p.membership for p in participants if p.role == Participant.Role.REQUIRED],
        optional=[p.membership for p in participants if p.role == Participant.Role.OPTIONAL],
        start=start,
        end=end,
    )


def _check_times(
    booking: Booking,
    participants: list[Participant],
    times: list[tuple[datetime, datetime]],
    itself: Collection[tuple[datetime, datetime]] = (),
) -> SlotCheck:
    """Fresh availability of every one of `times` (a series' standing occurrences) for the booking's people."""
    return availability_check_times(
        organizer=booking.organizer,
        required=[p.membership for p in participants if p.role == Participant.Role.REQUIRED],
        optional=[p.membership for p in participants if p.role == Participant.Role.OPTIONAL],
        times=times,
        itself=itself,
    )


def check_people_times(
    booking: Booking, times: list[tuple[datetime, datetime]], itself: Collection[tuple[datetime, datetime]] = ()
) -> SlotCheck:
    """Fresh availability of `times` for the booking's people (a series' occurrence moved, say); `itself`, the
    booking's own present times, block nothing (the whole series moved)."""
    return _check_times(booking, _participants(booking), times, itself)


def _check_new_slot(booking: Booking, slot: Slot) -> None:
    try:
        check = _check_slot(booking, _participants(booking), slot.start, slot.end)
    except (CalendarError, ConnectionNotReady) as error:
        raise BookingRefused(getattr(error, "reason", str(error))) from None
    # The meeting itself blocks its own old time: a new slot that overlaps it is judged by the guard alone.
    overlaps_itself = slot.start < booking.end and booking.start < slot.end
    if not check.free and not overlaps_itself:
        raise BookingRefused(
            gettext("Someone's calendar is no longer free at this time: %(problems)s")
            % {"problems": " ".join(check.problems)}
        )


def after_reschedule(booking: Booking, event: Event, actor: User) -> None:
    """Responses reset as Exchange resets them; a lost Teams link is recorded for the organizer to see."""
    booking.participants.exclude(role=Participant.Role.ORGANIZER).update(
        response=Participant.Response.NONE, responded_at=None
    )
    if booking.teams and booking.join_url and event.join_url != booking.join_url:
        detail = "Microsoft changed the Teams link" if event.join_url else "Microsoft dropped the Teams link"
        booking.history.create(actor=actor, kind="teams_link_changed", state=booking.state, detail=detail)
        Booking.objects.filter(pk=booking.pk).update(join_url=event.join_url or "")
    availability_forget(organization=booking.organization, people=people_of(booking))


def booking_cancel(*, booking: Booking, actor: User, comment: str = "") -> Booking:
    """Cancel as the organizer through Graph's cancel (the attendees are told, with `comment`)."""
    organizer_only(booking=booking, actor=actor)
    if booking.state != Booking.State.CONFIRMED:
        raise BookingRefused(_cannot(booking, moved=False))
    try:
        calendars.event_cancel(organizer=booking.organizer, event_id=booking.event_id, comment=comment)
    except CalendarError as error:
        if not error.gone:
            raise BookingRefused(error.reason) from None
    except ConnectionNotReady as exc:
        raise BookingRefused(str(exc)) from None
    booking.move(Booking.State.CANCELLED, actor=actor, kind="cancelled", detail=comment, cancel_comment=comment)
    availability_forget(organization=booking.organization, people=people_of(booking))
    return booking


def booking_change_room(*, booking: Booking, actor: User) -> calendars.Room:
    """Another room for the meeting's time, its room having declined (organizer only): the first room fitting
    what was asked that is free for the whole meeting (in Microsoft's calendars and Overlap's own bookings), put
    on the event by a PATCH of its attendees (the people as invited, the room as a resource) and location; the
    time and the Teams link stay. Raises `BookingRefused` when no room is free or Microsoft refuses."""
    organizer_only(booking=booking, actor=actor)
    if booking.state != Booking.State.CONFIRMED or not booking.room_declined:
        raise BookingRefused(gettext("Only a confirmed meeting whose room declined gets another room here."))
    ask = RoomAsk.from_json(booking.room_need) or RoomAsk("in_person", seats=booking.participants.count())
    organizer, declined = booking.organizer, booking.room_name
    try:
        rooms = free_rooms_at(organizer=organizer, ask=ask, start=booking.start, end=booking.end)
        held = _rooms_held(organizer, booking.start, booking.end, excluding=booking)
        for room in (r for r in rooms if r.address not in held and r.address != booking.room_address):
            if _room_moved(booking, room, f"{declined} declined; {room.name} is booked instead.", actor):
                return room
    except (CalendarError, ConnectionNotReady) as error:
        raise BookingRefused(getattr(error, "reason", str(error))) from None
    raise BookingRefused(
        gettext("No other room fitting the meeting is free at this time: %(room)s declined it.") % {"room": declined}
    )


def _room_moved(booking: Booking, room: calendars.Room, detail: str, actor: User) -> bool:
    """The booking's room changed here and on the event, both or neither; False when the room guard refuses."""
    with transaction.atomic():
        if not _room_switch(booking, room, detail, actor=actor):
            return False
        people = _invited(booking, _participants(booking))
        calendars.event_change_room(
            organizer=booking.organizer, event_id=booking.event_id, attendees=(*people, *_room_attendee(booking)),
            room=room,
        )  # fmt: skip
    availability_forget(organization=booking.organization, people=people_of(booking))
    return True


def booking_new_times(*, booking: Booking) -> SearchResult:
    """Fresh times to move the meeting to: everyone's cached free/busy is dropped first (hence a service), then
    the same people and duration are searched over the next week."""
    required, optional = booking_people(booking=booking)
    availability_forget(organization=booking.organization, people=[booking.organizer, *required, *optional])
    return new_times_for(booking=booking, required=required, optional=optional)


def organizer_only(*, booking: Booking, actor: User) -> None:
    """Only the organizer changes a meeting; anyone else invited gets 403."""
    if booking.organizer.user_id != actor.pk:
        raise PermissionDenied("Only the organizer can change this meeting.")


def people_of(booking: Booking) -> list[Membership]:
    """Everyone in the booking (the organizer too): whose cached free/busy a change makes stale."""
    return [p.membership for p in booking.participants.select_related("membership__user")]


def _cannot(booking: Booking, *, moved: bool) -> str:
    """Why a meeting that is not confirmed cannot be moved or cancelled, a whole sentence for each state."""
    if booking.state == Booking.State.PENDING:
        moving = gettext("A meeting still being created cannot be moved.")
        return moving if moved else gettext("A meeting still being created cannot be cancelled.")
    if booking.state == Booking.State.FAILED:
        moving = gettext("A failed meeting cannot be moved.")
        return moving if moved else gettext("A failed meeting cannot be cancelled.")
    moving = gettext("A cancelled meeting cannot be moved.")
    return moving if moved else gettext("A cancelled meeting cannot be cancelled.")
