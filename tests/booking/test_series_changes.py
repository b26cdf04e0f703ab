"""A booked series kept right occurrence by occurrence, against the emulator: the confirm check reads every
occurrence, a near miss is booked with occurrences skipped and moved (done once, whatever retries), the organizer
moves or cancels one, cancels the following ones or the whole series, and what Outlook changed is read back."""

from __future__ import annotations

import html
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

import integrations.calendars as calendars
from accounts.models import Membership
from booking.models import Booking, BookingOccurrence
from booking.tasks import confirm_booking, read_back_due
from integrations.calendars import NewEvent
from m365_emulator.testing import EmulatorProcess
from tests.booking.helpers import book, calendar_calls_keep_the_data_contract, copies, form, graph_calls, meeting_url
from tests.booking.series_world import NOW, london_and_new_york
from tests.conftest import Org, signed_in

SERIES: dict[str, Any] = {"repeats": "weekly", "ends": "count", "occurrences": "8"}
FIRST = datetime(2027, 3, 2, 14, tzinfo=UTC)  # Tuesdays 14:00 in London: 2, 9, 16, 23, 30 Mar, 6, 13, 20 Apr
WINDOW = "start=2027-03-01T00:00:00Z&end=2027-05-01T00:00:00Z"
State = BookingOccurrence.State


def series_fields(alex: Membership, **extra: Any) -> dict[str, Any]:
    return {**form(FIRST, minutes=60, required=[alex]), **SERIES, **extra}


def occurrences(emulator: EmulatorProcess, address: str, booking: Booking) -> list[dict[str, Any]]:
    """The series' occurrences in `address`'s mailbox as the emulator expands them (cancelled ones are gone)."""
    path = f"/tenants/{emulator.tenant_id}/mailboxes/{address}/events?{WINDOW}"
    [series] = [e for e in emulator.control("GET", path)["value"] if e["iCalUId"] == booking.ical_uid]
    found: list[dict[str, Any]] = series["occurrences"]
    return found


def starts(emulator: EmulatorProcess, address: str, booking: Booking) -> list[str]:
    return [o["start"][:16] for o in occurrences(emulator, address, booking)]


def tuesdays(*left_out: int) -> list[str]:
    """The series' starts in UTC, "2027-03-02T14:00": 14:00 in London, 13:00 UTC from 30 March (summer time)."""
    london = ZoneInfo("Europe/London")
    days = [FIRST.date() + timedelta(weeks=n) for n in range(8) if n not in left_out]
    return [f"{datetime.combine(d, time(14), tzinfo=london).astimezone(UTC):%Y-%m-%dT%H:%M}" for d in days]


def writes(emulator: EmulatorProcess, since: int) -> list[str]:
    return [f"{c['method']} {c['path']}" for c in graph_calls(emulator, since, batched=True) if c["method"] != "GET"]


def booked(org: Org, emulator_settings: EmulatorProcess) -> tuple[Membership, Membership, Booking, Client]:
    """Oliver's weekly series with Alex, 8 Tuesdays, booked on the frozen clock (call inside it)."""
    oliver, alex = london_and_new_york(org, emulator_settings)
    client = signed_in(oliver.user)
    book(client, org, series_fields(alex))
    booking = Booking.objects.get(organizer=oliver)
    assert booking.state == Booking.State.CONFIRMED, booking.failure_reason
    return oliver, alex, booking, client


@pytest.mark.parametrize("mode", ["domain_wide", "delegated"])
def test_a_near_miss_is_booked_with_one_occurrence_skipped_and_one_moved_and_a_retry_changes_nothing(
    org: Org, emulator_settings: EmulatorProcess, mode: str
) -> None:
    with time_machine.travel(NOW, tick=True):
        oliver, alex = london_and_new_york(org, emulator_settings, mode)
        client = signed_in(oliver.user)
        fields = series_fields(alex, skip="2027-03-16", move="2027-03-23T16:00")
        query = {**fields, "start": "2027-03-02T14:00:00Z"}
        confirm = html.unescape(client.get(reverse("booking_confirm_page", kwargs={"code": org.code}), query).text)
        assert "Mar 16 skipped" in confirm and "Mar 23 moved to 4:00\xa0PM" in confirm
        book(client, org, fields)
        booking = Booking.objects.get(organizer=oliver)
        since = emulator_settings.last_seq()
        confirm_booking.delay(booking.pk)  # delivered again: nothing is cancelled or moved twice
        again = writes(emulator_settings, since)
        page = html.unescape(client.get(meeting_url(booking)).text)

    booking.refresh_from_db()
    assert booking.state == Booking.State.CONFIRMED and again == []
    rows = {o.original_start.date().isoformat(): o for o in booking.occurrences.all()}
    assert rows["2027-03-16"].state == State.CANCELLED
    assert rows["2027-03-23"].state == State.HELD and rows["2027-03-23"].moved
    assert rows["2027-03-23"].start == datetime(2027, 3, 23, 16, tzinfo=UTC)
    assert booking.holds.count() == 2 * 7  # Oliver and Alex, on the 7 occurrences that stand
    moved = [*tuesdays(2, 3), "2027-03-23T16:00"]
    for person in (oliver, alex):
        assert sorted(starts(emulator_settings, person.user.email, booking)) == sorted(moved)
    assert "Occurrence skipped" in page and "Occurrence moved" in page


