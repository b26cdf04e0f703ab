"""Reading back Overlap's own meetings: by id, 20 to a $batch, never a calendar listing.

What Outlook changed is recorded on the booking: each attendee's answer, a move (new times, the guard
updated), a cancellation or deletion. Meetings that start within a day are read more often than later
ones. An organizer whose calendar cannot be read now (grant revoked, Microsoft busy) is skipped and
read again on the next round: nothing is marked read that was not.

At scale (10,000 upcoming meetings, any number of workers) each round of the beat is planned here: the
due meetings are cut into chunks of one $batch per organizer (their mailbox), the chunks are interleaved
across mailboxes and given start offsets spread over the round, and no mailbox gets more than
`MAILBOX_REQUESTS_PER_ROUND` requests a round (Graph allows 10,000 per 10 minutes per app and mailbox;
the rest waits for the next round). Concurrency (4 per mailbox) is the shared limiter's job, in Redis
across workers; spreading keeps it from having to wait.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

import integrations.calendars as calendars
from accounts.models import Membership
from booking.models import Booking, BookingOccurrence, Participant
from booking.occurrences import day_of
from integrations.calendars import CalendarError, ConnectionNotReady, Event, Occurrence

SOON = timedelta(hours=24)
FRESH_FOR = timedelta(minutes=1)  # "My meetings" reads again what is older than this
SPREAD = 0.9  # the share of a round the chunks' starts are spread over
CHUNK = 20  # meetings per $batch: Graph's limit
MAILBOX_REQUESTS_PER_ROUND = 400  # of Graph's 1,000 a minute per mailbox: room is left for booking itself
QUEUED_FOR = timedelta(minutes=5)  # a chunk not read by then (its worker died) is planned again


@dataclass(frozen=True)
class ReadBack:
    read: int = 0
    changed: int = 0
    paused: str = ""

    @property
    def summary(self) -> str:
        return f"paused: {self.paused}" if self.paused else f"{self.read} read, {self.changed} changed"


def _upcoming() -> Q:
    """Confirmed and not over: a series until its last occurrence ends."""
    now = timezone.now()
    later = BookingOccurrence.objects.filter(end__gt=now).values("booking_id")
    return Q(state=Booking.State.CONFIRMED) & (Q(end__gt=now) | Q(pk__in=later)) & ~Q(event_id="")


def _due() -> Q:
    now = timezone.now()
    soon_every, later_every = _seconds("READ_BACK_SOON_SECONDS"), _seconds("READ_BACK_LATER_SECONDS")
    soon = Q(start__lt=now + SOON) & (Q(read_back_at__isnull=True) | Q(read_back_at__lt=now - soon_every))
    later = Q(start__gte=now + SOON) & (Q(read_back_at__isnull=True) | Q(read_back_at__lt=now - later_every))
    return _upcoming() & (soon | later)


def _seconds(setting: str) -> timedelta:
    return timedelta(seconds=getattr(settings, setting))


def read_back_round() -> timedelta:
    """The beat's period (READ_BACK_ROUND_SECONDS): a round's chunks are spread over most of it."""
    return _seconds("READ_BACK_ROUND_SECONDS")


def organizers_due() -> list[int]:
    """The organizers with at least one upcoming meeting due for reading back."""
    return list(Booking.objects.filter(_due()).values_list("organizer_id", flat=True).distinct())


@dataclass(frozen=True)
class Chunk:
    """One $batch of read-back: an organizer's meetings, and when (seconds from now) to start reading them."""

    organizer_id: int
    booking_ids: tuple[int, ...]
    countdown: float


