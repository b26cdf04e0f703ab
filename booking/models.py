"""Booking's tables: a meeting Overlap books (the `Booking` state machine, its participants and its history),
and the organization's booking rules (`booking.rules`, registered here for Django).

The state moves only through `Booking.move`, which checks `MOVES` and writes one `BookingEvent`; an
illegal move raises `IllegalMove` and changes nothing.

A booking's times: a single meeting's are the booking's `start`/`end`; a series has one `BookingOccurrence` per
occurrence (where the pattern put it and where it is now), and the booking's `start`/`end` are its first
occurrence as the series was made. While a booking is active, each guarded person holds each of its times that
still stands (a `Hold`, written only by `Booking.hold_times`), so that the database itself refuses two active
bookings that overlap for the same person on any occurrence (an exclusion constraint on PostgreSQL, a trigger
under serialised writes on SQLite; see migrations 0003 and 0007).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import ClassVar

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext
from django_stubs_ext import StrOrPromise

from accounts.models import Membership, Organization, User
from booking.rules import BookingRules
from booking.series import series_words_of
from localtime import zone_or_none

__all__ = [
    "MAX_ATTENDEES",
    "NOT_ANSWERING",
    "Booking",
    "BookingEvent",
    "BookingOccurrence",
    "BookingRules",
    "Hold",
    "IllegalMove",
    "Participant",
    "RoomPreference",
]

MAX_ATTENDEES = 10
STUCK_AFTER = timedelta(minutes=10)
NOT_ANSWERING = "microsoft_not_answering"  # the history's kind while a confirmation waits for Microsoft


class IllegalMove(Exception):
    """A booking was asked to move to a state it cannot reach from where it is."""


class Booking(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("Creating the meeting")
        CONFIRMED = "confirmed", _("Confirmed")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    # Staying CONFIRMED is the reschedule: it is a move, recorded as history.
    MOVES: ClassVar[dict[str, set[str]]] = {
        State.PENDING: {State.CONFIRMED, State.FAILED},
        State.FAILED: {State.PENDING},  # "try again" reuses the booking
        State.CONFIRMED: {State.CONFIRMED, State.CANCELLED},
        State.CANCELLED: set(),
    }
    ACTIVE: ClassVar[tuple[str, ...]] = (State.PENDING, State.CONFIRMED)

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="bookings")
    organizer = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="organized_bookings")
    start = models.DateTimeField()
    end = models.DateTimeField()
    subject = models.CharField(max_length=255)
    agenda = models.TextField(blank=True)
    teams = models.BooleanField(default=True)
    state = models.CharField(max_length=20, choices=State.choices, default=State.PENDING)
    failure_reason = models.TextField(blank=True)
    failure_fix = models.CharField(max_length=40, blank=True)  # "reconnect", "other_time", "admin", "retry"
    event_id = models.CharField(max_length=512, blank=True)
    ical_uid = models.CharField(max_length=512, blank=True)
    web_link = models.URLField(max_length=2000, blank=True)
    join_url = models.URLField(max_length=2000, blank=True)
    create_attempted_at = models.DateTimeField(null=True, blank=True)
    moved_in_outlook = models.BooleanField(default=False)
    cancelled_in_outlook = models.BooleanField(default=False)
    cancel_comment = models.TextField(blank=True)
    read_back_at = models.DateTimeField(null=True, blank=True)
    read_back_queued_at = models.DateTimeField(null=True, blank=True)  # a read-back chunk holds it (readback.py)
    # A series (booking.series.recurrence_json): one series event in Outlook, `start`/`end` its first occurrence.
    recurrence = models.JSONField(null=True, blank=True, default=None)
    # The room booked with the meeting, as a resource attendee: its name and address kept here (a room removed
    # in Exchange leaves the booking's record intact), and its answer as read back ("none" until it answers).
    room = models.ForeignKey(
        "integrations.Room", null=True, blank=True, on_delete=models.SET_NULL, related_name="bookings"
    )
    room_name = models.CharField(max_length=200, blank=True)
    room_address = models.CharField(max_length=255, blank=True)
    room_response = models.CharField(max_length=30, blank=True)
    # What the member asked of the room (`booking.search.rooms.RoomAsk.as_json`): another room for this time, when
    # this one was taken meanwhile or declined, is chosen to the same need.
    room_need = models.JSONField(null=True, blank=True, default=None)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["start"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.CheckConstraint(condition=models.Q(start__lt=models.F("end")), name="booking_ends_after_start")
        ]

    def __str__(self) -> str:
        return f"{self.subject} ({self.get_state_display()})"

    @property
    def minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)

    @property
    def series_words(self) -> str:
        """ "Weekly on Tuesday, 26 times, until 24 Aug 2027", or "" for a single meeting."""
        if not self.recurrence:
            return ""
        return series_words_of(self.recurrence)

    @property
    def series_news(self) -> list[str]:
        """What happened to the series' occurrences, one line each ("16 Mar: cancelled in Outlook", "23 Mar: Alex
        declined"), for My meetings; read from prefetched occurrences and participants."""
        if not self.recurrence:
            return []
        zone = zone_or_none(self.organizer.user.time_zone) or UTC
        names = {str(p.membership_id): p.membership.user.display_name for p in self.participants.all()}
        found = []
        for o in self.occurrences.all():
            words = [o.news] if o.news else []
            words += [f"{names.get(person, 'someone')} declined" for person in o.declined]
            if words:
                found.append(f"{o.original_start.astimezone(zone):%-d %b}: {', '.join(words)}")
        return found

    @property
    def last_end(self) -> datetime:
        """When the meeting is over: a series when its last occurrence that stands ends."""
        if not self.recurrence:
            return self.end
        ends = [o.end for o in self.occurrences.all() if o.state != BookingOccurrence.State.CANCELLED]
        return max(ends, default=self.end)

    @property
    def is_stuck(self) -> bool:
        """PENDING for longer than any worker should take: nobody ran the confirmation (no worker running)."""
        return self.state == self.State.PENDING and self.updated < timezone.now() - STUCK_AFTER

    @property
    def is_active(self) -> bool:
        return self.state in self.ACTIVE

    ROOM_ANSWERS: ClassVar[dict[str, str]] = {
        "accepted": "accepted",
        "tentativelyAccepted": "accepted tentatively",
        "declined": "declined",
    }

    @property
    def room_answer(self) -> str:
        """The room's answer in words ("not answered yet" until its policy answers)."""
        return self.ROOM_ANSWERS.get(self.room_response, "not answered yet")

    @property
    def room_declined(self) -> bool:
        return bool(self.room_address) and self.room_response == "declined"

    def move(self, to: str, *, actor: User | None, kind: str, detail: str = "", **fields: object) -> BookingEvent:
        """Move to `to` (saving `fields` with it) and record it once; raises `IllegalMove` if not allowed."""
        if to not in self.MOVES[self.state]:
            raise IllegalMove(f"A {self.get_state_display().lower()} booking cannot become {to}.")
        self.state = to
        for name, value in fields.items():
            setattr(self, name, value)
        self.save()
        self.hold_times()
        return BookingEvent.objects.create(booking=self, actor=actor, kind=kind, state=to, detail=detail[:1000])

    def times(self) -> list[tuple[BookingOccurrence | None, datetime, datetime]]:
        """The times this booking holds while active: a single meeting's, or each standing occurrence's."""
        if not self.recurrence:
            return [(None, self.start, self.end)]
        return [(o, o.start, o.end) for o in self.occurrences.all() if o.is_held]

    def hold_times(self, *, people: Iterable[int] | None = None) -> None:
        """Make the guard's rows say what the booking holds now: each guarded person (or just `people`, by
        membership id) on each of its standing times while it is active, nothing otherwise. An overlap with
        another active booking raises IntegrityError (the caller's transaction decides what to undo)."""
        guarded = self.participants.filter(guarded=True).values_list("membership_id", flat=True)
        chosen = list(guarded if people is None else set(guarded) & set(people))
        with transaction.atomic(savepoint=False):
            lock_guards(chosen)  # first: a hold deleted here is one another booking's insert waits on
            if people is None:
                self.holds.all().delete()
            times = self.times() if self.is_active else []
            Hold.objects.bulk_create(
                Hold(booking=self, membership_id=person, occurrence=occurrence, start=start, end=end)
                for person in chosen
                for occurrence, start, end in times
            )


