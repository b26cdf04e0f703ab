"""The grid is the organizer's local clock, everywhere: every time the engine proposes, in any zone, on any day
(clock changes included) and on any grid, is exactly a local grid mark, and the booking form accepts it."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django import forms
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from booking.engine import Person, Request, WorkingHours, search
from booking.forms import slot_of
from booking.rules import GRANULARITIES, BookingRules
from booking.search.results import zone_label
from integrations.microsoft.timezones import zone_from_graph
from localtime import CustomTimeZone, grid, on_grid, outlook_name, zone_named
from m365_emulator.fixtures import PACIFIC_CUSTOM_ZONE

# Offsets of :30 and :45, half-hour changes (Lord Howe), southern summers, a custom zone from Graph.
ZONE_NAMES = [
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "America/St_Johns",
    "Australia/Adelaide",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "Europe/London",
    "America/New_York",
    "UTC",
]
INDIA_CUSTOM = CustomTimeZone(bias=-330)
DAYS = 3
MINUTE = timedelta(minutes=1)


def _zone(name: str) -> tzinfo:
    return INDIA_CUSTOM if name == "custom India" else zone_named(name)


def _local_grid(start: datetime, end: datetime, step: int, zone: tzinfo) -> list[datetime]:
    """The oracle, minute by minute: every instant whose wall clock in `zone` is a multiple of `step` minutes."""
    found, moment = [], start
    while moment < end:
        local = moment.astimezone(zone)
        if (local.hour * 60 + local.minute) % step == 0:
            found.append(moment)
        moment += MINUTE
    return found


def _search(zone: tzinfo, day: date, grid: int, minutes: int) -> tuple[list[datetime], datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
    end = start + timedelta(days=DAYS)
    always = WorkingHours(frozenset(range(7)), time(0), time(0), zone)  # all day, every day
    request = Request(
        start=start,
        end=end,
        duration=timedelta(minutes=minutes),
        now=start - timedelta(hours=1),
        granularity=timedelta(minutes=grid),
        grid_tz=zone,
    )
    return [slot.start for slot in search([Person("p", "Pat", hours=always)], request).slots], start, end


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from([*ZONE_NAMES, "custom India"]),
    day=st.dates(date(2026, 1, 1), date(2030, 12, 31)),
    grid=st.sampled_from(GRANULARITIES),
)
@example(name="Australia/Lord_Howe", day=date(2027, 4, 3), grid=60)  # +11:00 -> +10:30 on 4 April 2027
@example(name="Australia/Lord_Howe", day=date(2027, 10, 2), grid=30)  # +10:30 -> +11:00 on 3 October 2027
@example(name="America/St_Johns", day=date(2027, 3, 13), grid=60)
@example(name="Australia/Adelaide", day=date(2027, 4, 3), grid=15)
@example(name="Pacific/Chatham", day=date(2027, 4, 3), grid=60)
def test_every_time_the_engine_proposes_is_a_local_grid_mark_and_the_booking_form_accepts_it(
    name: str, day: date, grid: int
) -> None:
    zone, rules = _zone(name), BookingRules(granularity_minutes=grid)
    minutes = rules.durations[0]  # the shortest meeting the page offers on this grid
    proposed, start, end = _search(zone, day, grid, minutes)
    expected = [s for s in _local_grid(start, end, grid, zone) if s + timedelta(minutes=minutes) <= end]

    assert proposed == expected
    with time_machine.travel(start - timedelta(hours=1), tick=False):
        for begins in proposed:
            slot = slot_of(begins.isoformat(), minutes, rules=rules, zone=zone)
            assert slot.start == begins


def test_after_lord_howes_half_hour_change_the_hourly_times_still_start_on_the_hour() -> None:
    zone = zone_named("Australia/Lord_Howe")

    proposed, _, _ = _search(zone, date(2027, 4, 3), 60, 60)

    local = [s.astimezone(zone) for s in proposed]
    assert {t.minute for t in local} == {0}
    assert sorted({t.hour for t in local if t.date() == date(2027, 4, 4)}) == list(range(24))  # the change day


@pytest.mark.parametrize("name", ["Asia/Kolkata", "Asia/Kathmandu", "America/St_Johns", "Australia/Adelaide"])
def test_the_booking_form_refuses_a_start_on_the_utc_hour_that_is_off_the_local_grid(name: str) -> None:
    zone, rules = zone_named(name), BookingRules(granularity_minutes=60)
    start = datetime(2031, 1, 6, 10, tzinfo=UTC)  # :30 or :45 on these clocks

    with pytest.raises(forms.ValidationError, match="60-minute mark of the organizer's clock"):
        slot_of(start.isoformat(), 60, rules=rules, zone=zone)
    assert not on_grid(start, timedelta(minutes=60), zone)


def test_graphs_customized_time_zone_for_india_is_named_as_outlook_names_it() -> None:
    assert outlook_name(INDIA_CUSTOM) == "India Standard Time"
    assert outlook_name(CustomTimeZone(bias=-330, name="My own zone")) == "My own zone"


def test_a_custom_zone_no_windows_zone_matches_is_shown_by_its_offset_and_graphs_pacific_example_by_its_name() -> None:
    odd = CustomTimeZone(bias=-337)  # UTC+05:37: no Windows zone keeps this clock

    assert zone_label(odd) == "UTC+05:37"
    assert zone_label(zone_from_graph(PACIFIC_CUSTOM_ZONE)) == "Pacific Standard Time"


def test_no_start_is_on_the_grid_in_the_calendars_last_hours() -> None:
    """A confirmation link typed by hand with a start on 31 December 9999: refused as off the grid (a clear
    message), where looking for the next mark ran past the calendar and answered with a server error."""
    assert not grid.on_grid(
        datetime(9999, 12, 31, 23, 30, tzinfo=UTC), timedelta(minutes=15), ZoneInfo("Europe/Berlin")
    )
