"""Through the pages against the emulator: a suggested time books in zones of :30 and :45 offsets and across
their clock changes (Lord Howe's half hour too), with buffers, in both modes; buffers read past the range's edges."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import quote

import pytest
import time_machine

from accounts.models import Membership
from booking.models import Booking
from booking.rules import booking_rules_of
from booking.search.availability import availability_check_slot
from localtime import zone_named
from m365_emulator.testing import EmulatorProcess
from tests.booking.helpers import book, form
from tests.booking.world import (
    address,
    connected,
    event,
    member,
    next_week,
    plant,
    schedule_calls,
    search_page,
    set_zone,
)
from tests.conftest import Org, signed_in

# (page zone, the test process's "now", the searched days, the first day after the zone's clock change)
CASES = [
    ("Asia/Kolkata", "2027-03-29T00:00:00Z", date(2027, 4, 1), date(2027, 4, 6), date(2027, 4, 1)),
    ("Asia/Kathmandu", "2027-03-29T00:00:00Z", date(2027, 4, 1), date(2027, 4, 6), date(2027, 4, 1)),
    ("America/St_Johns", "2027-03-08T12:00:00Z", date(2027, 3, 12), date(2027, 3, 16), date(2027, 3, 15)),
    ("Australia/Adelaide", "2027-03-29T00:00:00Z", date(2027, 4, 2), date(2027, 4, 6), date(2027, 4, 5)),
    ("Australia/Lord_Howe", "2027-03-29T00:00:00Z", date(2027, 4, 2), date(2027, 4, 6), date(2027, 4, 5)),
]


@pytest.fixture(params=["domain_wide", "delegated"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _clear(emulator: EmulatorProcess, people: list[Membership], first: date, last: date) -> None:
    """Plant free days: the demo calendars are drawn anew each week, so nothing may be assumed free."""
    start = datetime.combine(first, time(0), UTC) - timedelta(days=2)
    end = datetime.combine(last, time(0), UTC) + timedelta(days=3)
    for person in people:
        emulator.clear(person.user.email, start, end)


def _set_rules(org: Org, *, grid: int, before: int, after: int) -> None:
    rules = booking_rules_of(organization=org.organization)
    rules.granularity_minutes, rules.buffer_before_minutes, rules.buffer_after_minutes = grid, before, after
    rules.minimum_notice_minutes = 60
    rules.save()


def _confirm_link(page: str, start: datetime) -> str:
    """The page's own confirmation link for this start."""
    wanted = quote(start.strftime("%Y-%m-%dT%H:%M:%SZ"), safe="")
    links = re.findall(r'href="([^"]*/book/confirm\?start=' + re.escape(wanted) + r'[^"]*)"', page)
    assert links, f"no link for {start}"
    return html.unescape(links[0])


@pytest.mark.parametrize(("zone_name", "now", "first", "last", "after_change"), CASES)
def test_a_suggested_time_books_on_the_local_grid_across_the_zones_clock_change_with_buffers(
    org: Org, emulator_settings: EmulatorProcess, mode: str, zone_name: str, now: str, first: date, last: date,
    after_change: date,
) -> None:  # fmt: skip
    # Adele's Outlook is in the zone too: Microsoft's suggestions start on the hour or half hour of her mailbox's
    # clock (10:00 in Kathmandu, not 09:45), so the hourly grid holds them in individual mode as well.
    zone, grid = zone_named(zone_name), 60
    emulator_settings.update_user(address("Adele Vance"), mailboxTimeZone=zone_name)
    with time_machine.travel(datetime.fromisoformat(now), tick=True):  # the emulator's clock moves with it
        adele = connected(org, emulator_settings, mode, organizer="Adele Vance")
        diego = member(org, "Diego Ruiz")
        set_zone(adele, zone_name)
        _set_rules(org, grid=grid, before=15, after=15)
        _clear(emulator_settings, [adele, diego], first, last)
        client = signed_in(adele.user)

        page, starts = search_page(client, org, required=[diego], minutes=60, days=(first, last))
        assert starts, page
        local = [s.astimezone(zone) for s in starts]
        assert all((t.hour * 60 + t.minute) % grid == 0 for t in local)  # every time on the page clock's grid
        assert any(t.date() < after_change for t in local) or first == after_change  # the change is in range
        chosen = next(s for s in starts if s.astimezone(zone).date() >= after_change)
        confirm = client.get(_confirm_link(page, chosen))
        assert confirm.status_code == 200, confirm.content.decode()
        answer = book(client, org, form(chosen, minutes=60, required=[diego]))

    assert answer.status_code == 302, answer.content.decode()
    booking = Booking.objects.get(organizer=adele)
    assert booking.state == Booking.State.CONFIRMED, booking.failure_reason
    assert booking.start == chosen


def test_a_meeting_just_outside_the_range_still_keeps_its_buffers_from_the_first_and_last_times(
    org: Org, emulator_settings: EmulatorProcess
) -> None:
    adele = connected(org, emulator_settings, "domain_wide", organizer="Adele Vance")
    diego = member(org, "Diego Ruiz")
    # On Kiritimati's clock (UTC+14) a day starts at 10:00 UTC, inside Adele's and Diego's working day in Berlin.
    set_zone(adele, "Pacific/Kiritimati")
    _set_rules(org, grid=15, before=30, after=30)
    monday, _ = next_week()
    day = (monday + timedelta(days=1)).date()  # Tuesday on Kiritimati: Monday 10:00 to Tuesday 10:00 UTC
    start = datetime.combine(day, time(0), zone_named("Pacific/Kiritimati")).astimezone(UTC)
    end = start + timedelta(days=1)
    _clear(emulator_settings, [adele, diego], day, day)
    plant(emulator_settings, diego.user.email, event(start - timedelta(minutes=30), 30, "Just before"))
    plant(emulator_settings, diego.user.email, event(end, 30, "Just after"))

    _, starts = search_page(signed_in(adele.user), org, required=[diego], minutes=30, days=(day, day))

    assert start + timedelta(minutes=30) in starts and end - timedelta(minutes=60) in starts
    assert start not in starts and start + timedelta(minutes=15) not in starts
    assert end - timedelta(minutes=45) not in starts and end - timedelta(minutes=30) not in starts


def test_the_final_check_refuses_a_start_off_the_organizers_local_grid_before_asking_microsoft(
    org: Org, emulator_settings: EmulatorProcess
) -> None:
    adele = connected(org, emulator_settings, "domain_wide", organizer="Adele Vance")
    set_zone(adele, "Asia/Kathmandu")
    _set_rules(org, grid=30, before=0, after=0)
    monday, _ = next_week()
    since = emulator_settings.last_seq()

    off = availability_check_slot(
        organizer=adele,
        required=[member(org, "Diego Ruiz")],
        optional=[],
        start=monday,
        end=monday + timedelta(hours=1),
    )

    assert not off.free and off.problems == (
        "A meeting starts on a 30-minute mark of the organizer's clock (Asia/Kathmandu).",
    )
    assert schedule_calls(emulator_settings, since) == 0
