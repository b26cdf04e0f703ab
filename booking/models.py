"""Booking's tables: a meeting Overlap books (the `Booking` state machine, its participants and its history),
and the organization's booking rules (`booking.rules`, registered here for Django).

The state moves only through `Booking.move`, which checks `MOVES` and writes one `BookingEvent`; an
illegal move raises `IllegalMove` and changes nothing. Each participant's row carries the booking's
times and whether it is active, so that the database itself refuses two active bookings that overlap for
the same person (an exclusion constraint on PostgreSQL, a trigger under serialised writes on SQLite; see
the migration).
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import ClassVar

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from accounts.models import Membership, Organization, User
from booking.rules import BookingRules
from booking.series import series_words_of

__all__ = ["MAX_ATTENDEES", "NOT_ANSWERING", "Booking", "BookingEvent", "BookingRules", "IllegalMove", "Participant"]

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
    def is_stuck(self) -> bool:
        """PENDING for longer than any worker should take: nobody ran the confirmation (no worker running)."""
        return self.state == self.State.PENDING and self.updated < timezone.now() - STUCK_AFTER

    @property
    def is_active(self) -> bool:
        return self.state in self.ACTIVE

    def move(self, to: str, *, actor: User | None, kind: str, detail: str = "", **fields: object) -> BookingEvent:
        """Move to `to` (saving `fields` with it) and record it once; raises `IllegalMove` if not allowed."""
        if to not in self.MOVES[self.state]:
            raise IllegalMove(f"A {self.get_state_display().lower()} booking cannot become {to}.")
        self.state = to
        for name, value in fields.items():
            setattr(self, name, value)
        self.save()
        self.participants.update(start=self.start, end=self.end, active=self.is_active)
        return BookingEvent.objects.create(booking=self, actor=actor, kind=kind, state=to, detail=detail[:1000])


class Participant(models.Model):
    """One person of a booking, with the booking's times copied for the double-booking guard."""

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
    # The guard's columns: an optional attendee may be double-booked, as Outlook allows.
    start = models.DateTimeField()
    end = models.DateTimeField()
    active = models.BooleanField(default=True)
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
        NOT_ANSWERING: _("Microsoft 365 did not answer; Overlap kept trying"),
    }

    def __str__(self) -> str:
        return f"{self.kind} → {self.state}"

    @property
    def label(self) -> str:
        return str(self.LABELS.get(self.kind, self.kind))