def test_the_confirm_check_reads_every_occurrence_and_refuses_a_series_whose_fifth_week_is_taken(
    org: Org, emulator_settings: EmulatorProcess
) -> None:
    with time_machine.travel(NOW, tick=True):
        oliver, alex = london_and_new_york(org, emulator_settings)
        busy = datetime(2027, 3, 30, 13, 30, tzinfo=UTC)  # 14:00 in London after the clocks went forward is 13:00 UTC
        taken = NewEvent(subject="Dentist", start=busy, end=busy + timedelta(hours=1), transaction_id="dentist-1")
        calendars.event_create(organizer=alex, new=taken)
        book(signed_in(oliver.user), org, series_fields(alex))

    booking = Booking.objects.get(organizer=oliver)
    assert booking.state == Booking.State.FAILED and booking.failure_fix == "other_time"
    assert "Mar 30: Alex Wilber is no longer free then" in booking.failure_reason
    assert not booking.holds.exists()


def test_the_organizer_moves_one_occurrence_cancels_one_then_the_following_then_the_series(
    org: Org, other_org: Org, emulator_settings: EmulatorProcess
) -> None:
    with time_machine.travel(NOW, tick=True):
        oliver, alex, booking, client = booked(org, emulator_settings)
        cancel, move = (
            meeting_url(booking, "meeting_occurrence_cancel"),
            meeting_url(booking, "meeting_occurrence_move"),
        )
        ninth, sixteenth, april = "2027-03-09T14:00:00Z", "2027-03-16T14:00:00Z", "2027-04-06T13:00:00Z"
        # Attackers: the colleague cannot change it, another organization cannot even see it, no such occurrence.
        assert signed_in(alex.user).post(cancel, {"occurrence": ninth}).status_code == 403
        assert signed_in(other_org.admin).post(cancel, {"occurrence": ninth}).status_code == 404
        assert client.post(cancel, {"occurrence": "2027-03-10T14:00:00Z"}).status_code == 404
        other = reverse("meeting_occurrence_cancel", kwargs={"code": other_org.code, "booking": booking.code})
        assert client.post(other, {"occurrence": ninth}).status_code == 404

        client.post(move, {"occurrence": ninth, "at": "15:30"})
        client.post(cancel, {"occurrence": sixteenth, "scope": "one", "comment": "Away that week"})
        assert sorted(starts(emulator_settings, alex.user.email, booking)) == sorted(
            [*tuesdays(1, 2), "2027-03-09T15:30"]
        )
        client.post(cancel, {"occurrence": april, "scope": "following", "comment": "Project ends"})
        shortened = starts(emulator_settings, alex.user.email, booking)
        page = html.unescape(client.get(meeting_url(booking)).text)
        [series] = copies(emulator_settings, oliver.user.email, booking.ical_uid)
        client.post(meeting_url(booking, "meeting_cancel"), {"confirm": "yes", "comment": "Done"})

    assert sorted(shortened) == ["2027-03-02T14:00", "2027-03-09T15:30", "2027-03-23T14:00", "2027-03-30T13:00"]
    assert series["onlineMeeting"]["joinUrl"] == booking.join_url  # the Teams link kept through every change
    assert "Away that week" in page and "Project ends" in page
    booking.refresh_from_db()
    assert booking.state == Booking.State.CANCELLED and not booking.holds.exists()
    assert copies(emulator_settings, alex.user.email, booking.ical_uid)[0]["isCancelled"] is True


def test_a_move_a_cancellation_and_a_decline_made_in_outlook_are_read_back_per_occurrence(
    org: Org, emulator_settings: EmulatorProcess
) -> None:
    with time_machine.travel(NOW, tick=True):
        oliver, alex, booking, client = booked(org, emulator_settings)
        mine = {o["start"][:10]: o["id"] for o in occurrences(emulator_settings, oliver.user.email, booking)}
        theirs = {o["start"][:10]: o["id"] for o in occurrences(emulator_settings, alex.user.email, booking)}
        outlook = f"/tenants/{emulator_settings.tenant_id}/mailboxes"
        emulator_settings.control("POST", f"{outlook}/{alex.user.email}/events/{theirs['2027-03-09']}/respond", {
            "response": "declined"
        })  # fmt: skip
        moved = {"start": {"dateTime": "2027-03-16T16:00:00", "timeZone": "UTC"},
                 "end": {"dateTime": "2027-03-16T17:00:00", "timeZone": "UTC"}}  # fmt: skip
        emulator_settings.control("POST", f"{outlook}/{oliver.user.email}/events/{mine['2027-03-16']}/move", moved)
        emulator_settings.control("POST", f"{outlook}/{oliver.user.email}/events/{mine['2027-03-23']}/cancel", {})
        since = emulator_settings.last_seq()
        Booking.objects.update(read_back_at=None)
        read_back_due.delay()
        meetings = html.unescape(client.get(reverse("meetings", kwargs={"code": org.code})).text)

    rows = {o.original_start.date().isoformat(): o for o in booking.occurrences.all()}
    assert rows["2027-03-09"].responses == {str(alex.pk): "declined"}
    assert rows["2027-03-16"].moved_in_outlook and rows["2027-03-16"].start == datetime(2027, 3, 16, 16, tzinfo=UTC)
    assert rows["2027-03-23"].state == State.CANCELLED and rows["2027-03-23"].cancelled_in_outlook
    assert rows["2027-03-02"].news == "" and not rows["2027-03-02"].declined
    for line in ("9 Mar: Alex Wilber declined", "16 Mar: moved in Outlook", "23 Mar: cancelled in Outlook"):
        assert line in meetings
    assert booking.holds.filter(start=datetime(2027, 3, 16, 16, tzinfo=UTC)).count() == 2  # the guard follows
    calendar_calls_keep_the_data_contract(emulator_settings, since)
