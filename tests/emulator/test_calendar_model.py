"""The calendar's own rules, without HTTP: time zones, recurring series, free/busy merging and the seeded calendars."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from m365_emulator.calendar import CalendarStore, Event, Recurrence, availability_view, new_event_ids
from m365_emulator.calendar_seed import seed_calendars
from m365_emulator.calendar_tz import (
    UnknownTimeZone,
    format_graph,
    parse_local,
    zone_for_name,
    zone_from_graph,
)
from m365_emulator.fixtures import DEMO_TENANT_ID, PACIFIC_CUSTOM_ZONE, build_world
from m365_emulator.state import DirectoryUser, Tenant

NOW = datetime(2026, 3, 4, 12, tzinfo=UTC)  # a Wednesday, days before the US and EU clocks change


def _event(owner: str, start: datetime, minutes: int, **fields: object) -> Event:
    regular, immutable = new_event_ids()
    event = Event(regular, immutable, f"uid-{regular}", owner, "Subject", start, start + timedelta(minutes=minutes))
    for name, value in fields.items():
        setattr(event, name, value)
    return event


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 1, 15, 12, tzinfo=UTC),
        datetime(2026, 3, 8, 9, 59, tzinfo=UTC),
        datetime(2026, 3, 8, 10, 1, tzinfo=UTC),
        datetime(2026, 7, 1, tzinfo=UTC),
        datetime(2026, 11, 1, 8, 59, tzinfo=UTC),
        datetime(2026, 11, 1, 9, 1, tzinfo=UTC),
    ],
)
def test_graphs_custom_pacific_zone_keeps_the_same_offsets_as_los_angeles(moment: datetime) -> None:
    custom = zone_from_graph(PACIFIC_CUSTOM_ZONE)
    assert moment.astimezone(custom).utcoffset() == moment.astimezone(ZoneInfo("America/Los_Angeles")).utcoffset()


def test_windows_names_and_iana_names_resolve_and_unknown_names_are_refused() -> None:
    local = datetime(2026, 7, 1, 9)
    assert local.replace(tzinfo=zone_for_name("w. europe standard time")).utcoffset() == timedelta(hours=2)
    assert local.replace(tzinfo=zone_for_name("Asia/Kolkata")).utcoffset() == timedelta(hours=5, minutes=30)
    with pytest.raises(UnknownTimeZone):
        zone_for_name("Mars Standard Time")


def test_graph_date_times_read_seven_digits_and_are_written_with_seven_digits() -> None:
    assert parse_local("2026-03-15T12:00:00.1234567") == datetime(2026, 3, 15, 12, 0, 0, 123456)
    written = format_graph(datetime(2026, 3, 15, 12, 0, 0, 123456, tzinfo=UTC), zone_for_name("Pacific Standard Time"))
    assert written == "2026-03-15T05:00:00.1234560"


def test_a_weekly_series_keeps_its_wall_clock_time_across_the_daylight_saving_change() -> None:
    store = CalendarStore()
    first = datetime(2026, 3, 23, 8, tzinfo=UTC)  # Monday 09:00 in Berlin (winter time)
    series = _event("adele", first, 30, start_zone="W. Europe Standard Time")
    series.recurrence = Recurrence(
        "weekly", 1, (0,), 6, "noEnd", date(2026, 3, 23), time_zone="W. Europe Standard Time"
    )
    store.add(series)
    instances = store.instances("adele", first, first + timedelta(days=13))
    assert [datetime.fromtimestamp(i.start, UTC).hour for i in instances] == [8, 7]  # 09:00 local both weeks


def test_series_end_by_date_by_count_and_skip_weeks_by_interval() -> None:
    start = date(2026, 3, 2)  # a Monday
    every_other = Recurrence("weekly", 2, (0, 2), 6, "endDate", start, end_date=date(2026, 3, 25))
    assert list(every_other.dates(date(2026, 12, 31))) == [
        date(2026, 3, 2),
        date(2026, 3, 4),
        date(2026, 3, 16),
        date(2026, 3, 18),
    ]
    three = Recurrence("daily", 1, (), 6, "numbered", start, occurrences=3)
    assert list(three.dates(date(2026, 12, 31))) == [date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 4)]


def test_the_view_merges_overlaps_to_the_strongest_status_and_reports_working_elsewhere_as_free() -> None:
    store = CalendarStore()
    nine = datetime(2026, 3, 2, 9, tzinfo=UTC)
    store.add(_event("megan", nine, 120, show_as="tentative"))
    store.add(_event("megan", nine + timedelta(minutes=30), 30, show_as="busy"))
    store.add(_event("megan", nine + timedelta(minutes=60), 30, show_as="oof"))
    store.add(_event("megan", nine + timedelta(minutes=120), 60, show_as="workingElsewhere"))
    store.add(_event("megan", nine, 180, show_as="busy", is_cancelled=True))
    window = (nine, nine + timedelta(hours=3))
    assert availability_view(store.instances("megan", *window), *window, 30) == "123100"


def test_an_event_added_after_a_read_shows_up_in_the_next_read() -> None:
    store = CalendarStore()
    nine = datetime(2026, 3, 2, 9, tzinfo=UTC)
    window = (nine, nine + timedelta(hours=1))
    assert store.instances("alex", *window) == []
    store.add(_event("alex", nine, 30))
    assert len(store.instances("alex", *window)) == 1


def test_the_seeded_calendars_are_the_same_for_the_same_seed_and_week() -> None:
    def snapshot(seed: int, now: datetime) -> list[dict[str, object]]:
        tenant = build_world("demo", seed=seed, client_secret="s", now=now).tenants[DEMO_TENANT_ID]
        store = tenant.calendars
        return [
            vars(e) | {"attendees": [vars(a) for a in e.attendees]}
            for u in sorted(tenant.users)
            for e in store.events_of(u)
        ]

    first = snapshot(1, NOW)
    assert first == snapshot(1, NOW + timedelta(days=1))  # later the same week
    assert first != snapshot(2, NOW)
    assert first != snapshot(1, NOW + timedelta(weeks=1))


def test_the_demo_calendars_hold_what_real_calendars_hold_around_the_current_week() -> None:
    tenant = build_world("demo", seed=1, client_secret="s", now=NOW).tenants[DEMO_TENANT_ID]
    events = [e for user_id in tenant.users for e in tenant.calendars.events_of(user_id)]
    zones = {u.mailbox_time_zone for u in tenant.users.values() if u.has_mailbox}
    assert {"W. Europe Standard Time", "Pacific Standard Time", "Eastern Standard Time"} <= zones
    assert any(e.recurrence and e.subject == "Daily stand-up" for e in events)
    assert any(e.recurrence and e.subject.endswith("1:1") for e in events)
    assert {"busy", "tentative", "oof", "workingElsewhere", "free"} <= {e.show_as for e in events}
    assert any(e.is_all_day for e in events) and any(e.is_private for e in events)
    assert any(not e.is_organizer and e.response == "notResponded" for e in events)
    monday = datetime(2026, 3, 2, tzinfo=UTC)
    adele = tenant.user_by_address("adele.vance@contoso.onmicrosoft.com")
    assert adele is not None
    assert len(tenant.calendars.instances(adele.id, monday, monday + timedelta(days=7))) >= 10


def test_seeding_gives_office_hours_to_a_mailbox_that_has_none() -> None:
    person = DirectoryUser("u1", "sam@example.com", "sam@example.com", "Sam", mailbox_time_zone="Tokyo Standard Time")
    tenant = Tenant("t1", "Example", ["example.com"], users={"u1": person})
    seed_calendars(tenant, seed=1, now=NOW)
    assert person.working_hours is not None
    assert (person.working_hours.start, person.working_hours.end) == (time(9), time(17))
    assert person.working_hours.time_zone == {"name": "Tokyo Standard Time"}
