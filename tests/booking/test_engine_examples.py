"""The engine on hand-made calendars: daylight-saving changes, a custom zone, three zones, the words it uses."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, tzinfo
from typing import Any

import pytest

from booking.engine import Busy, Person, Request, WorkingHours, search
from integrations.microsoft.timezones import get_zone, zone_from_graph
from tests.booking.engine_world import PACIFIC_CUSTOM

WEEKDAYS = frozenset(range(5))
BERLIN, LONDON, NEW_YORK = get_zone("W. Europe Standard Time"), get_zone("GMT Standard Time"), get_zone("US/Eastern")
KOLKATA = get_zone("Asia/Calcutta")


def _hours(tz: tzinfo, start: int = 9, end: int = 17) -> WorkingHours:
    return WorkingHours(WEEKDAYS, time(start), time(end), tz)


def _request(start: datetime, days: float, minutes: int = 30, **changes: Any) -> Request:
    fields: dict[str, Any] = {
        "start": start,
        "end": start + timedelta(days=days),
        "duration": timedelta(minutes=minutes),
        "now": start - timedelta(days=1),
        "you": "anna",
    }
    return Request(**(fields | changes))


def _utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def _first_and_last_by_day(people: list[Person], request: Request) -> list[tuple[datetime, datetime]]:
    """The first slot's start and the last slot's end on each local day of the first person."""
    result = search(people, request)
    assert people[0].hours is not None
    return [(slots[0].start, slots[-1].end) for _, slots in result.by_day(people[0].hours.tz)]


def test_working_hours_stay_at_nine_to_five_local_across_europes_spring_change() -> None:
    anna = Person("anna", "Anna", hours=_hours(BERLIN))

    days = _first_and_last_by_day([anna], _request(_utc(2026, 3, 27), 4, minutes=60))

    assert days == [
        (_utc(2026, 3, 27, 8), _utc(2026, 3, 27, 16)),  # Friday, CET
        (_utc(2026, 3, 30, 7), _utc(2026, 3, 30, 15)),  # Monday, CEST
    ]


def test_working_hours_stay_at_nine_to_five_local_across_europes_autumn_change() -> None:
    anna = Person("anna", "Anna", hours=_hours(BERLIN))

    days = _first_and_last_by_day([anna], _request(_utc(2026, 10, 23), 4, minutes=60))

    assert days == [
        (_utc(2026, 10, 23, 7), _utc(2026, 10, 23, 15)),  # Friday, CEST
        (_utc(2026, 10, 26, 8), _utc(2026, 10, 26, 16)),  # Monday, CET
    ]


def test_night_shift_hours_run_past_midnight() -> None:
    nora = Person("anna", "Nora", hours=WorkingHours(frozenset({0}), time(22), time(6), LONDON))

    slots = search([nora], _request(_utc(2026, 3, 2), 3, minutes=60)).slots

    assert (slots[0].start, slots[-1].end, len(slots)) == (_utc(2026, 3, 2, 22), _utc(2026, 3, 3, 6), 29)


def test_a_custom_zone_with_graphs_transition_rules_moves_with_americas_spring_change() -> None:
    ravi = Person("anna", "Ravi", hours=_hours(zone_from_graph(PACIFIC_CUSTOM)))

    days = _first_and_last_by_day([ravi], _request(_utc(2026, 3, 6, 12), 4, minutes=60))

    assert days == [
        (_utc(2026, 3, 6, 17), _utc(2026, 3, 7, 1)),  # Friday, PST
        (_utc(2026, 3, 9, 16), _utc(2026, 3, 10, 0)),  # Monday, PDT
    ]


def _three_zones() -> list[Person]:
    return [
        Person("anna", "Anna", hours=_hours(LONDON)),
        Person("ravi", "Ravi", hours=_hours(BERLIN)),
        Person("sam", "Sam", hours=_hours(NEW_YORK)),
    ]


def test_three_zones_meet_where_their_days_overlap_which_shifts_between_the_two_spring_changes() -> None:
    between = _first_and_last_by_day(_three_zones(), _request(_utc(2026, 3, 17), 1))
    after = _first_and_last_by_day(_three_zones(), _request(_utc(2026, 3, 31), 1))

    assert between == [(_utc(2026, 3, 17, 13), _utc(2026, 3, 17, 16))]  # New York on EDT, Europe still on winter time
    assert after == [(_utc(2026, 3, 31, 13), _utc(2026, 3, 31, 15))]  # Europe on summer time as well


def test_each_persons_local_time_is_named_with_the_part_of_their_day() -> None:
    slot = search(_three_zones(), _request(_utc(2026, 3, 17), 1)).slots[0]

    assert slot.summary.startswith("13:00 for you, 14:00 for Ravi, 09:00 for Sam — early afternoon and morning")


def test_the_reason_says_whose_focus_block_a_slot_keeps() -> None:
    anna = Person("anna", "Anna", hours=_hours(BERLIN))
    ravi = Person(
        "ravi",
        "Ravi",
        hours=_hours(KOLKATA, 9, 18),
        busy=(Busy(datetime(2026, 3, 3, 13, tzinfo=KOLKATA), datetime(2026, 3, 3, 14, 15, tzinfo=KOLKATA)),),
    )

    result = search([anna, ravi], _request(_utc(2026, 3, 3), 1))
    slot = next(s for s in result.slots if s.start == _utc(2026, 3, 3, 9))

    assert (
        slot.summary
        == "10:00 for you, 14:30 for Ravi — mid-morning and early afternoon; keeps Ravi's afternoon focus block"
    )


def test_the_worst_off_person_decides_first_then_everyone_then_the_earliest() -> None:
    anna = Person("anna", "Anna", hours=_hours(LONDON))  # 09:00-17:00 UTC in March
    ravi = Person("ravi", "Ravi", hours=_hours(KOLKATA))  # 03:30-11:30 UTC

    best = search([anna, ravi], _request(_utc(2026, 3, 3), 1)).best

    assert [s.start.strftime("%H:%M") for s in best] == ["10:00", "09:30", "10:30", "09:00", "11:00"]
    assert "at the start of your working day" in best[3].summary
    assert "at the end of Ravi's working day" in best[4].summary


def test_a_slot_that_leaves_less_than_two_free_hours_on_both_sides_cuts_a_focus_block() -> None:
    busy = (Busy(_utc(2026, 3, 3, 9), _utc(2026, 3, 3, 13)), Busy(_utc(2026, 3, 3, 15), _utc(2026, 3, 3, 17)))
    anna = Person("anna", "Anna", hours=_hours(LONDON), busy=busy)

    slots = search([anna], _request(_utc(2026, 3, 3), 1, granularity=timedelta(minutes=30))).slots

    assert [s.start.strftime("%H:%M") for s in slots] == ["13:00", "13:30", "14:00", "14:30"]
    assert "cuts your afternoon focus block" in slots[1].summary
    assert "right after another of your meetings" in slots[0].summary
    assert "right before another of your meetings" in slots[3].summary


def test_a_slot_over_lunch_says_so_and_costs_more() -> None:
    anna = Person("anna", "Anna", hours=_hours(LONDON))
    slots = {s.start.hour * 60 + s.start.minute: s for s in search([anna], _request(_utc(2026, 3, 3), 1)).slots}

    assert "over your lunch hour" in slots[12 * 60].summary
    assert slots[12 * 60].worst > slots[11 * 60].worst


def test_tentative_and_out_of_office_block_by_default_working_elsewhere_and_free_do_not_and_unknown_always_does() -> (
    None
):
    busy = tuple(
        Busy(_utc(2026, 3, 3, hour), _utc(2026, 3, 3, hour + 1), status)
        for hour, status in ((9, "tentative"), (10, "oof"), (11, "workingElsewhere"), (12, "free"), (13, "unknown"))
    )
    anna = Person("anna", "Anna", hours=_hours(LONDON, 9, 14), busy=busy)

    default = search([anna], _request(_utc(2026, 3, 3), 1, minutes=60, granularity=timedelta(hours=1)))
    lenient = search(
        [anna],
        _request(_utc(2026, 3, 3), 1, minutes=60, granularity=timedelta(hours=1), blocking=frozenset({"busy", "oof"})),
    )

    assert [s.start.hour for s in default.slots] == [11, 12]
    assert [s.start.hour for s in lenient.slots] == [9, 11, 12]


def test_buffers_keep_a_slot_away_from_meetings_on_both_sides() -> None:
    busy = (Busy(_utc(2026, 3, 3, 10), _utc(2026, 3, 3, 11)),)
    anna = Person("anna", "Anna", hours=_hours(LONDON, 9, 12), busy=busy)
    request = _request(_utc(2026, 3, 3), 1, buffer_before=timedelta(minutes=10), buffer_after=timedelta(minutes=15))

    starts = [s.start.strftime("%H:%M") for s in search([anna], request).slots]

    assert starts == ["09:00", "09:15", "11:15", "11:30"]


def test_a_required_person_who_cannot_be_read_stops_the_search_with_their_reason() -> None:
    anna = Person("anna", "Anna", hours=_hours(LONDON))
    ravi = Person("ravi", "Ravi", unreadable="not enabled by your admin (outside the security group)")

    result = search([anna, ravi], _request(_utc(2026, 3, 3), 1))

    assert result.slots == () and result.best == ()
    assert "Ravi: not enabled by your admin (outside the security group)" in result.failed
    assert [u.name for u in result.unreadable] == ["Ravi"]


def test_an_optional_person_who_cannot_be_read_is_shown_as_unknown() -> None:
    anna = Person("anna", "Anna", hours=_hours(LONDON))
    kim = Person(
        "kim", "Kim", required=False, hours=_hours(LONDON), busy=(Busy(_utc(2026, 3, 3, 9), _utc(2026, 3, 3, 12)),)
    )
    sam = Person("sam", "Sam", required=False, unreadable="throttled by Microsoft 365")

    result = search([anna, kim, sam], _request(_utc(2026, 3, 3), 1))
    morning, afternoon = result.slots[0], result.slots[-1]

    assert morning.summary.endswith("optional: Kim busy, Sam unknown")
    assert morning.explanation.optional_busy == ("Kim",) and morning.explanation.optional_unknown == ("Sam",)
    assert afternoon.summary.endswith("optional: Kim free, Sam unknown")
    assert afternoon.optional_free_count == 1 and morning.optional_free_count == 0
    assert [u.name for u in result.unreadable] == ["Sam"] and not result.failed


def test_more_optional_people_free_breaks_a_tie() -> None:
    anna = Person("anna", "Anna", hours=_hours(LONDON, 9, 18))
    kim = Person(
        "kim", "Kim", required=False, hours=_hours(LONDON), busy=(Busy(_utc(2026, 3, 3, 10), _utc(2026, 3, 3, 10, 30)),)
    )

    best = search([anna, kim], _request(_utc(2026, 3, 3), 1)).best

    # 10:00 would cost Anna as little, but Kim is busy then.
    assert (best[0].start, best[0].worst, best[0].total) == (_utc(2026, 3, 3, 10, 30), 0, 0)
    assert best[0].summary.endswith("optional: Kim free")


def test_a_widened_person_can_be_met_outside_their_hours_and_each_such_slot_is_flagged() -> None:
    anna = Person("anna", "Anna", hours=_hours(BERLIN))
    ravi = Person("ravi", "Ravi", hours=_hours(NEW_YORK))
    request = _request(_utc(2026, 3, 3), 1)

    narrow = search([anna, ravi], request)
    wide = search([anna, ravi], _request(_utc(2026, 3, 3), 1, widened=frozenset({"ravi"})))
    early = next(s for s in wide.slots if s.start == _utc(2026, 3, 3, 8))

    assert all(s.start >= _utc(2026, 3, 3, 14) for s in narrow.slots)
    assert early.explanation.flags == ("outside Ravi's working hours, 03:00 for Ravi",)
    assert early.outside_hours and not wide.best[0].outside_hours
    assert [s.start for s in wide.best[:4]] == [s.start for s in narrow.best]
    assert wide.best[4].outside_hours and wide.best[4].worst >= 6


def test_the_grid_can_follow_a_zone_whose_offset_is_not_whole_hours() -> None:
    anna = Person("anna", "Anna", hours=_hours(get_zone("Asia/Kathmandu")))
    on_utc = search([anna], _request(_utc(2026, 3, 3), 1, granularity=timedelta(hours=1)))
    on_local = search(
        [anna], _request(_utc(2026, 3, 3), 1, granularity=timedelta(hours=1), grid_tz=get_zone("Asia/Kathmandu"))
    )

    assert {s.explanation.people[0].local_start.minute for s in on_utc.slots} == {45}
    assert {s.explanation.people[0].local_start.minute for s in on_local.slots} == {0}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"now": datetime(2026, 3, 3)}, "aware"),
        ({"duration": timedelta(seconds=90)}, "whole minutes"),
        ({"granularity": timedelta(0)}, "whole minutes"),
        ({"buffer_after": timedelta(minutes=-5)}, "negative"),
    ],
)
def test_it_refuses_a_request_it_cannot_answer_honestly(changes: dict[str, Any], message: str) -> None:
    anna = Person("anna", "Anna", hours=_hours(LONDON))

    with pytest.raises(ValueError, match=message):
        search([anna], _request(_utc(2026, 3, 3), 1, **changes))


def test_it_refuses_a_search_without_a_required_person_with_someone_twice_or_without_working_hours() -> None:
    anna = Person("anna", "Anna", hours=_hours(LONDON))

    with pytest.raises(ValueError, match="required"):
        search([Person("anna", "Anna", required=False, hours=_hours(LONDON))], _request(_utc(2026, 3, 3), 1))
    with pytest.raises(ValueError, match="once"):
        search([anna, anna], _request(_utc(2026, 3, 3), 1))
    with pytest.raises(ValueError, match="working hours"):
        search([anna, Person("ravi", "Ravi")], _request(_utc(2026, 3, 3), 1))


def test_an_empty_result_says_whose_working_hours_never_overlap() -> None:
    anna = Person("anna", "Anna", hours=_hours(BERLIN))
    ravi = Person("ravi", "Ravi", hours=_hours(get_zone("Pacific/Auckland")))

    result = search([anna, ravi], _request(_utc(2026, 3, 3), 2))

    assert result.slots == () and not result.failed
    assert result.notes[0].startswith("The working hours of Anna and Ravi never overlap for 30 minutes in this range")


def test_an_empty_result_says_when_calendars_leave_no_common_free_time() -> None:
    anna = Person("anna", "Anna", hours=_hours(LONDON), busy=(Busy(_utc(2026, 3, 3, 9), _utc(2026, 3, 3, 13)),))
    ravi = Person("ravi", "Ravi", hours=_hours(LONDON), busy=(Busy(_utc(2026, 3, 3, 13), _utc(2026, 3, 3, 17)),))

    result = search([anna, ravi], _request(_utc(2026, 3, 3), 1))

    assert result.notes == (
        "Everyone's working hours overlap, but no 30 minutes are free in every calendar at once; "
        "try a shorter meeting or a longer range.",
    )


def test_an_empty_result_says_when_the_range_is_over_before_the_notice_allows() -> None:
    anna = Person("anna", "Anna", hours=_hours(LONDON))

    result = search([anna], _request(_utc(2026, 3, 3), 1, now=_utc(2026, 3, 3, 23, 45)))

    assert result.notes == ("The range ends before the earliest time allowed (now plus the minimum notice).",)
