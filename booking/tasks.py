"""Booking's background work: thin tasks that take an id, call a service, and retry what is transient."""

from __future__ import annotations

import contextlib
import logging
from typing import NoReturn

from celery import shared_task
from celery.app.task import Task
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.utils import translation
from django.utils.translation import gettext
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from booking import readback, series_changes, services, sweep
from booking.models import Booking
from integrations.calendars import CalendarError

log = logging.getLogger(__name__)
MAX_RETRIES = 8
# What passes by itself: the database restarting or failing over, the broker or Redis (cache, limiter) away.
INFRASTRUCTURE = (OperationalError, InterfaceError, BrokerError, RedisConnectionError, RedisTimeoutError)


@shared_task(bind=True, max_retries=MAX_RETRIES, acks_late=True)
def confirm_booking(self: Task[..., str], booking_id: int) -> str:
    """Create the booking's meeting, then skip or move the occurrences of a near miss; every transient error
    (Microsoft, the database, the broker) is tried again with back-off, and the try after one that made the
    meeting adopts it (booking.services.booking_confirm) and does only the changes still to do. What it writes
    for the organizer to read (why it failed) is in the organizer's language."""
    with translation.override(_organizers_language(booking_id)):
        return _confirm(self, booking_id)


def _organizers_language(booking_id: int) -> str:
    with contextlib.suppress(*INFRASTRUCTURE):  # the database away: the retry below deals with it
        found = Booking.objects.filter(pk=booking_id).values_list("organizer__user__language", flat=True).first()
        return found or settings.LANGUAGE_CODE
    return settings.LANGUAGE_CODE


def _confirm(self: Task[..., str], booking_id: int) -> str:
    try:
        services.booking_confirm_later(booking_id=booking_id)  # under way: the sweep leaves it alone
        booking = Booking.objects.select_related("organizer__user", "organization").get(pk=booking_id)
        state = services.booking_confirm(booking=booking)
        series_changes.series_pending_apply(booking=booking)
        return state
    except CalendarError as error:
        return _microsoft_did_not_answer(self, booking_id, error)
    except INFRASTRUCTURE as error:
        # In-process (no broker) the member's request must not wait: it is logged and the sweep sends it again.
        if self.request.is_eager or self.request.retries >= MAX_RETRIES:
            raise
        _try_later(self, booking_id, error, _backoff(self.request.retries, first=1))


def _microsoft_did_not_answer(task: Task[..., str], booking_id: int, error: CalendarError) -> str:
    # In-process (no broker) there is nobody to come back later: waiting would hold the member's request.
    if task.request.retries < MAX_RETRIES and not task.request.is_eager:
        with contextlib.suppress(*INFRASTRUCTURE):  # what the member reads; the retry matters more
            services.booking_microsoft_not_answering(booking_id=booking_id, reason=error.reason)
        _try_later(task, booking_id, error, _backoff(task.request.retries, advised=error.retry_after))
    booking = Booking.objects.get(pk=booking_id)
    log.warning("Booking %s could not be created: %s", booking.code, error.reason)
    reason = gettext("Microsoft 365 did not answer after several tries (%(why)s). Try again in a few minutes.") % {
        "why": error.reason
    }
    return services.booking_fail(booking=booking, reason=reason, fix="retry")


def _try_later(task: Task[..., str], booking_id: int, error: Exception, countdown: float) -> NoReturn:
    log.warning("Booking %s: %s; trying again in %.0f s", booking_id, error, countdown)
    # When the database is what failed, the sweep may send it once more meanwhile, which is harmless.
    with contextlib.suppress(*INFRASTRUCTURE):
        services.booking_confirm_later(booking_id=booking_id, seconds=countdown)
    raise task.retry(exc=error, countdown=countdown) from error


@shared_task
def sweep_pending() -> str:
    """The periodic sweep (BOOKING_SWEEP_SECONDS): bookings stuck PENDING are sent to the workers again."""
    return sweep.pending_sweep().summary


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


def _backoff(retries: int, *, advised: float | None = None, first: float = 30) -> float:
    """Microsoft's advice, else doubling from `first`; never beyond BOOKING_RETRY_MAX_SECONDS, which the broker's
    visibility timeout outlasts (a waiting task is not handed out twice)."""
    return float(min(advised or first * 2**retries, settings.BOOKING_RETRY_MAX_SECONDS))