def read_back_plan() -> list[Chunk]:
    """This round's read-back: the due meetings not already queued, one chunk per $batch and organizer,
    interleaved across organizers and spread over the round; marks them queued.

    The rows are read under a row lock that skips rows another plan holds (PostgreSQL; SQLite serialises its
    writing transactions instead), and marked in the same transaction: two plans running at once (two beats, a
    slow round overlapping the next) never queue one meeting twice."""
    now = timezone.now()
    queued = Q(read_back_queued_at__isnull=False, read_back_queued_at__gt=now - QUEUED_FOR)
    rows = Booking.objects.filter(_due()).exclude(queued).order_by("organizer_id", "start", "pk")
    by_organizer: dict[int, list[int]] = defaultdict(list)
    with transaction.atomic():
        locked = rows.select_for_update(skip_locked=True).values_list("pk", "organizer_id")
        for booking_id, organizer_id in locked.iterator(chunk_size=2000):
            if len(by_organizer[organizer_id]) < MAILBOX_REQUESTS_PER_ROUND:
                by_organizer[organizer_id].append(booking_id)
        chunks = _interleaved(by_organizer)
        step = read_back_round().total_seconds() * SPREAD / max(len(chunks), 1)
        planned = [Chunk(organizer_id, ids, round(n * step, 3)) for n, (organizer_id, ids) in enumerate(chunks)]
        Booking.objects.filter(pk__in=[i for c in planned for i in c.booking_ids]).update(read_back_queued_at=now)
    return planned


def _interleaved(by_organizer: dict[int, list[int]]) -> list[tuple[int, tuple[int, ...]]]:
    """Everyone's first chunk, then everyone's second...: one mailbox's chunks are as far apart as can be."""
    cut = {o: [tuple(ids[n : n + CHUNK]) for n in range(0, len(ids), CHUNK)] for o, ids in by_organizer.items()}
    rounds = max((len(chunks) for chunks in cut.values()), default=0)
    return [(o, chunks[r]) for r in range(rounds) for o, chunks in cut.items() if r < len(chunks)]


def read_back_chunk(*, membership_id: int, booking_ids: Iterable[int]) -> ReadBack:
    """Read one planned chunk: those of the organizer's meetings that are still upcoming; what could not be read
    (a paused calendar) is left to the next round's plan."""
    organizer = Membership.objects.select_related("user", "organization").get(pk=membership_id)
    ids = list(booking_ids)
    done = read_back(organizer=organizer, bookings=Booking.objects.filter(_upcoming(), organizer=organizer, pk__in=ids))
    Booking.objects.filter(pk__in=ids).update(read_back_queued_at=None)  # what was not read is planned again
    return done


def read_back_organizer(*, membership_id: int) -> ReadBack:
    organizer = Membership.objects.select_related("user", "organization").get(pk=membership_id)
    return read_back(organizer=organizer, bookings=Booking.objects.filter(_due(), organizer=organizer))


def bookings_refresh(*, member: Membership) -> list[ReadBack]:
    """Read again the member's upcoming meetings (as organizer or attendee) older than a minute; one batch each."""
    stale = Q(read_back_at__isnull=True) | Q(read_back_at__lt=timezone.now() - FRESH_FOR)
    mine = Q(organizer=member) | Q(participants__membership=member)
    bookings = Booking.objects.filter(_upcoming(), stale, mine, organization=member.organization).distinct()
    by_organizer: dict[int, list[Booking]] = defaultdict(list)
    for booking in bookings.select_related("organizer__user", "organizer__organization"):
        by_organizer[booking.organizer_id].append(booking)
    return [read_back(organizer=group[0].organizer, bookings=group) for group in by_organizer.values()]


def read_back(*, organizer: Membership, bookings: Iterable[Booking]) -> ReadBack:
    """Read these bookings' events in the organizer's calendar and record what Outlook changed."""
    by_event = {b.event_id: b for b in bookings if b.event_id}
    if not by_event:
        return ReadBack()
    try:
        results = calendars.events_read(organizer=organizer, event_ids=list(by_event))
    except (CalendarError, ConnectionNotReady) as error:
        return ReadBack(paused=getattr(error, "reason", str(error)))
    changed = sum(_apply(by_event[event_id], found) for event_id, found in results.items())
    changed += _read_series(
        organizer, [b for b in by_event.values() if b.recurrence and b.state == Booking.State.CONFIRMED]
    )
    read = [b.pk for event_id, b in by_event.items() if not isinstance(results.get(event_id), CalendarError)]
    Booking.objects.filter(pk__in=read).update(read_back_at=timezone.now())
    gone = [b.pk for event_id, b in by_event.items() if _is_gone(results.get(event_id))]
    Booking.objects.filter(pk__in=gone).update(read_back_at=timezone.now())
    return ReadBack(read=len(read) + len(gone), changed=changed)


