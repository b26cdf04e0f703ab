"""Each booking's history (`BookingEvent`) as a source of the admins' audit trail (`accounts.audit`).

The history stays the booking's own (its page shows it); the trail reads it here. What it shows of a meeting is
what Overlap made: the subject the organizer typed in Overlap, never anything read from Outlook.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from accounts import audit
from booking.models import Booking, BookingEvent, Participant

_FROM_OUTLOOK = frozenset({"moved_in_outlook", "cancelled_in_outlook", "declined"})


class BookingHistory:
    name = "booking"
    areas: frozenset[str] = frozenset({audit.Area.BOOKINGS})

    def entries(self, query: audit.Query, *, after: audit.Cursor | None, limit: int) -> list[audit.Entry]:
        rows = BookingEvent.objects.filter(booking__organization=query.organization)
        if query.people is not None:
            took_part = Participant.objects.filter(booking=OuterRef("booking"), membership__user__in=query.people)
            rows = rows.filter(Q(actor__in=query.people) | Exists(took_part))
        rows = rows.select_related("actor", "booking__organizer__user")
        found = audit.newest(rows, query, after=after, source=self.name, field="at", limit=limit)
        return [self._entry(row) for row in found]

    def _entry(self, row: BookingEvent) -> audit.Entry:
        return audit.Entry(
            key=audit.Cursor(row.at, self.name, row.pk),
            area=audit.Area.BOOKINGS,
            what=row.label,
            on=_meeting(row.booking),
            who=_who(row),
            where=audit.Where.OUTLOOK if row.kind in _FROM_OUTLOOK else audit.Where.OVERLAP,
            detail=row.detail,
        )

    def prune(self, *, before: datetime) -> int:
        """A meeting that has not ended keeps its whole history; the booking's row (its state) is never deleted."""
        old = BookingEvent.objects.filter(at__lt=before).exclude(booking__end__gt=timezone.now())
        return old.delete()[0]


def _meeting(booking: Booking) -> str:
    return f"“{booking.subject}”, organized by {booking.organizer.user}"


def _who(row: BookingEvent) -> str:
    if row.actor is not None:
        return str(row.actor)
    if row.kind == "declined":
        return row.detail or audit.MICROSOFT  # the colleague who declined, as the read-back named them
    return audit.MICROSOFT if row.kind in _FROM_OUTLOOK else audit.OVERLAP


def register() -> None:
    audit.register(BookingHistory())
