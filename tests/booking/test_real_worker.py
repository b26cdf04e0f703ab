"""On the PostgreSQL/Redis pass, bookings are confirmed by a real Celery worker, and a redelivered task makes no
second meeting."""

from __future__ import annotations

import os
import time

import pytest

from booking.models import Booking
from booking.tasks import confirm_booking
from m365_emulator.testing import EmulatorProcess
from tests.booking.helpers import ADELE, MEGAN, book, copies, form, free_slot, world_in
from tests.conftest import Org

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="runs on the PostgreSQL/Redis pass"),
]


def settled(booking: Booking, timeout: float = 30) -> Booking:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        booking.refresh_from_db()
        if booking.state != Booking.State.PENDING:
            return booking
        time.sleep(0.2)
    return booking


@pytest.mark.parametrize("mode", ["domain_wide", "delegated"])
def test_a_real_worker_confirms_the_booking_once_even_when_the_task_is_delivered_twice(
    mode: str, org: Org, emulator_settings: EmulatorProcess, real_worker: None
) -> None:
    world = world_in(org, emulator_settings, mode)
    start = free_slot(world, [world.megan, world.adele])

    response = book(world.client(world.megan), world.org, form(start, required=[world.adele]), run_tasks=False)
    booking = Booking.objects.get()
    confirm_booking.delay(booking.pk)
    confirm_booking.delay(booking.pk)  # a redelivery after a lost acknowledgement

    assert response.status_code == 302
    assert settled(booking).state == Booking.State.CONFIRMED
    time.sleep(1)  # let the second delivery finish
    assert len(copies(emulator_settings, MEGAN, booking.ical_uid)) == 1
    assert len(copies(emulator_settings, ADELE, booking.ical_uid)) == 1


def test_a_real_worker_comes_back_after_microsofts_retry_after_and_books_once(
    org: Org, emulator_settings: EmulatorProcess, real_worker: None
) -> None:
    world = world_in(org, emulator_settings, "domain_wide")
    start = free_slot(world, [world.megan, world.adele])
    # Longer than the client's own patience (30 s): the client gives up at once and the task comes back later.
    emulator_settings.control("POST", "/throttle", {"mailbox": MEGAN, "count": 1, "retry_after": 31})
    began = time.monotonic()

    book(world.client(world.megan), world.org, form(start, required=[world.adele]))

    booking = settled(Booking.objects.get(), timeout=60)
    assert booking.state == Booking.State.CONFIRMED
    # It came back later (the slot check reports no Retry-After, so the task's own 30 s back-off applies).
    assert time.monotonic() - began >= 30
    assert len(copies(emulator_settings, MEGAN, booking.ical_uid)) == 1
