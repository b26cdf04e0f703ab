"""The whole series moved to another time of day from the meeting page, against the emulator in both modes: every
occurrence still to come checked again at its new time (a clash refuses it, the series' own time does not), the
master PATCHed with start and end only, the occurrences moved or cancelled before keeping their change, both
mailboxes showing the new times, the Teams link kept, and a read-back afterwards finding nothing moved in Outlook."""

from __future__ import annotations

import html
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from booking.models import Booking
from booking.tasks import read_back_due
from m365_emulator.testing import EmulatorProcess
from tests.booking.helpers import book, copies, graph_calls, meeting_url
from tests.booking.series_world import NOW, london_and_new_york
from tests.booking.test_series_changes import series_fields, starts
from tests.booking.world import event, plant
from tests.conftest import Org, signed_in

LONDON = ZoneInfo("Europe/London")


def tuesdays_at(at: time, *left_out: int) -> list[str]:
    """The 8 Tuesdays from 2 March 2027 at `at` in London, in UTC ("2027-03-02T14:30")."""
    days = [datetime(2027, 3, 2).date() + timedelta(weeks=n) for n in range(8) if n not in left_out]
    return [f"{datetime.combine(d, at, tzinfo=LONDON).astimezone(UTC):%Y-%m-%dT%H:%M}" for d in days]


@pytest.mark.parametrize("mode", ["domain_wide", "delegated"])
def test_the_organizer_moves_the_whole_series_and_its_changed_occurrences_keep_their_change(
    org: Org, other_org: Org, emulator_settings: EmulatorProcess, mode: str
) -> None:
    emulator = emulator_settings
    with time_machine.travel(NOW, tick=True):
        oliver, alex = london_and_new_york(org, emulator, mode)
        client = signed_in(oliver.user)
        book(client, org, series_fields(alex))
        booking = Booking.objects.get(organizer=oliver)
        assert booking.state == Booking.State.CONFIRMED, booking.failure_reason
        client.post(
            meeting_url(booking, "meeting_occurrence_move"), {"occurrence": "2027-03-09T14:00:00Z", "at": "15:30"}
        )
        cancel = {"occurrence": "2027-03-16T14:00:00Z", "scope": "one"}
        client.post(meeting_url(booking, "meeting_occurrence_cancel"), cancel)
        move = meeting_url(booking, "meeting_series_move")
        # Attackers: the colleague may not move it; another organization cannot see it at all.
        assert signed_in(alex.user).post(move, {"at": "14:30"}).status_code == 403
        assert signed_in(other_org.admin).post(move, {"at": "14:30"}).status_code == 404
        other = reverse("meeting_series_move", kwargs={"code": other_org.code, "booking": booking.code})
        assert client.post(other, {"at": "14:30"}).status_code == 404
        # 6 April at 16:00 in London Alex is taken: a move to 15:30 is refused, nothing changes anywhere.
        plant(emulator, alex.user.email, event(datetime(2027, 4, 6, 15, tzinfo=UTC), 30, "Dentist"))
        before = starts(emulator, alex.user.email, booking)
        refused = html.unescape(client.post(move, {"at": "15:30"}, follow=True).text)
        unchanged = starts(emulator, alex.user.email, booking)
        # 14:30 overlaps the series' own 14:00-15:00: that is itself, not a clash.
        since = emulator.last_seq()
        page = html.unescape(client.post(move, {"at": "14:30"}, follow=True).text)
        writes = [f"{c['method']} {c['path']}" for c in graph_calls(emulator, since, batched=True)]
        moved = {p.user.email: sorted(starts(emulator, p.user.email, booking)) for p in (oliver, alex)}
        [series] = copies(emulator, oliver.user.email, booking.ical_uid)
        Booking.objects.update(read_back_at=None)
        read_back_due.delay()
        meetings = html.unescape(client.get(reverse("meetings", kwargs={"code": org.code})).text)

    assert "Apr 6: Alex Wilber is no longer free then" in refused and unchanged == before
    expected = sorted([*tuesdays_at(time(14, 30), 1, 2), "2027-03-09T15:30"])  # 9 Mar keeps its move, 16 Mar gone
    assert moved == {oliver.user.email: expected, alex.user.email: expected}
    [patch] = [w for w in writes if not w.startswith("GET") and "getSchedule" not in w]  # the master, once
    assert patch.startswith("PATCH ") and patch.endswith(f"/events/{booking.event_id}")
    assert series["onlineMeeting"]["joinUrl"] == booking.join_url  # the Teams link kept
    assert "The series is moved" in page and "The whole series moved" in page
    booking.refresh_from_db()
    assert booking.start == datetime(2027, 3, 2, 14, 30, tzinfo=UTC)
    assert not booking.history.filter(kind__in=["occurrence_moved_in_outlook", "moved_in_outlook"]).exists()
    held = sorted(f"{o.start:%Y-%m-%dT%H:%M}" for o in booking.occurrences.all() if o.is_held)
    assert held == expected and booking.holds.count() == 2 * 7
    assert "Tue, Mar 2, 2027, 2:30\u00a0PM" in meetings
