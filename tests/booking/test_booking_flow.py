"""Booking end to end: the POST, the confirmation task (eager here), the emulator's calendars, the meeting page."""

from __future__ import annotations

import html
import re
import uuid
from datetime import timedelta

import pytest
from django.test import TestCase
from django.urls import reverse

from booking import services
from booking.models import Booking
from booking.tasks import confirm_booking
from integrations import calendars
from m365_emulator.testing import EmulatorProcess
from tests.booking.helpers import (
    ADELE,
    MEGAN,
    World,
    book,
    copies,
    form,
    free_slot,
    graph_calls,
    meeting_url,
    world_in,
)
from tests.conftest import Org
from tests.integrations.helpers import CONTOSO_ID, connect_calendar

# Whatever a test here does, the calendar calls it causes keep Overlap's data contract (tests/booking/conftest.py).
pytestmark = pytest.mark.usefixtures("data_contract")


def only_booking() -> Booking:
    (booking,) = Booking.objects.all()
    return booking


class TestConfirm:
    def test_a_booking_lands_as_one_event_for_the_organizer_and_an_invitation_for_each_colleague(
        self, world: World
    ) -> None:
        start = free_slot(world, [world.megan, world.adele, world.alex])
        since = world.emulator.last_seq()

        response = book(
            world.client(world.megan), world.org, form(start, required=[world.adele], optional=[world.alex])
        )

        booking = only_booking()
        assert response.status_code == 302 and response["Location"] == meeting_url(booking)
        assert booking.state == Booking.State.CONFIRMED
        (mine,) = copies(world.emulator, MEGAN, booking.ical_uid)
        assert mine["isOrganizer"] and mine["onlineMeeting"]["joinUrl"] == booking.join_url
        assert mine["transactionId"] == str(booking.code)
        assert [p["value"] for p in mine["singleValueExtendedProperties"]] == [str(booking.code)]
        assert "Next steps" in mine["body"]["content"]
        assert len(copies(world.emulator, ADELE, booking.ical_uid)) == 1
        calls = [(c["method"], c["path"].rsplit("/", 1)[-1]) for c in graph_calls(world.emulator, since)]
        # The slot is checked again just before, with getSchedule in both modes (the member's own in individual mode).
        assert calls == [("POST", "getSchedule"), ("POST", "events")]
        page = world.client(world.megan).get(meeting_url(booking)).content.decode()
        assert "Confirmed" in page and booking.join_url in page and "Open in Outlook" in page

    def test_the_page_says_creating_until_the_task_has_run_and_polls_itself(self, world: World) -> None:
        start = free_slot(world, [world.megan, world.adele])
        client = world.client(world.megan)

        book(client, world.org, form(start, required=[world.adele]), run_tasks=False)

        booking = only_booking()
        page = client.get(meeting_url(booking)).content.decode()
        assert "Creating your meeting…" in page and 'hx-trigger="every 2s"' in page and "htmx" in page
        confirm_booking.delay(booking.pk)
        fragment = client.get(meeting_url(booking) + "?part=status").content.decode()
        assert "Confirmed" in fragment and "hx-trigger" not in fragment and "<html" not in fragment


