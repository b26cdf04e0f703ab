"""Booking's reads: a booking as its people may see it, a member's meetings, times in each person's zone."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode

from django.db.models import Max, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import Membership, Organization, User
from booking.models import NOT_ANSWERING, Booking, BookingOccurrence, Participant
from booking.search.results import named_zone, zone_label


def booking_for(*, member: Membership, code: uuid.UUID) -> Booking:
    """A booking of the member's organization in which they take part; anything else is 404."""
    try:
        return (
            Booking.objects.filter(organization=member.organization, code=code)
            .filter(Q(organizer=member) | Q(participants__membership=member))
            .select_related("organizer__user", "organization")
            .distinct()
            .get()
        )
    except Booking.DoesNotExist:
        raise Http404("No such meeting.") from None


def meetings_of(*, member: Membership) -> QuerySet[Booking]:
    """Every booking the member organizes, and those they were invited to (a meeting that was never created
    sent no invitation, so its attendees do not see it)."""
    mine = Q(organizer=member) | (Q(participants__membership=member) & ~Q(event_id=""))
    return (
        Booking.objects.filter(mine, organization=member.organization)
        .select_related("organizer__user")
        .prefetch_related("participants__membership__user", "occurrences")
        .distinct()
    )


@dataclass(frozen=True)
class MyMeetings:
    """My meetings' headings: what is still to come (soonest first), what was cancelled, and what is past (latest
    first). A cancelled meeting is never "upcoming", whenever it would have been."""

    upcoming: list[Booking]
    cancelled: list[Booking]
    past: list[Booking]


def my_meetings(*, member: Membership) -> MyMeetings:
    now = timezone.now()
    meetings = list(meetings_of(member=member).order_by("start"))
    cancelled = [b for b in meetings if b.state == Booking.State.CANCELLED]
    going = [b for b in meetings if b.state != Booking.State.CANCELLED]
    return MyMeetings(
        upcoming=[b for b in going if b.last_end > now],
        cancelled=cancelled,
        past=[b for b in going if b.last_end <= now][::-1],
    )


@dataclass(frozen=True)
class LocalTime:
    person: str
    zone: str
    start: datetime
    end: datetime
    role: str
    response: str


def times_for_everyone(*, booking: Booking, viewer: User) -> list[LocalTime]:
    """The meeting's time in each person's zone, with their role and answer, the organizer first: the viewer
    on their own clock, everyone else on theirs (`User.zone_for_others`), UTC said as such when unknown."""
    rows = []
    for participant in booking.participants.select_related("membership__user"):
        user = participant.user
        name = user.time_zone if user.pk == viewer.pk else user.zone_for_others
        zone = named_zone(name)
        label = zone_label(zone) if zone else gettext("UTC; their time zone is not known yet")
        zone = zone or UTC
        rows.append(
            LocalTime(
                person="you" if user.pk == viewer.pk else user.display_name,
                zone=label,
                start=booking.start.astimezone(zone),
                end=booking.end.astimezone(zone),
                role=participant.get_role_display(),
                response=participant.get_response_display(),
            )
        )
    return rows


def occurrence_for(*, booking: Booking, original_start: datetime) -> BookingOccurrence:
    """The booking's occurrence that the pattern put at `original_start`; any other is 404."""
    try:
        return booking.occurrences.get(original_start=original_start)
    except BookingOccurrence.DoesNotExist:
        raise Http404("No such occurrence.") from None


@dataclass(frozen=True)
class OccurrenceRow:
    """One occurrence as the meeting page lists it, on the viewer's clock."""

    key: str  # its original start in UTC, as the change forms name it
    start: datetime
    end: datetime
    at: str  # "14:00", the organizer's clock: the move form's starting value
    state: str  # "", "moved", "moved in Outlook", "cancelled", "cancelled in Outlook", "to be skipped"…
    declined: tuple[str, ...]
    changeable: bool


def occurrences_of(*, booking: Booking, viewer: User) -> list[OccurrenceRow]:
    """A series' occurrences (none for a single meeting), each with what happened to it and who declined it."""
    if not booking.recurrence:
        return []
    zone, organizer_zone = named_zone(viewer.time_zone) or UTC, named_zone(booking.organizer.user.time_zone) or UTC
    names = {str(p.membership_id): p.user.display_name for p in booking.participants.select_related("membership__user")}
    now = timezone.now()
    return [
        OccurrenceRow(
            key=o.original_start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            start=o.start.astimezone(zone),
            end=o.end.astimezone(zone),
            at=f"{o.start.astimezone(organizer_zone):%H:%M}",
            state=o.news,
            declined=tuple(names.get(k, "someone") for k in o.declined),
            changeable=booking.state == Booking.State.CONFIRMED
            and o.state == BookingOccurrence.State.HELD
            and o.end > now,
        )
        for o in booking.occurrences.all()
    ]


def is_organizer(*, booking: Booking, user: User) -> bool:
    return booking.organizer.user_id == user.pk


def microsoft_not_answering(*, booking: Booking) -> str:
    """Why a PENDING booking waits (Microsoft 365 did not answer its last try), or "" when it does not."""
    if booking.state != Booking.State.PENDING:
        return ""
    last = booking.history.order_by("at", "id").last()
    return last.detail if last and last.kind == NOT_ANSWERING else ""


def declined(*, booking: Booking) -> list[Participant]:
    return list(booking.participants.filter(response=Participant.Response.DECLINED).select_related("membership__user"))


def booking_people(*, booking: Booking) -> tuple[list[Membership], list[Membership]]:
    """The booking's required and optional colleagues (the organizer aside), in one query."""
    people = list(booking.participants.select_related("membership__user"))
    required = [p.membership for p in people if p.role == Participant.Role.REQUIRED]
    optional = [p.membership for p in people if p.role == Participant.Role.OPTIONAL]
    return required, optional


def search_again_query(*, booking: Booking) -> str:
    """The booking page's query for the same people, duration and subject: "find the next best times"."""
    required, optional = booking_people(booking=booking)
    query = {
        "required": [str(m.user.uuid) for m in required],
        "optional": [str(m.user.uuid) for m in optional],
        "minutes": booking.minutes,
        "subject": booking.subject,
    }
    return urlencode(query, doseq=True)


def pending_bookings(*, organization: Organization) -> QuerySet[Booking]:
    """The organization's bookings still waiting for their meeting, oldest first (the admins' health page)."""
    return (
        Booking.objects.filter(organization=organization, state=Booking.State.PENDING)
        .select_related("organizer__user")
        .order_by("created", "pk")
    )


def failed_bookings(*, organization: Organization, since: datetime) -> QuerySet[Booking]:
    """The organization's bookings that ended FAILED since `since`, newest first, with their reasons."""
    return (
        Booking.objects.filter(organization=organization, state=Booking.State.FAILED, updated__gte=since)
        .select_related("organizer__user")
        .order_by("-updated", "-pk")
    )


def last_read_back(*, organization: Organization) -> datetime | None:
    """When Overlap last read back one of the organization's meetings from Outlook."""
    found: datetime | None = Booking.objects.filter(organization=organization).aggregate(at=Max("read_back_at"))["at"]
    return found
