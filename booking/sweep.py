"""The sweep: no booking stays PENDING waiting for a person (nor a series with its near-miss changes undone).

A confirmation can be lost on its way (the broker was down when the booking committed, Redis without persistence
restarted, a worker died with the task, a database error after its last retry). Every BOOKING_SWEEP_SECONDS the
sweep claims the bookings that have seen no try for BOOKING_SWEEP_AFTER_SECONDS and sends them to the workers
again. Confirming is idempotent (the booking's UUID as transactionId, then a lookup by Overlap's tag before any
second create), so a resend adopts a meeting Microsoft already made rather than making another.

Rows are claimed under `select_for_update(skip_locked=True)` and marked in the same transaction: two sweeps
running at once (two beats, a slow one overlapping the next) never send the same booking twice. SQLite ignores
the row lock, and needs none: its transactions take the write lock when they begin (config/settings/base.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from booking import services
from booking.models import Booking, BookingEvent, BookingOccurrence

BATCH = 500  # bookings claimed per sweep; the rest wait for the next one
PASSED = "The time passed before Microsoft 365 could be reached, so the meeting was not made. Pick another time."


@dataclass(frozen=True)
class Swept:
    resent: int = 0
    failed: int = 0

    @property
    def summary(self) -> str:
        return f"{self.resent} sent again, {self.failed} failed (time passed)"


def pending_sweep(*, older_than: timedelta | None = None) -> Swept:
    """Send again each PENDING booking with no try for `older_than` (BOOKING_SWEEP_AFTER_SECONDS); fail those
    whose time has passed and whose meeting was never asked for."""
    age = older_than or timedelta(seconds=settings.BOOKING_SWEEP_AFTER_SECONDS)
    with transaction.atomic():
        claimed = _claim(age)
        passed = [b for b in claimed if b.start <= timezone.now() and b.create_attempted_at is None]
        resent = [b.pk for b in claimed if b not in passed]
        BookingEvent.objects.bulk_create(
            BookingEvent(booking=b, kind="retried", state=b.state, detail="Sent again by Overlap (no answer yet)")
            for b in claimed
            if b not in passed
        )
        for booking_id in resent:
            services.booking_confirm_enqueue(booking_id=booking_id)
    for booking in passed:
        services.booking_fail(booking=booking, reason=PASSED, fix="other_time")
    return Swept(resent=len(resent), failed=len(passed))


def _claim(age: timedelta) -> list[Booking]:
    """The stuck bookings, locked and marked as tried now (inside the caller's transaction)."""
    now = timezone.now()
    # A confirmed series whose near-miss changes were not done yet (its worker died after the create) too.
    unfinished = BookingOccurrence.objects.filter(
        state__in=(BookingOccurrence.State.SKIP, BookingOccurrence.State.MOVE)
    )
    waiting = Q(state=Booking.State.PENDING) | Q(state=Booking.State.CONFIRMED, pk__in=unfinished.values("booking_id"))
    stuck = Booking.objects.filter(waiting, updated__lt=now - age).order_by("updated", "pk")
    claimed = list(stuck.select_for_update(skip_locked=True)[:BATCH])
    Booking.objects.filter(pk__in=[b.pk for b in claimed]).update(updated=now)
    return claimed