class TestNothingLostNothingDoubled:
    def test_a_retry_after_a_lost_reply_adopts_the_meeting_microsoft_made(self, world: World) -> None:
        start = free_slot(world, [world.megan, world.adele])
        book(world.client(world.megan), world.org, form(start, required=[world.adele]), run_tasks=False)
        booking = only_booking()
        # The first worker sent the create and died before the reply came back.
        Booking.objects.filter(pk=booking.pk).update(create_attempted_at=booking.created)
        participants = list(booking.participants.select_related("membership__user"))
        calendars.event_create(organizer=world.megan, new=services._new_event(booking, participants))
        since = world.emulator.last_seq()

        confirm_booking.delay(booking.pk)  # the task is delivered again (late acknowledgement)

        booking.refresh_from_db()
        assert booking.state == Booking.State.CONFIRMED
        assert len(copies(world.emulator, MEGAN, booking.ical_uid)) == 1
        assert len(copies(world.emulator, ADELE, booking.ical_uid)) == 1
        calls = graph_calls(world.emulator, since)
        assert [c["method"] for c in calls] == ["GET"]  # a lookup by Overlap's tag, no second create
        assert calls[0]["query"]["$filter"][0].startswith("singleValueExtendedProperties/Any(")

    def test_a_task_killed_before_microsoft_answered_creates_the_meeting_once(self, world: World) -> None:
        start = free_slot(world, [world.megan, world.adele])
        book(world.client(world.megan), world.org, form(start, required=[world.adele]), run_tasks=False)
        booking = only_booking()
        Booking.objects.filter(pk=booking.pk).update(create_attempted_at=booking.created)  # nothing reached Graph

        confirm_booking.delay(booking.pk)
        confirm_booking.delay(booking.pk)  # and once more: a duplicate delivery changes nothing

        booking.refresh_from_db()
        assert booking.state == Booking.State.CONFIRMED
        assert len(copies(world.emulator, MEGAN, booking.ical_uid)) == 1

    def test_a_second_run_that_meets_the_first_runs_meeting_adopts_it_instead_of_failing_the_booking(
        self, world: World, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        start = free_slot(world, [world.megan, world.adele])
        book(world.client(world.megan), world.org, form(start, required=[world.adele]), run_tasks=False)
        booking = only_booking()
        check_slot = services._check_slot

        def the_other_run_creates_first(*args: object, **kwargs: object) -> object:
            # The sweep's run of this booking looked up its tag (nothing yet), then another run made the meeting.
            Booking.objects.filter(pk=booking.pk).update(create_attempted_at=booking.created)
            participants = list(booking.participants.select_related("membership__user"))
            calendars.event_create(organizer=world.megan, new=services._new_event(booking, participants))
            monkeypatch.setattr(services, "_check_slot", check_slot)
            return check_slot(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(services, "_check_slot", the_other_run_creates_first)

        confirm_booking.delay(booking.pk)

        booking.refresh_from_db()
        assert booking.state == Booking.State.CONFIRMED, booking.failure_reason
        assert len(copies(world.emulator, MEGAN, booking.ical_uid)) == 1
        assert len(copies(world.emulator, ADELE, booking.ical_uid)) == 1

    def test_a_throttled_create_is_sent_again_and_makes_one_meeting(self, world: World) -> None:
        start = free_slot(world, [world.megan, world.adele])
        world.emulator.control("POST", "/throttle", {"mailbox": MEGAN, "count": 2, "retry_after": 0.2})

        book(world.client(world.megan), world.org, form(start, required=[world.adele]))

        booking = only_booking()
        assert booking.state == Booking.State.CONFIRMED
        assert len(copies(world.emulator, MEGAN, booking.ical_uid)) == 1


class TestRefusals:
    def test_why_a_booking_failed_is_written_in_its_organizers_language(self, world: World) -> None:
        world.megan.user.language = "ja"
        world.megan.user.save(update_fields=["language"])
        start = free_slot(world, [world.megan, world.adele])
        book(world.client(world.megan), world.org, form(start, required=[world.adele]), run_tasks=False)
        busy = calendars.NewEvent(
            subject="Dentist", start=start, end=start + timedelta(minutes=60), transaction_id=str(uuid.uuid4())
        )
        calendars.event_create(organizer=world.megan, new=busy)

        confirm_booking.delay(only_booking().pk)  # the worker, in no request's language

        booking = only_booking()
        assert booking.state == Booking.State.FAILED and "no longer free" not in booking.failure_reason
        assert re.search("[\u3040-\u30ff]", booking.failure_reason), booking.failure_reason  # kana

    def test_a_slot_taken_in_outlook_since_the_page_loaded_fails_with_other_times_offered(self, world: World) -> None:
        start = free_slot(world, [world.megan, world.adele])
        book(world.client(world.megan), world.org, form(start, required=[world.adele]), run_tasks=False)
        busy = calendars.NewEvent(
            subject="Dentist",
            start=start,
            end=start + timedelta(minutes=60),
            transaction_id="4c1b2a3d-0000-4000-8000-0000000000d1",
        )
        calendars.event_create(organizer=world.megan, new=busy)  # Megan fills the time in Outlook

        confirm_booking.delay(only_booking().pk)

        booking = only_booking()
        assert booking.state == Booking.State.FAILED and "no longer free" in booking.failure_reason
        page = world.client(world.megan).get(meeting_url(booking)).content.decode()
        assert "Find the next best times" in page and "Try again" in page
        assert f"?required={world.adele.user.uuid}&amp;minutes=30" in page  # the same people, searched again
        assert not booking.holds.exists()  # the time is free again for others

    def test_a_colleague_named_like_microsofts_silence_cannot_turn_a_taken_slot_into_endless_retries(
        self, world: World
    ) -> None:
        start = free_slot(world, [world.megan, world.adele])
        book(world.client(world.megan), world.org, form(start, required=[world.adele]), run_tasks=False)
        world.megan.user.name = "Microsoft 365 could not be asked"  # her busy time's reason starts with these words
        world.megan.user.save(update_fields=["name"])
        busy = calendars.NewEvent(
            subject="Dentist",
            start=start,
            end=start + timedelta(minutes=60),
            transaction_id="4c1b2a3d-0000-4000-8000-0000000000d2",
        )
        calendars.event_create(organizer=world.megan, new=busy)  # she fills the time in Outlook

        confirm_booking.delay(only_booking().pk)

        booking = only_booking()
        assert booking.state == Booking.State.FAILED and booking.failure_fix == "other_time"
        assert (
            "no longer free" in booking.failure_reason and "Microsoft 365 could not be asked" in booking.failure_reason
        )

    def test_a_revoked_grant_fails_with_reconnect_and_trying_again_after_reconnecting_books_once(
        self, org: Org, emulator_settings: EmulatorProcess
    ) -> None:
        emulator_settings.control("POST", "/token-lifetime", {"seconds": 1})
        world = world_in(org, emulator_settings, "delegated")
        start = free_slot(world, [world.megan, world.adele])
        emulator_settings.control("POST", f"/tenants/{CONTOSO_ID}/users/{MEGAN}/revoke-sessions")
        client = world.client(world.megan)

        book(client, world.org, form(start, required=[world.adele]))

        booking = only_booking()
        assert booking.state == Booking.State.FAILED and booking.failure_fix == "reconnect"
        assert "Reconnect your calendar" in client.get(meeting_url(booking)).content.decode()
        emulator_settings.control("POST", "/token-lifetime", {"seconds": None})
        connect_calendar(client, world.org, emulator_settings, MEGAN)
        with TestCase.captureOnCommitCallbacks(execute=True):
            client.post(meeting_url(booking, "meeting_retry"))
        booking.refresh_from_db()
        assert booking.state == Booking.State.CONFIRMED
        assert Booking.objects.count() == 1 and len(copies(emulator_settings, MEGAN, booking.ical_uid)) == 1


def test_the_confirm_pages_form_books_the_time_it_summarises(org: Org, emulator_settings: EmulatorProcess) -> None:
    world = world_in(org, emulator_settings, "domain_wide")
    start = free_slot(world, [world.megan, world.adele])
    client = world.client(world.megan)
    query = form(start, required=[world.adele], subject="Roadmap")
    confirm = client.get(reverse("booking_confirm_page", kwargs={"code": world.org.code}), query)
    page = confirm.content.decode()
    assert confirm.status_code == 200 and "Book this meeting" in page
    posted: dict[str, list[str]] = {}
    for name, value in re.findall(r'type="hidden" name="(\w+)" value="([^"]*)"', page):
        posted.setdefault(name, []).append(html.unescape(value))

    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(reverse("booking_create", kwargs={"code": world.org.code}), posted)

    booking = only_booking()
    assert response.status_code == 302 and booking.state == Booking.State.CONFIRMED
    assert (booking.start, booking.subject, booking.teams) == (start, "Roadmap", True)
    assert list(booking.participants.values_list("membership", flat=True)) == [world.megan.pk, world.adele.pk]


def test_a_booking_no_worker_ran_says_so_and_can_be_sent_again_once(
    org: Org, emulator_settings: EmulatorProcess
) -> None:
    world = world_in(org, emulator_settings, "domain_wide")
    start = free_slot(world, [world.megan, world.adele])
    client = world.client(world.megan)
    book(client, world.org, form(start, required=[world.adele]), run_tasks=False)  # the worker never ran it
    booking = only_booking()
    Booking.objects.filter(pk=booking.pk).update(updated=booking.updated - timedelta(minutes=11))

    page = client.get(meeting_url(booking)).content.decode()
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(meeting_url(booking, "meeting_retry"))

    assert "workers may be down" in page and "Send it again" in page
    booking.refresh_from_db()
    assert booking.state == Booking.State.CONFIRMED
    assert Booking.objects.count() == 1 and len(copies(emulator_settings, MEGAN, booking.ical_uid)) == 1


def test_microsoft_throttling_beyond_patience_fails_in_words_and_makes_nothing(
    org: Org, emulator_settings: EmulatorProcess
) -> None:
    world = world_in(org, emulator_settings, "domain_wide")
    start = free_slot(world, [world.megan, world.adele])
    emulator_settings.control("POST", "/throttle", {"mailbox": MEGAN, "count": 50, "retry_after": 120})
    since = emulator_settings.last_seq()

    book(world.client(world.megan), world.org, form(start, required=[world.adele]))

    booking = only_booking()
    assert booking.state == Booking.State.FAILED and booking.failure_fix == "retry"
    assert "did not answer after several tries" in booking.failure_reason
    tries = [c for c in graph_calls(emulator_settings, since) if c["path"].endswith("getSchedule")]
    assert tries and all(c["status"] == 429 for c in tries)  # in-process: one task run (a worker retries later)
    assert not [c for c in graph_calls(emulator_settings, since) if c["path"].endswith("/events")]
