"""No booking stays PENDING waiting for a person: a lost enqueue, a database error after the meeting was made, a
broker that does not answer, two sweeps at once. Each ends CONFIRMED with one meeting in the emulator."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from django.db import OperationalError
from django.db.models import F
from django.test import TestCase

from booking import services, sweep
from booking.models import Booking
from booking.tasks import sweep_pending
from m365_emulator.testing import EmulatorProcess
from tests.booking.helpers import (
    ADELE,
    MEGAN,
    World,
    at_once,
    book,
    copies,
    form,
    free_slot,
    graph_calls,
    meeting_url,
    world_in,
)
from tests.conftest import Org, signed_in

pytestmark = pytest.mark.usefixtures("data_contract")


@contextmanager
def broker_down() -> Iterator[None]:
    """Celery publishes to a Redis that does not answer (a port nobody listens on), as when Redis is killed."""
    from config.celery_app import app as celery_app

    app: Any = celery_app  # the pools are private attributes, reset so that the new broker URL is used
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    saved = app.conf.broker_url, app.conf.task_always_eager, app._pool, app.amqp._producer_pool
    app.conf.broker_url, app.conf.task_always_eager = f"redis://127.0.0.1:{port}/0", False
    app._pool = app.amqp._producer_pool = None
    try:
        yield
    finally:
        if app._pool is not None:
            app._pool.force_close_all()
        app.conf.broker_url, app.conf.task_always_eager, app._pool, app.amqp._producer_pool = saved


def aged(booking: Booking, minutes: int = 3) -> None:
    """Nobody tried this booking for `minutes` (longer than BOOKING_SWEEP_AFTER_SECONDS)."""
    Booking.objects.filter(pk=booking.pk).update(updated=F("updated") - timedelta(minutes=minutes))


def creates(emulator: EmulatorProcess, since: int) -> list[dict[str, Any]]:
    return [c for c in graph_calls(emulator, since) if c["method"] == "POST" and c["path"].endswith("/events")]


def run_sweep() -> str:
    with TestCase.captureOnCommitCallbacks(execute=True):
        return str(sweep_pending.delay().get())


@pytest.fixture
def contoso(org: Org, emulator_settings: EmulatorProcess) -> World:
    return world_in(org, emulator_settings, "domain_wide")


def test_a_broker_that_does_not_answer_shows_the_meeting_page_creating_not_an_error(
    contoso: World, other_org: Org, caplog: pytest.LogCaptureFixture
) -> None:
    start = free_slot(contoso, [contoso.megan, contoso.adele])
    client = contoso.client(contoso.megan)

    with broker_down(), caplog.at_level(logging.ERROR, logger="booking.services"):
        response = book(client, contoso.org, form(start, required=[contoso.adele]))

    booking = Booking.objects.get()
    assert response.status_code == 302 and response["Location"] == meeting_url(booking)
    page = client.get(meeting_url(booking))
    assert page.status_code == 200 and "Creating your meeting…" in page.content.decode()
    assert booking.state == Booking.State.PENDING and booking.holds.count() == 2
    assert "the sweep sends it again" in caplog.text
    assert signed_in(other_org.admin).get(meeting_url(booking)).status_code == 404


def test_the_sweep_sends_a_booking_whose_enqueue_was_lost_and_it_ends_with_one_meeting(contoso: World) -> None:
    start = free_slot(contoso, [contoso.megan, contoso.adele])
    with broker_down():
        book(contoso.client(contoso.megan), contoso.org, form(start, required=[contoso.adele]))
    booking = Booking.objects.get()
    assert run_sweep() == "0 sent again, 0 failed (time passed)"  # too young: its first try may still come
    aged(booking)
    since = contoso.emulator.last_seq()

    summary = run_sweep()

    booking.refresh_from_db()
    assert summary.startswith("1 sent again") and booking.state == Booking.State.CONFIRMED
    assert len(copies(contoso.emulator, MEGAN, booking.ical_uid)) == 1
    assert len(copies(contoso.emulator, ADELE, booking.ical_uid)) == 1
    assert len(creates(contoso.emulator, since)) == 1
    assert [e.kind for e in booking.history.all()] == ["booked", "retried", "confirmed"]
    assert run_sweep().startswith("0 sent again")  # a confirmed booking is never sent again


def test_a_database_error_after_the_meeting_was_made_leaves_it_to_the_sweep_which_adopts_the_meeting(
    contoso: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    start = free_slot(contoso, [contoso.megan, contoso.adele])
    monkeypatch.setattr(services, "_confirm", failing_once(services._confirm))
    since = contoso.emulator.last_seq()

    response = book(contoso.client(contoso.megan), contoso.org, form(start, required=[contoso.adele]))

    booking = Booking.objects.get()
    assert response.status_code == 302 and booking.state == Booking.State.PENDING  # in-process: no retry waits
    aged(booking)
    run_sweep()
    booking.refresh_from_db()
    assert booking.state == Booking.State.CONFIRMED
    assert len(copies(contoso.emulator, MEGAN, booking.ical_uid)) == 1
    assert len(creates(contoso.emulator, since)) == 1  # the sweep's try found the meeting by Overlap's tag


def test_a_stuck_booking_whose_time_passed_without_a_try_fails_with_a_reason_and_makes_nothing(
    contoso: World,
) -> None:
    start = free_slot(contoso, [contoso.megan, contoso.adele])
    with broker_down():
        book(contoso.client(contoso.megan), contoso.org, form(start, required=[contoso.adele]))
    Booking.objects.update(start=F("start") - timedelta(days=30), end=F("end") - timedelta(days=30))
    aged(Booking.objects.get())
    since = contoso.emulator.last_seq()

    assert run_sweep() == "0 sent again, 1 failed (time passed)"

    booking = Booking.objects.get()
    assert booking.state == Booking.State.FAILED and "time passed" in booking.failure_reason
    assert booking.failure_fix == "other_time" and not creates(contoso.emulator, since)


def failing_once(confirm: Callable[..., None]) -> Callable[..., None]:
    """`services._confirm` that meets a database restart the first time: the meeting is made, the write fails."""
    calls = []

    def flaky(*args: Any, **kwargs: Any) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        confirm(*args, **kwargs)

    return flaky


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_tries_again_after_a_database_error_and_makes_one_meeting(
    org: Org, emulator_settings: EmulatorProcess, real_worker: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = world_in(org, emulator_settings, "domain_wide")
    start = free_slot(world, [world.megan, world.adele])
    monkeypatch.setattr(services, "_confirm", failing_once(services._confirm))
    since = emulator_settings.last_seq()

    book(world.client(world.megan), world.org, form(start, required=[world.adele]), run_tasks=False)

    booking = settled(Booking.objects.get())
    assert booking.state == Booking.State.CONFIRMED
    assert len(copies(emulator_settings, MEGAN, booking.ical_uid)) == 1
    assert len(creates(emulator_settings, since)) == 1  # the retry found the meeting by Overlap's tag


def settled(booking: Booking, timeout: float = 30) -> Booking:
    deadline = time.monotonic() + timeout
    while booking.state == Booking.State.PENDING and time.monotonic() < deadline:
        time.sleep(0.2)
        booking.refresh_from_db()
    return booking


def test_two_sweeps_at_once_send_a_stuck_booking_once(
    org: Org, emulator_settings: EmulatorProcess, threads_share_the_database: None
) -> None:
    world = world_in(org, emulator_settings, "domain_wide")
    start = free_slot(world, [world.megan, world.adele])
    with broker_down():
        book(world.client(world.megan), world.org, form(start, required=[world.adele]))
    booking = Booking.objects.get()
    aged(booking)
    since = emulator_settings.last_seq()

    results = at_once(2, lambda: sweep.pending_sweep().resent)

    booking.refresh_from_db()
    assert sorted(results) == [0, 1] and booking.state == Booking.State.CONFIRMED
    assert booking.history.filter(kind="retried").count() == 1
    assert len(creates(emulator_settings, since)) == 1


@pytest.mark.django_db(transaction=True)
def test_while_microsoft_does_not_answer_the_meeting_page_says_so_and_overlap_books_once_it_is_back(
    org: Org, other_org: Org, emulator_settings: EmulatorProcess, real_worker: None, settings: Any
) -> None:
    settings.BOOKING_RETRY_MAX_SECONDS = 1  # the worker's next try comes a second later
    world = world_in(org, emulator_settings, "domain_wide")
    start = free_slot(world, [world.megan, world.adele])
    emulator_settings.control("POST", "/throttle", {"mailbox": MEGAN, "count": 10_000, "status": 503})
    client = world.client(world.megan)
    began = time.monotonic()

    book(client, world.org, form(start, required=[world.adele]))
    booking = Booking.objects.get()
    status = meeting_url(booking) + "?part=status"
    while "not answering" not in (page := client.get(status).content.decode()) and time.monotonic() - began < 30:
        time.sleep(0.3)
    waited = time.monotonic() - began
    emulator_settings.control("POST", "/throttle", {"clear": True})  # Microsoft is back

    assert "Microsoft 365 is not answering" in page and "keeps trying" in page and waited < 20, (waited, page)
    assert signed_in(other_org.member).get(status).status_code == 404
    booking = settled(booking)
    assert booking.state == Booking.State.CONFIRMED
    assert len(copies(emulator_settings, MEGAN, booking.ical_uid)) == 1
    assert "not answering" not in client.get(status).content.decode()
