"""What My meetings, a meeting's page and its new times say, in both modes, on calendars the tests own.

Each test empties the calendars it books in (the emulator's demo calendars change every week) and books next
week's Monday at 17:00 UTC, inside Megan's (Seattle) and Alex's (New York) shared working hours."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from booking.models import Booking
from booking.tasks import read_back_due
from tests.booking.helpers import ALEX, MEGAN, World, book, copies, form, meeting_url
from tests.booking.world import next_week, next_week_days
from tests.conftest import Org, signed_in
from tests.integrations.helpers import CONTOSO_ID

pytestmark = pytest.mark.usefixtures("data_contract")


def quiet(world: World, *addresses: str) -> None:
    """These calendars emptied from today to the end of next week: the test owns every minute of them."""
    start, _ = next_week()
    for address in addresses:
        world.emulator.clear(address, start - timedelta(days=7), start + timedelta(days=7))


@pytest.fixture
def meeting(world: World) -> Booking:
    """Megan's meeting with Alex, booked through the page at a time both calendars leave free."""
    quiet(world, MEGAN, ALEX)
    first, _ = next_week_days()
    start = datetime(first.year, first.month, first.day, 17, tzinfo=UTC)
    book(world.client(world.megan), world.org, form(start, required=[world.alex], subject="Roadmap"))
    booking = Booking.objects.get()
    assert booking.state == Booking.State.CONFIRMED
    return booking


def section(page: str, heading: str) -> str:
    """The part of My meetings under one heading, up to the next."""
    after = page.split(f'<h2 id="{heading}">', 1)[1]
    return after.split("<h2 ", 1)[0]


def in_outlook(world: World, address: str, event_id: str, action: str, body: dict[str, object]) -> None:
    world.emulator.control("POST", f"/tenants/{CONTOSO_ID}/mailboxes/{address}/events/{event_id}/{action}", body)


def read_back() -> None:
    Booking.objects.update(read_back_at=None)  # due now, whatever the clock says
    read_back_due.delay()


def utc(moment: datetime) -> dict[str, str]:
    return {"dateTime": moment.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"}


class TestMyMeetings:
    def test_a_cancelled_meeting_is_under_its_own_heading_and_never_under_upcoming(
        self, world: World, meeting: Booking, other_org: Org
    ) -> None:
        client = world.client(world.megan)
        url = reverse("meetings", kwargs={"code": world.org.code})
        before = client.get(url).content.decode()

        client.post(meeting_url(meeting, "meeting_cancel"), {"confirm": "yes"})
        after = client.get(url).content.decode()

        assert "Roadmap" in section(before, "upcoming") and 'id="cancelled"' not in before
        assert "Roadmap" not in section(after, "upcoming") and "No upcoming meetings." in after
        assert "Roadmap" in section(after, "cancelled") and "Cancelled" in section(after, "cancelled")
        outsiders = signed_in(other_org.admin).get(reverse("meetings", kwargs={"code": other_org.organization.code}))
        assert "Roadmap" not in outsiders.content.decode()

    def test_the_moved_in_outlook_badge_clears_once_the_colleague_accepts_the_new_time(
        self, world: World, meeting: Booking
    ) -> None:
        moved = meeting.start + timedelta(hours=1)
        in_outlook(
            world, MEGAN, meeting.event_id, "move", {"start": utc(moved), "end": utc(moved + timedelta(minutes=30))}
        )
        url = reverse("meetings", kwargs={"code": world.org.code})
        client = world.client(world.megan)

        read_back()
        moved_page = client.get(url).content.decode()
        (alexs,) = copies(world.emulator, ALEX, meeting.ical_uid)  # a move resets answers: he answers after
        in_outlook(world, ALEX, alexs["id"], "respond", {"response": "accepted"})
        read_back()
        settled_page = client.get(url).content.decode()
        detail = client.get(meeting_url(meeting)).content.decode()

        meeting.refresh_from_db()
        assert "moved in Outlook" in moved_page
        assert meeting.start == moved and not meeting.moved_in_outlook
        assert "moved in Outlook" not in settled_page and "Alex Wilber (required): Accepted" in settled_page
        assert "moved in Outlook" not in detail


class TestNewTimes:
    def test_the_organizer_picks_any_free_time_on_their_own_clock_and_types_no_utc(
        self, world: World, meeting: Booking
    ) -> None:
        world.megan.user.time_zone = "America/Los_Angeles"
        world.megan.user.save(update_fields=["time_zone"])
        client = world.client(world.megan)

        detail = client.get(meeting_url(meeting)).content.decode()
        page = html.unescape(client.get(meeting_url(meeting, "meeting_new_times")).content.decode())

        assert "in UTC" not in detail and 'name="start" placeholder' not in detail
        every = page.split('id="every-new-time"', 1)[1]
        choices = re.findall(r'type="radio" name="start" value="([^"]+)" required> (\d\d:\d\d)', every)
        assert len(choices) > 5
        for value, clock in choices:  # each choice is labelled with Megan's own clock
            assert f"{datetime.fromisoformat(value).astimezone(ZoneInfo('America/Los_Angeles')):%H:%M}" == clock
        picked = choices[-1][0]
        client.post(meeting_url(meeting, "meeting_reschedule"), {"start": picked, "minutes": "30"})
        meeting.refresh_from_db()
        assert meeting.start == datetime.fromisoformat(picked) and meeting.state == Booking.State.CONFIRMED