def _read_series(organizer: Membership, bookings: list[Booking]) -> int:
    """Read the instances of these bookings' own series (by the ids Overlap created; one $batch for all of them,
    20 to a request) over their occurrences still to come, and record per occurrence a move, a cancellation or an
    answer made in Outlook; how many series changed. A series Microsoft did not answer for waits for the next
    round."""
    now = timezone.now()
    standing = {b.event_id: (b, rows) for b in bookings if (rows := _standing(b, now))}
    if not standing:
        return 0
    wanted = {event_id: _window(rows) for event_id, (_, rows) in standing.items()}
    try:
        found = calendars.series_occurrences_of(organizer=organizer, wanted=wanted)
    except (CalendarError, ConnectionNotReady):
        return 0
    return sum(
        _occurrences_read(booking, rows, occurrences)
        for event_id, (booking, rows) in standing.items()
        if isinstance(occurrences := found.get(event_id), list)
    )


def _standing(booking: Booking, now: datetime) -> list[BookingOccurrence]:
    return [o for o in booking.occurrences.all() if o.state == BookingOccurrence.State.HELD and o.end > now]


def _window(rows: list[BookingOccurrence]) -> tuple[datetime, datetime]:
    lo = min(min(o.original_start, o.start) for o in rows) - timedelta(days=1)
    return lo, max(max(o.original_start, o.end) for o in rows) + timedelta(days=1)


def _occurrences_read(booking: Booking, rows: list[BookingOccurrence], found: list[Occurrence]) -> bool:
    listed = {o.original_start: o for o in found}
    addresses = _addresses(booking.organizer, [p.membership for p in _invited(booking)])
    changed = [row for row in rows if _occurrence_news(booking, row, listed.get(row.original_start), addresses)]
    if changed:
        _hold_as_outlook_has_it(booking)
    return bool(changed)


def _occurrence_news(
    booking: Booking, row: BookingOccurrence, found: Occurrence | None, addresses: dict[int, str]
) -> bool:
    """Record what Outlook shows of one occurrence on its row: gone (cancelled), moved, each invited answer."""
    day = f"{day_of(row):%-d %b}"
    if found is None:
        row.state, row.cancelled_in_outlook = BookingOccurrence.State.CANCELLED, True
        row.save(update_fields=["state", "cancelled_in_outlook"])
        booking.history.create(kind="occurrence_cancelled_in_outlook", state=booking.state, detail=day)
        return True
    before = (row.start, row.end, row.graph_id, dict(row.responses))
    if (found.start, found.end) != (row.start, row.end):
        row.start, row.end, row.moved_in_outlook = found.start, found.end, True
        detail = f"{day} to {found.start:%Y-%m-%d %H:%M} UTC"
        booking.history.create(kind="occurrence_moved_in_outlook", state=booking.state, detail=detail)
    for membership_id, address in addresses.items():
        attendee = found.attendee(address)
        if attendee is not None and attendee.response in Participant.Response.values:
            row.responses[str(membership_id)] = attendee.response
    row.graph_id = found.id
    row.save(update_fields=["start", "end", "moved_in_outlook", "responses", "graph_id"])
    return before != (row.start, row.end, row.graph_id, row.responses)


def _hold_as_outlook_has_it(booking: Booking) -> None:
    """The guard follows Outlook; where Outlook already holds an overlap, this booking stops guarding its people."""
    try:
        with transaction.atomic():
            booking.hold_times()
    except IntegrityError:
        booking.participants.update(guarded=False)
        booking.hold_times()


def _invited(booking: Booking) -> list[Participant]:
    return list(booking.participants.exclude(role=Participant.Role.ORGANIZER).select_related("membership__user"))


