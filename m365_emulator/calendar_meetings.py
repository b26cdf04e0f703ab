"""What Exchange does to a meeting across mailboxes: deliver, answer, reschedule, cancel.

The organizer's event is the meeting; every attendee in the tenant holds a copy with the same iCalUId and its
own id. These functions keep the copies in step, as Exchange's invitation and update messages would.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

from m365_emulator.calendar import Attendee, CalendarStore, Event, new_event_ids
from m365_emulator.state import DirectoryUser, Tenant

IdFactory = Callable[[int], bytes]
RESPONSES = {"accepted": "accepted", "declined": "declined", "tentativelyaccepted": "tentativelyAccepted"}


def response_time(now: datetime | None = None) -> str:
    """A response time as Graph shows it: UTC with 7 fractional digits and a Z."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return f"{moment.replace(tzinfo=None, microsecond=0).isoformat()}.{moment.microsecond:06d}0Z"


def new_ical_uid(rng: IdFactory = secrets.token_bytes) -> str:
    """Exchange's look: a fixed Outlook prefix followed by random hex."""
    return "040000008200E00074C5B7101A82E00800000000" + rng(24).hex().upper()


def _invitees(tenant: Tenant, event: Event) -> list[DirectoryUser]:
    """Attendees with a mailbox in this tenant, other than the organizer; outsiders get mail, not a copy."""
    found: dict[str, DirectoryUser] = {}
    for attendee in event.attendees:
        user = tenant.user_by_address(attendee.address)
        if user and user.has_mailbox and user.user_type != "Guest" and user.id != event.mailbox_id:
            found[user.id] = user
    return list(found.values())


def attendee_copy(event: Event, user: DirectoryUser, rng: IdFactory = secrets.token_bytes) -> Event:
    """The copy Outlook puts in an invitee's calendar: tentative until answered, no extended properties."""
    regular, immutable = new_event_ids(rng)
    return replace(
        event,
        id=regular,
        immutable_id=immutable,
        mailbox_id=user.id,
        is_organizer=False,
        show_as="tentative",
        response="notResponded",
        response_time="0001-01-01T00:00:00Z",
        transaction_id=None,
        extended={},
        attendees=[replace(a) for a in event.attendees],
        recurrence=replace(event.recurrence) if event.recurrence else None,
        categories=[],
        change_key=secrets.token_urlsafe(12),
    )


def deliver(store: CalendarStore, tenant: Tenant, event: Event, rng: IdFactory = secrets.token_bytes) -> list[Event]:
    """Store the organizer's event and put a copy in each invitee's calendar that lacks one."""
    with store.lock:
        store.add(event)
        holders = {e.mailbox_id for e in store.copies(event.ical_uid)}
        copies = [attendee_copy(event, user, rng) for user in _invitees(tenant, event) if user.id not in holders]
        for copy in copies:
            store.add(copy)
        return copies


def organizer_event(store: CalendarStore, copy: Event) -> Event | None:
    return next((e for e in store.copies(copy.ical_uid) if e.is_organizer), None)


def respond(store: CalendarStore, tenant: Tenant, copy: Event, answer: str, now: datetime | None = None) -> None:
    """An attendee answers: their copy follows the answer; the organizer's copy records it with a time.

    As in Outlook's default, declining removes the meeting from the attendee's calendar.
    """
    response = RESPONSES[answer.lower()]
    when = response_time(now)
    with store.lock:
        organizer = organizer_event(store, copy)
        copy.response, copy.response_time = response, when
        copy.show_as = {"accepted": organizer.show_as if organizer else "busy", "declined": "free"}.get(
            response, "tentative"
        )
        store.changed(copy)
        if response == "declined":
            store.remove(copy)
        if organizer is not None:
            _record_answer(store, tenant, organizer, copy.mailbox_id, response, when)


def _record_answer(store: CalendarStore, tenant: Tenant, organizer: Event, user_id: str, response: str, when: str):
    user = tenant.mailbox_by_id(user_id)
    addresses = {user.mail.lower(), user.user_principal_name.lower()} if user else set()
    for attendee in organizer.attendees:
        if attendee.address.lower() in addresses:
            attendee.response, attendee.response_time = response, when
    store.changed(organizer)


def reschedule(store: CalendarStore, organizer: Event, start: datetime, end: datetime, zone: str) -> None:
    """The organizer moves the meeting: every copy moves, and answers reset (Exchange asks again).

    A series keeps its `recurrenceTimeZone`; its range's `startDate` moves by the days the start moved there.
    """
    with store.lock:
        for event in store.copies(organizer.ical_uid):
            old_start = event.start
            event.start, event.end, event.start_zone, event.end_zone = start, end, zone, zone
            event.shift_range(old_start)
            _reset_answers(event)
            store.changed(event)


def _reset_answers(event: Event) -> None:
    for attendee in event.attendees:
        attendee.response, attendee.response_time = "none", "0001-01-01T00:00:00Z"
    if not event.is_organizer:
        event.response, event.response_time, event.show_as = "notResponded", "0001-01-01T00:00:00Z", "tentative"


def propagate(store: CalendarStore, tenant: Tenant, organizer: Event, fields: set[str]) -> None:
    """After an organizer's PATCH: copy the shared fields to every attendee copy and invite new attendees.

    Attendees taken off the list get a cancellation (their copy is marked cancelled).
    """
    shared = ("subject", "body", "body_type", "location", "is_all_day", "sensitivity", "importance")
    with store.lock:
        invited = {u.id for u in _invitees(tenant, organizer)}
        for copy in store.copies(organizer.ical_uid):
            if copy.is_organizer:
                continue
            for name in shared:
                setattr(copy, name, getattr(organizer, name))
            copy.recurrence = replace(organizer.recurrence) if organizer.recurrence else None
            copy.attendees = [replace(a) for a in organizer.attendees]
            if {"start", "end"} & fields:
                copy.start, copy.end = organizer.start, organizer.end
                copy.start_zone, copy.end_zone = organizer.start_zone, organizer.end_zone
                _reset_answers(copy)
            if copy.mailbox_id not in invited:
                _mark_cancelled(copy)
            store.changed(copy)
        if {"start", "end"} & fields:
            _reset_answers(organizer)
        deliver(store, tenant, organizer)


def _mark_cancelled(copy: Event) -> None:
    # Exchange prefixes the attendee's subject; the exact wording is UNCONFIRMED.
    if not copy.subject.startswith("Canceled: "):
        copy.subject = f"Canceled: {copy.subject}"
    copy.is_cancelled = True


def cancel(store: CalendarStore, organizer: Event) -> None:
    """The organizer cancels (or deletes) the meeting: it leaves their calendar; each copy is marked cancelled."""
    with store.lock:
        for copy in store.copies(organizer.ical_uid):
            if copy is not organizer:
                _mark_cancelled(copy)
                store.changed(copy)
        store.remove(organizer)


def delete(store: CalendarStore, event: Event) -> None:
    """DELETE: the organizer's deletion cancels the meeting; an attendee's only removes their copy."""
    if event.is_organizer and event.attendees:
        cancel(store, event)
    else:
        store.remove(event)


def attendees_from(raw: list[tuple[str, str, str]]) -> list[Attendee]:
    """(address, name, type) triples as attendees who have not answered yet."""
    return [Attendee(address=a, name=n, type=t) for a, n, t in raw]