def lock_guards(people: Iterable[int]) -> None:
    """Take these people's guard locks (their membership rows, FOR NO KEY UPDATE, in id order) until the
    transaction ends, before writing their holds. Two transactions writing holds for one person then run one after
    the other, and the exclusion constraint refuses the second at once (IntegrityError). Without the locks, two
    series that share a person's weeks each insert a hold the other's next insert must wait on (or the worker
    deletes a booking's holds to write them anew while a new booking's insert waits on that delete), and
    PostgreSQL breaks the deadlock with an error that reached the member as a server error (the proof's series
    race, 9 of 20). Taken after any booking's row lock (the worker's claim), never before one.
    SQLite writes one transaction at a time and ignores it."""
    wanted = sorted(set(people))
    if wanted:
        list(Membership.objects.select_for_update(no_key=True).filter(pk__in=wanted).order_by("pk").values_list("pk"))


class BookingOccurrence(models.Model):
    """One occurrence of a booked series: where the pattern put it (`original_start`, which names it for good, as
    Graph's originalStart does), where it is now, and what Overlap or Outlook did to it.

    Skipping or moving one when booking (a near miss) is recorded first (`SKIP`, or `MOVE` with the new times)
    and done by the worker once the series exists; then it is `CANCELLED` or `HELD` again. Only `HELD` and
    `MOVE` occurrences hold their people's time."""

    class State(models.TextChoices):
        HELD = "held", _("Stands")
        SKIP = "skip", _("To be skipped")
        MOVE = "move", _("To be moved")
        CANCELLED = "cancelled", _("Cancelled")

    HOLDING: ClassVar[tuple[str, ...]] = (State.HELD, State.MOVE)
    UNDONE: ClassVar[tuple[str, ...]] = (State.SKIP, State.MOVE)  # for the worker to do in Microsoft

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="occurrences")
    original_start = models.DateTimeField()
    start = models.DateTimeField()
    end = models.DateTimeField()
    state = models.CharField(max_length=20, choices=State.choices, default=State.HELD)
    graph_id = models.CharField(max_length=512, blank=True)  # Graph's id of this occurrence, once read
    moved = models.BooleanField(default=False)  # by Overlap (a near miss, or the organizer on the meeting page)
    moved_in_outlook = models.BooleanField(default=False)
    cancelled_in_outlook = models.BooleanField(default=False)
    comment = models.TextField(blank=True)  # the organizer's message when Overlap cancelled it
    # Each invited person's answer to this occurrence, by membership id (as text: JSON's keys), when Outlook said.
    responses = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["original_start"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["booking", "original_start"], name="one_row_per_occurrence"),
            models.CheckConstraint(condition=models.Q(start__lt=models.F("end")), name="occurrence_ends_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.booking.subject} on {self.original_start:%Y-%m-%d} ({self.get_state_display()})"

    @property
    def is_held(self) -> bool:
        return self.state in self.HOLDING

    @property
    def news(self) -> str:
        """What happened to it, in a few words ("" when it stands as the series made it)."""
        if self.state == self.State.CANCELLED:
            return str(_("cancelled in Outlook") if self.cancelled_in_outlook else pgettext("occurrence", "cancelled"))
        if self.state in self.UNDONE:
            return str(_("to be skipped") if self.state == self.State.SKIP else _("being moved"))
        if self.moved_in_outlook:
            return str(_("moved in Outlook"))
        return str(pgettext("occurrence", "moved")) if self.moved else ""

    @property
    def declined(self) -> list[str]:
        """Who declined this occurrence in Outlook, by membership id (as JSON keeps it: text)."""
        return [person for person, answer in self.responses.items() if answer == "declined"]


class Hold(models.Model):
    """A guarded person's hold on one time of an active booking (the guard's rows; see `Booking.hold_times`)."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="holds")
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="holds")
    occurrence = models.ForeignKey(BookingOccurrence, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    start = models.DateTimeField()
    end = models.DateTimeField()

    class Meta:
        indexes: ClassVar[list[models.Index]] = [models.Index(fields=["membership", "start"])]

    def __str__(self) -> str:
        return f"{self.membership_id} {self.start:%Y-%m-%d %H:%M}-{self.end:%H:%M}"


class Participant(models.Model):
    """One person of a booking: their role and answer; `guarded` people hold its times (`Hold`)."""

    class Role(models.TextChoices):
        ORGANIZER = "organizer", _("Organizer")
        REQUIRED = "required", _("Required")
        OPTIONAL = "optional", _("Optional")

    class Response(models.TextChoices):
        NONE = "none", _("No answer yet")
        ACCEPTED = "accepted", _("Accepted")
        TENTATIVE = "tentativelyAccepted", _("Tentative")
        DECLINED = "declined", _("Declined")
        ORGANIZER = "organizer", _("Organizer")

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="participants")
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="booking_participations")
    role = models.CharField(max_length=20, choices=Role.choices)
    response = models.CharField(max_length=30, choices=Response.choices, default=Response.NONE)
    responded_at = models.DateTimeField(null=True, blank=True)
    # An optional attendee may be double-booked, as Outlook allows; so may someone Outlook already double-booked.
    guarded = models.BooleanField(default=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["id"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["booking", "membership"], name="one_row_per_person_and_booking")
        ]

    def __str__(self) -> str:
        return f"{self.membership.user} ({self.role})"

    @property
    def user(self) -> User:
        return self.membership.user


class BookingEvent(models.Model):
    """One line of a booking's history: who did what, and the state it left the booking in."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="history")
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(max_length=40)
    state = models.CharField(max_length=20, choices=Booking.State.choices)
    detail = models.TextField(blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)  # the audit trail reads it newest first

    class Meta:
        ordering: ClassVar[list[str]] = ["at", "id"]

    LABELS: ClassVar[dict[str, StrOrPromise]] = {
        "booked": _("Booked"),
        "confirmed": _("Created in Microsoft 365"),
        "failed": _("Could not be created"),
        "retried": _("Tried again"),
        "rescheduled": _("Moved"),
        "cancelled": _("Cancelled"),
        "cancelled_in_outlook": _("Cancelled in Outlook"),
        "moved_in_outlook": _("Moved in Outlook"),
        "declined": _("Declined"),
        "teams_link_changed": _("Teams link changed"),
        "occurrence_skipped": _("Occurrence skipped"),
        "occurrence_moved": _("Occurrence moved"),
        "occurrence_cancelled": _("Occurrence cancelled"),
        "series_ended": _("This and the following occurrences cancelled"),
        "series_moved": _("The whole series moved"),
        "occurrence_moved_in_outlook": _("Occurrence moved in Outlook"),
        "occurrence_cancelled_in_outlook": _("Occurrence cancelled in Outlook"),
        "room_declined": _("The room declined"),
        "room_changed": _("Another room"),
        NOT_ANSWERING: _("Microsoft 365 did not answer; Overlap kept trying"),
    }

    def __str__(self) -> str:
        return f"{self.kind} → {self.state}"

    @property
    def label(self) -> str:
        return str(self.LABELS.get(self.kind, self.kind))


class RoomPreference(models.Model):
    """A member's usual room list and building, remembered when they book a room: the booking page asks for
    that list first, and offers rooms in that building first when any list will do."""

    membership = models.OneToOneField(Membership, on_delete=models.CASCADE, related_name="room_preference")
    room_list = models.ForeignKey(
        "integrations.RoomList", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    building = models.CharField(max_length=200, blank=True)
    updated = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.membership}: {self.building or 'any building'}"