def _is_gone(found: Event | CalendarError | None) -> bool:
    return isinstance(found, CalendarError) and found.gone


def _apply(booking: Booking, found: Event | CalendarError) -> bool:
    """Record one event's news on its booking; True when something changed."""
    if isinstance(found, CalendarError):
        return _cancelled_in_outlook(booking, "deleted in Outlook") if found.gone else False
    if found.is_cancelled:
        return _cancelled_in_outlook(booking, "cancelled in Outlook")
    moved = _moved_in_outlook(booking, found)
    answered = _record_responses(booking, found)
    return _settled_after_move(booking) or moved or answered


def _settled_after_move(booking: Booking) -> bool:
    """A move made in Outlook stops being news once every required colleague has accepted the new time."""
    if not booking.moved_in_outlook:
        return False
    answers = booking.participants.filter(role=Participant.Role.REQUIRED).values_list("response", flat=True)
    if not answers or any(answer != Participant.Response.ACCEPTED for answer in answers):
        return False
    booking.moved_in_outlook = False
    booking.save(update_fields=["moved_in_outlook"])
    return True


def _cancelled_in_outlook(booking: Booking, detail: str) -> bool:
    booking.move(
        Booking.State.CANCELLED, actor=None, kind="cancelled_in_outlook", detail=detail, cancelled_in_outlook=True
    )
    return True


def _moved_in_outlook(booking: Booking, event: Event) -> bool:
    if event.start is None or event.end is None or (event.start, event.end) == (booking.start, booking.end):
        return False
    detail = f"Moved in Outlook from {booking.start:%Y-%m-%d %H:%M} UTC"
    fields = {"start": event.start, "end": event.end, "moved_in_outlook": True}
    try:
        with transaction.atomic():
            booking.move(Booking.State.CONFIRMED, actor=None, kind="moved_in_outlook", detail=detail, **fields)
    except IntegrityError:
        # Outlook already holds the overlap: record the truth, and let this booking stop guarding its people.
        booking.refresh_from_db()
        booking.participants.update(guarded=False)
        booking.move(
            Booking.State.CONFIRMED,
            actor=None,
            kind="moved_in_outlook",
            detail=detail + " (overlaps another Overlap meeting)",
            **fields,
        )
    return True


def _addresses(organizer: Membership, people: list[Membership]) -> dict[int, str]:
    try:
        return calendars.mailbox_addresses(organizer=organizer, people=people)
    except (CalendarError, ConnectionNotReady):
        return {}  # read again next round


def _record_room_response(booking: Booking, event: Event) -> bool:
    """The room's answer, read like a person's at the address it was invited at; a decline is recorded for the
    organizer (My meetings offers another room), and the room guard lets the room go."""
    attendee = event.attendee(booking.room_address) if booking.room_address else None
    if attendee is None or not attendee.response or attendee.response == booking.room_response:
        return False
    Booking.objects.filter(pk=booking.pk).update(room_response=attendee.response)
    booking.room_response = attendee.response
    if attendee.response == "declined":
        booking.history.create(kind="room_declined", state=booking.state, detail=booking.room_name)
    return True


def _record_responses(booking: Booking, event: Event) -> bool:
    changed = _record_room_response(booking, event)
    invited = _invited(booking)
    # Each answer is found at the address the invitation went to: the directory record's, never User.email.
    addresses = _addresses(booking.organizer, [p.membership for p in invited])
    for participant in invited:
        if participant.membership_id not in addresses:
            continue  # no directory record (any more): their answer cannot be told apart, so it is left as it was
        attendee = event.attendee(addresses[participant.membership_id])
        answer = attendee.response if attendee else Participant.Response.NONE
        if answer in Participant.Response.values and answer != participant.response:
            participant.response = answer
            participant.responded_at = attendee.response_time if attendee else None
            participant.save(update_fields=["response", "responded_at"])
            if answer == Participant.Response.DECLINED:
                booking.history.create(kind="declined", state=booking.state, detail=participant.user.display_name)
            changed = True
    return changed
