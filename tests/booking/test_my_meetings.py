"""After the booking: reschedule, cancel, what Outlook changed read back by id, and My meetings, in both modes."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from booking.models import Booking, Participant
from booking.rules import booking_rules_of
from booking.tasks import read_back_due
from m365_emulator.testing import EmulatorProcess
from tests.booking.helpers import (
    ADELE,
    ALEX,
    MEGAN,
    World,
    book,
    copies,
    form,
    free_slot,
    graph_calls,
    meeting_url,
)
from tests.conftest import Org, signed_in
from tests.integrations.helpers import CONTOSO_ID

# Whatever a test here does, the calendar calls it causes keep Overlap's data contract (tests/booking/conftest.py).
pytestmark = pytest.mark.usefixtures("data_contract")


@pytest.fixture
def meeting(world: World) -> Booking:
    start = free_slot(world, [world.megan, world.adele])
    book(world.client(world.megan), world.org, form(start, required=[world.adele]))
    booking = Booking.objects.get()
    assert booking.state == Booking.State.CONFIRMED
    return booking


def utc(moment: datetime) -> dict[str, str]:
    return {"dateTime": moment.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"}


def in_outlook(world: World, address: str, event_id: str, action: str, body: dict[str, Any] | None = None) -> None:
    world.emulator.control("POST", f"/tenants/{CONTOSO_ID}/mailboxes/{address}/events/{event_id}/{action}", body or {})


def read_back_everything() -> None:
    Booking.objects.update(read_back_at=None)  # due now, whatever the clock says
    read_back_due.delay()


class TestReschedule:
    def test_the_organizer_moves_the_meeting_in_every_calendar_and_keeps_its_teams_link(
        self, world: World, meeting: Booking
    ) -> None:
        new_start = free_slot(world, [world.megan, world.adele], days=10)
        since = world.emulator.last_seq()

        page = (
            world.client(world.megan)
            .post(
                meeting_url(meeting, "meeting_reschedule"),
                {"start": new_start.isoformat(), "minutes": "30"},
                follow=True,
            )
            .content.decode()
        )

        meeting.refresh_from_db()
        assert "The meeting is moved" in page and meeting.start == new_start
        for address in (MEGAN, ADELE):
            (copy,) = copies(world.emulator, address, meeting.ical_uid)
            assert copy["start"]["dateTime"].startswith(new_start.strftime("%Y-%m-%dT%H:%M"))
        assert copies(world.emulator, MEGAN, meeting.ical_uid)[0]["onlineMeeting"]["joinUrl"] == meeting.join_url
        (patch,) = [c for c in graph_calls(world.emulator, since) if c["method"] == "PATCH"]
        assert set(patch["body"]) == {"start", "end"}
        assert [e.kind for e in meeting.history.all()][-1] == "rescheduled"

    def test_an_organizer_in_india_moves_the_meeting_to_the_hour_of_their_clock_and_not_to_the_utc_hour(
        self, world: World, meeting: Booking
    ) -> None:
        world.megan.user.time_zone = "Asia/Kolkata"
        world.megan.user.save(update_fields=["time_zone"])
        rules = booking_rules_of(organization=world.org.organization)
        rules.granularity_minutes = 60
        rules.save()
        utc_hour = free_slot(world, [world.megan, world.adele], minutes=90, days=10)  # 21:30 in Kolkata
        client = world.client(world.megan)

        refused = client.post(
            meeting_url(meeting, "meeting_reschedule"), {"start": utc_hour.isoformat(), "minutes": "60"}, follow=True
        ).content.decode()
        moved = client.post(
            meeting_url(meeting, "meeting_reschedule"),
            {"start": (utc_hour + timedelta(minutes=30)).isoformat(), "minutes": "60"},
            follow=True,
        ).content.decode()

        assert "A meeting starts on a 60-minute mark of the organizer&#x27;s clock (Asia/Kolkata)" in refused
        meeting.refresh_from_db()
        assert "The meeting is moved" in moved and meeting.start == utc_hour + timedelta(minutes=30)

    def test_the_organizer_picks_a_fresh_suggestion_and_the_meeting_moves_there(self, world: World) -> None:
        # Alex (New York) shares working hours with Megan (Seattle); Adele (Berlin) does not.
        book(
            world.client(world.megan),
            world.org,
            form(free_slot(world, [world.megan, world.alex]), required=[world.alex]),
        )
        meeting = Booking.objects.get()
        client = world.client(world.megan)

        page = client.get(meeting_url(meeting, "meeting_new_times"))

        assert page.status_code == 200
        choices = re.findall(r'name="start" value="([^"]+)"', page.content.decode())
        assert choices and meeting.start.isoformat() not in choices  # its own time is busy, never suggested
        client.post(meeting_url(meeting, "meeting_reschedule"), {"start": choices[0], "minutes": "30"})
        meeting.refresh_from_db()
        assert meeting.start == datetime.fromisoformat(choices[0]) and meeting.state == Booking.State.CONFIRMED
        assert copies(world.emulator, ALEX, meeting.ical_uid)[0]["start"]["dateTime"].startswith(
            meeting.start.strftime("%Y-%m-%dT%H:%M")
        )
        assert world.client(world.alex).get(meeting_url(meeting, "meeting_new_times")).status_code == 403

    def test_an_attendee_may_not_move_or_cancel_and_an_outsider_does_not_find_it(
        self, world: World, meeting: Booking, other_org: Org
    ) -> None:
        adele = world.client(world.adele)
        fields = {"start": (meeting.start + timedelta(days=1)).isoformat(), "minutes": "30"}

        assert adele.post(meeting_url(meeting, "meeting_reschedule"), fields).status_code == 403
        assert adele.post(meeting_url(meeting, "meeting_cancel")).status_code == 403
        outsider = signed_in(other_org.admin)
        assert outsider.get(meeting_url(meeting)).status_code == 404
        theirs = reverse("meeting_detail", kwargs={"code": other_org.organization.code, "booking": meeting.code})
        assert outsider.get(theirs).status_code == 404  # their own organization's URL does not reach it either
        meeting.refresh_from_db()
        assert meeting.state == Booking.State.CONFIRMED and len(copies(world.emulator, ADELE, meeting.ical_uid)) == 1

    def test_a_cancelled_meeting_cannot_be_moved(self, world: World, meeting: Booking) -> None:
        client = world.client(world.megan)
        client.post(meeting_url(meeting, "meeting_cancel"), {"confirm": "yes"})
        since = world.emulator.last_seq()

        page = client.post(
            meeting_url(meeting, "meeting_reschedule"),
            {"start": (meeting.start + timedelta(days=1)).isoformat(), "minutes": "30"},
            follow=True,
        ).content.decode()

        assert "cannot be moved" in page
        assert graph_calls(world.emulator, since) == []


class TestCancel:
    def test_the_organizer_cancels_with_a_comment_and_every_calendar_shows_it(
        self, world: World, meeting: Booking
    ) -> None:
        since = world.emulator.last_seq()

        fields = {"comment": "Numbers are late", "confirm": "yes"}
        cancelled = world.client(world.megan).post(meeting_url(meeting, "meeting_cancel"), fields, follow=True)
        page = cancelled.content.decode()

        meeting.refresh_from_db()
        assert meeting.state == Booking.State.CANCELLED and "Numbers are late" in page
        (cancel,) = graph_calls(world.emulator, since)
        assert cancel["path"].endswith("/cancel") and cancel["body"] == {"comment": "Numbers are late"}
        assert copies(world.emulator, ADELE, meeting.ical_uid)[0]["isCancelled"] is True
        assert not meeting.holds.exists()

    def test_cancelling_asks_first_and_changes_nothing_until_the_organizer_confirms(
        self, world: World, meeting: Booking, other_org: Org
    ) -> None:
        since = world.emulator.last_seq()
        client = world.client(world.megan)

        asked = client.post(meeting_url(meeting, "meeting_cancel"), {"comment": "Numbers are late"})

        page = asked.content.decode()
        assert asked.status_code == 200 and f"Cancel “{meeting.subject}”?" in page
        assert "with your message: “Numbers are late”" in page and "It cannot be undone" in page
        assert 'name="confirm" value="yes"' in page and "Keep the meeting" in page
        meeting.refresh_from_db()
        assert meeting.state == Booking.State.CONFIRMED and graph_calls(world.emulator, since) == []
        assert signed_in(other_org.admin).post(meeting_url(meeting, "meeting_cancel")).status_code == 404

    def test_a_message_too_long_is_refused_on_the_confirmation_and_nothing_is_cancelled(
        self, world: World, meeting: Booking
    ) -> None:
        since = world.emulator.last_seq()
        fields = {"comment": "x" * 2001, "confirm": "yes"}

        refused = world.client(world.megan).post(meeting_url(meeting, "meeting_cancel"), fields)

        assert refused.status_code == 400 and "Nothing was cancelled." in refused.content.decode()
        meeting.refresh_from_db()
        assert meeting.state == Booking.State.CONFIRMED and graph_calls(world.emulator, since) == []


class TestReadBack:
    def test_a_decline_and_a_move_made_in_outlook_are_picked_up_and_shown(self, world: World, meeting: Booking) -> None:
        moved = meeting.start + timedelta(hours=1)
        in_outlook(
            world, MEGAN, meeting.event_id, "move", {"start": utc(moved), "end": utc(moved + timedelta(minutes=30))}
        )
        (adeles,) = copies(world.emulator, ADELE, meeting.ical_uid)  # a move resets answers: she answers after
        in_outlook(world, ADELE, adeles["id"], "respond", {"response": "declined"})
        since = world.emulator.last_seq()

        read_back_everything()

        meeting.refresh_from_db()
        assert meeting.start == moved and meeting.moved_in_outlook
        assert meeting.participants.get(role="required").response == Participant.Response.DECLINED
        assert set(meeting.holds.values_list("start", flat=True)) == {moved}  # the guard follows
        page = world.client(world.megan).get(meeting_url(meeting)).content.decode()
        assert "moved in Outlook" in page and "declined" in page and "Find another time" in page
        only_reads_by_id(world.emulator, since, [meeting])

    def test_a_cancellation_in_outlook_is_picked_up_and_frees_the_time(self, world: World, meeting: Booking) -> None:
        in_outlook(world, MEGAN, meeting.event_id, "cancel")

        read_back_everything()

        meeting.refresh_from_db()
        assert meeting.state == Booking.State.CANCELLED and meeting.cancelled_in_outlook
        assert "Cancelled in Outlook" in world.client(world.megan).get(meeting_url(meeting)).content.decode()
        assert not meeting.holds.exists()

    def test_my_meetings_refreshes_once_a_minute_and_shows_an_attendee_how_to_answer(
        self, world: World, meeting: Booking
    ) -> None:
        (adeles,) = copies(world.emulator, ADELE, meeting.ical_uid)
        in_outlook(world, ADELE, adeles["id"], "respond", {"response": "accepted"})
        Booking.objects.update(read_back_at=timezone.now() - timedelta(minutes=2))
        since = world.emulator.last_seq()
        url = reverse("meetings", kwargs={"code": world.org.code})

        organizers_page = world.client(world.megan).get(url).content.decode()
        attendees_page = world.client(world.adele).get(url).content.decode()

        assert "Adele Vance (required): Accepted" in organizers_page and "Open in Outlook" in organizers_page
        assert "Answer in Outlook" in attendees_page and meeting.join_url in attendees_page
        failed = Booking.objects.create(
            organization=meeting.organization,
            organizer=world.megan,
            start=meeting.start,
            end=meeting.end,
            subject="Never sent",
            state=Booking.State.FAILED,
        )
        failed.participants.create(membership=world.adele, role="required")
        assert "Never sent" not in world.client(world.adele).get(url).content.decode()
        assert "Never sent" in world.client(world.megan).get(url).content.decode()
        only_reads_by_id(world.emulator, since, [meeting])  # one batch: the second page found it fresh

    def test_a_revoked_grant_pauses_read_back_until_the_organizer_reconnects(
        self, world: World, meeting: Booking
    ) -> None:
        if not world.delegated:
            pytest.skip("individual mode only: domain-wide has no member grant")
        world.megan.calendar_grant.mark_reconnect_needed(reason="Signed out everywhere")
        (adeles,) = copies(world.emulator, ADELE, meeting.ical_uid)
        in_outlook(world, ADELE, adeles["id"], "respond", {"response": "declined"})

        read_back_everything()
        assert meeting.participants.get(role="required").response == Participant.Response.NONE

        from tests.integrations.helpers import connect_calendar

        connect_calendar(world.client(world.megan), world.org, world.emulator, MEGAN)
        read_back_everything()
        assert meeting.participants.get(role="required").response == Participant.Response.DECLINED


def only_reads_by_id(emulator: EmulatorProcess, since: int, bookings: list[Booking]) -> None:
    """The read-back's calls: one $batch per 20 meetings, holding GETs of Overlap's own event ids only."""
    calls = graph_calls(emulator, since, batched=True)
    top = [c for c in calls if c["batch"] is None]
    inner = [c for c in calls if c["batch"] is not None]
    assert [(c["method"], c["path"]) for c in top] == [("POST", "/v1.0/$batch")] * -(-len(bookings) // 20)
    ids = {b.event_id for b in bookings}
    assert inner and all(c["method"] == "GET" and c["path"].rsplit("/", 1)[-1] in ids for c in inner)
    assert all(set(c["query"]["$select"][0].split(",")) <= SHOWN for c in inner)


SHOWN = {
    *("id", "iCalUId", "subject", "start", "end", "isCancelled", "webLink", "onlineMeeting", "attendees"),
    *("organizer", "transactionId", "responseStatus", "changeKey", "showAs", "isOrganizer"),
}
