"""Graph's timestamps and time zones: Windows names, IANA names and custom zones with bias rules."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from integrations.microsoft.timezones import (
    UnknownTimeZone,
    format_datetime,
    get_zone,
    parse_date_time_zone,
    parse_datetime,
    parse_time_of_day,
    windows_to_iana,
    zone_from_graph,
)

# Graph's own example of a customTimeZone (Pacific time with its rules since 2007).
PACIFIC_CUSTOM = {
    "@odata.type": "#microsoft.graph.customTimeZone",
    "bias": 480,
    "name": "Customized Time Zone",
    "standardOffset": {"time": "02:00:00.0000000", "dayOccurrence": 1, "dayOfWeek": "sunday", "month": 11, "year": 0},
    "daylightOffset": {
        "time": "02:00:00.0000000",
        "dayOccurrence": 2,
        "dayOfWeek": "sunday",
        "month": 3,
        "year": 0,
        "daylightBias": -60,
    },
}
# Sydney: daylight from the first Sunday of October at 02:00 to the first Sunday of April at 03:00.
SYDNEY_CUSTOM = {
    "@odata.type": "#microsoft.graph.customTimeZone",
    "bias": -600,
    "standardOffset": {"time": "03:00:00.0000000", "dayOccurrence": 1, "dayOfWeek": "sunday", "month": 4, "year": 0},
    "daylightOffset": {
        "time": "02:00:00.0000000",
        "dayOccurrence": 1,
        "dayOfWeek": "sunday",
        "month": 10,
        "year": 0,
        "daylightBias": -60,
    },
}
instants = st.datetimes(min_value=datetime(2008, 1, 1), max_value=datetime(2035, 12, 31)).map(
    lambda d: d.replace(tzinfo=UTC)
)


def test_it_reads_graphs_seven_digit_timestamps_as_utc() -> None:
    assert parse_datetime("2019-03-15T12:00:00.0000000") == datetime(2019, 3, 15, 12, tzinfo=UTC)
    assert parse_datetime("2025-03-01T10:00:00.1234567Z") == datetime(2025, 3, 1, 10, 0, 0, 123456, tzinfo=UTC)


def test_it_reads_a_time_without_offset_in_the_zone_graph_named() -> None:
    value = {"dateTime": "2025-07-01T09:00:00.0000000", "timeZone": "W. Europe Standard Time"}

    assert parse_date_time_zone(value) == datetime(2025, 7, 1, 7, tzinfo=UTC)


def test_it_writes_utc_instants_in_graphs_form() -> None:
    berlin = datetime(2025, 1, 2, 10, 4, 5, tzinfo=ZoneInfo("Europe/Berlin"))

    assert format_datetime(berlin) == "2025-01-02T09:04:05.0000000"


def test_it_refuses_to_send_a_naive_time() -> None:
    with pytest.raises(ValueError):
        format_datetime(datetime(2025, 1, 2, 10))


def test_it_maps_windows_zone_names_to_iana_with_cldr() -> None:
    assert windows_to_iana("Pacific Standard Time") == "America/Los_Angeles"
    assert windows_to_iana("W. Europe Standard Time") == "Europe/Berlin"
    assert windows_to_iana("UTC") == "UTC"
    assert get_zone("Tokyo Standard Time").utcoffset(datetime(2025, 1, 1)) == timedelta(hours=9)


def test_it_accepts_iana_names_where_graph_allows_them() -> None:
    assert get_zone("Asia/Kolkata").utcoffset(datetime(2025, 1, 1)) == timedelta(hours=5, minutes=30)


def test_it_rejects_a_zone_nobody_knows() -> None:
    with pytest.raises(UnknownTimeZone):
        get_zone("Middle Earth Standard Time")


def test_it_reads_working_hours_times_with_seven_digit_fractions() -> None:
    assert parse_time_of_day("08:30:00.0000000") == time(8, 30)


@given(instants)
def test_a_custom_pacific_zone_agrees_with_los_angeles_at_every_instant(instant: datetime) -> None:
    custom = zone_from_graph(PACIFIC_CUSTOM)

    assert instant.astimezone(custom).utcoffset() == instant.astimezone(ZoneInfo("America/Los_Angeles")).utcoffset()


@given(instants)
def test_a_custom_southern_zone_agrees_with_sydney_at_every_instant(instant: datetime) -> None:
    custom = zone_from_graph(SYDNEY_CUSTOM)

    assert instant.astimezone(custom).utcoffset() == instant.astimezone(ZoneInfo("Australia/Sydney")).utcoffset()


@given(instants)
def test_local_times_in_a_custom_zone_map_back_to_the_same_instant(instant: datetime) -> None:
    custom = zone_from_graph(PACIFIC_CUSTOM)
    local = instant.astimezone(custom)

    assert local.astimezone(UTC) == instant


def test_a_custom_zone_without_rules_is_a_fixed_offset() -> None:
    india = zone_from_graph({"@odata.type": "#microsoft.graph.customTimeZone", "bias": -330})

    assert datetime(2025, 6, 1, 12, tzinfo=UTC).astimezone(india).hour == 17


def test_a_named_zone_object_uses_the_windows_name() -> None:
    zone = zone_from_graph({"name": "Eastern Standard Time"})

    assert datetime(2025, 7, 1, 12, tzinfo=UTC).astimezone(zone).hour == 8


def test_the_repeated_hour_when_clocks_go_back_maps_to_both_instants() -> None:
    custom = zone_from_graph(PACIFIC_CUSTOM)
    first = datetime(2025, 11, 2, 8, 30, tzinfo=UTC)  # 01:30 PDT
    second = datetime(2025, 11, 2, 9, 30, tzinfo=UTC)  # 01:30 PST

    assert (first.astimezone(custom).hour, second.astimezone(custom).hour) == (1, 1)
    assert first.astimezone(custom).astimezone(UTC) == first
    assert second.astimezone(custom).astimezone(UTC) == second


@pytest.mark.parametrize(
    ("name", "offset"),
    [
        ("Asia/Calcutta", timedelta(hours=5, minutes=30)),
        ("US/Pacific", timedelta(hours=-8)),
        ("Europe/Kiev", timedelta(hours=2)),
        ("India Standard Time", timedelta(hours=5, minutes=30)),
        ("Asia/Rangoon", timedelta(hours=6, minutes=30)),
    ],
)
def test_it_resolves_legacy_iana_names_and_windows_names(name: str, offset: timedelta) -> None:
    assert get_zone(name).utcoffset(datetime(2026, 1, 15, 12)) == offset


def test_it_reads_zones_from_the_shipped_iana_data_without_the_hosts() -> None:
    import zoneinfo

    assert zoneinfo.TZPATH == ()  # settings point every ZoneInfo of the process at the shipped tzdata
    assert get_zone("Asia/Calcutta").utcoffset(datetime(2026, 1, 15)) == timedelta(hours=5, minutes=30)
    assert zoneinfo.ZoneInfo("Asia/Kolkata").utcoffset(datetime(2026, 1, 15)) == timedelta(hours=5, minutes=30)


@pytest.mark.parametrize("name", ["asia/kolkata", "ASIA/CALCUTTA", "india standard time", " Australia/Lord_Howe "])
def test_zone_names_are_read_in_any_case(name: str) -> None:
    assert get_zone(name).utcoffset(datetime(2026, 1, 15, 12)) in (timedelta(hours=5, minutes=30), timedelta(hours=11))


@pytest.mark.parametrize("name", ["../../etc/passwd", "/etc/localtime", "Asia", "Asia/../Europe/Berlin", ""])
def test_it_refuses_names_that_are_paths_or_folders(name: str) -> None:
    with pytest.raises(UnknownTimeZone):
        get_zone(name)


def test_graphs_working_hours_accept_a_legacy_iana_name() -> None:
    zone = zone_from_graph({"name": "Asia/Calcutta"})

    assert datetime(2026, 3, 9, 3, 30, tzinfo=UTC).astimezone(zone).hour == 9


@pytest.mark.parametrize("zone", [{"name": "Asia/Calcutta"}, {"name": "Pacific Standard Time"}, PACIFIC_CUSTOM])
def test_zones_survive_a_round_trip_through_a_cache(zone: dict[str, object]) -> None:
    import pickle

    original = zone_from_graph(zone)
    restored = pickle.loads(pickle.dumps(original))
    summer, winter = datetime(2026, 7, 1, 12, tzinfo=UTC), datetime(2026, 1, 1, 12, tzinfo=UTC)

    assert summer.astimezone(restored).utcoffset() == summer.astimezone(original).utcoffset()
    assert winter.astimezone(restored).utcoffset() == winter.astimezone(original).utcoffset()
