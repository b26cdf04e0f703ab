"""Booking's background work: thin tasks that take an id, call a service, and retry what is transient."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.app.task import Task

from booking import readback, services
from booking.meetings import Booking
from integrations.calendars import CalendarError

log = logging.getLogger(__name__)
MAX_RETRIES = 8


@shared_task(bind=True, max_retries=MAX_RETRIES, acks_late=True)
def confirm_booking(self: Task, booking_id: int) -> str:
    """Create the booking's meeting; Microsoft's transient refusals are tried again after its Retry-After."""
    booking = Booking.objects.select_related("organizer__user", "organization").get(pk=booking_id)
    try:
        return services.booking_confirm(booking=booking)
    except CalendarError as error:
        # In-process (no broker) there is nobody to come back later: waiting would hold the member's request.
        if self.request.retries < MAX_RETRIES and not self.request.is_eager:
            raise self.retry(exc=error, countdown=_backoff(error, self.request.retries)) from error
        log.warning("Booking %s could not be created: %s", booking.code, error.reason)
        reason = f"Microsoft 365 did not answer after several tries ({error.reason}). Try again in a few minutes."
        return services.booking_fail(booking=booking, reason=reason, fix="retry")


@shared_task(acks_late=True)
def read_back_due() -> int:
    """The periodic read-back: this round's chunks (one $batch each), spread over the round and the mailboxes."""
    chunks = readback.read_back_plan()
    for chunk in chunks:
        read_back_chunk.apply_async((chunk.organizer_id, list(chunk.booking_ids)), countdown=chunk.countdown)
    return len(chunks)


@shared_task(acks_late=True)
def read_back_chunk(membership_id: int, booking_ids: list[int]) -> str:
    """Read back one organizer's chunk of meetings by id: one $batch."""
    return readback.read_back_chunk(membership_id=membership_id, booking_ids=booking_ids).summary


def _backoff(error: CalendarError, retries: int) -> float:
    return float(error.retry_after) if error.retry_after else float(min(30 * 2**retries, 1800))
