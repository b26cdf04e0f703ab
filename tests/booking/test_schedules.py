"""Graph's getSchedule answers, read by Overlap's parser, become the engine's people; then a search on them."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from booking.engine import Person, Request, WorkingHours, search
from booking.search.schedules import ViewGrid, person_from_schedule
from integrations.microsoft import parse
from tests.booking.engine_world import PACIFIC_CUSTOM

DEFAULT = WorkingHours(frozenset(range(5)), time(8), time(17), UTC)
START = datetime(2026, 3, 9, tzinfo=UTC)  # a Monday, the day after America's spring change


def _item(start: str, end: str, status: str) -> dict[str, Any]:
    return {
        "status": status,
        "subject": "Quarterly numbers",
        "location": "Room 4",
        "start": {"dateTime": f"2026-03-09T{start}:00.0000000", "timeZone": "UTC"},
        "end": {"dateTime": f"2026-03-09T{end}:00.0000000", "timeZone": "UTC"},
    }


def _person(data: dict[str, Any], required: bool = True, **kwargs: Any) -> Person:
    schedule = parse.schedule(data)
    return person_from_schedule(
        schedule,
        person_id=schedule.address,
        name=schedule.address.split("@")[0].title(),
        required=required,
        default_hours=DEFAULT,
        **kwargs,
    )


def _hours(zone: dict[str, Any]) -> dict[str, Any]:
    days = ["monday", "tuesday", "wednesday", "thursday", "friday"]
    return {"daysOfWeek": days, "startTime": "09:00:00.0000000", "endTime": "17:00:00.0000000", "timeZone": zone}


def _request(people: list[Person]) -> Request:
    return Request(
        start=START, end=START + timedelta(days=1), duration=timedelta(minutes=30), now=START, you=people[0].id
    )


def test_busy_items_and_working_hours_in_three_forms_of_zone_give_the_right_slots() -> None:
    anna = _person(
        {
            "scheduleId": "anna@contoso.example",
            "availabilityView": "",
            "scheduleItems": [_item("16:30", "17:00", "Busy"), _item("15:00", "16:00", "tentative")],
            "workingHours": _hours({"name": "GMT Standard Time"}),
        }
    )
    ravi = _person(
        {"scheduleId": "ravi@contoso.example", "scheduleItems": [], "workingHours": _hours(PACIFIC_CUSTOM)},
    )
    sam = _person(
        {"scheduleId": "sam@contoso.example", "scheduleItems": [], "workingHours": _hours({"name": "Asia/Calcutta"})},
        required=False,
    )

    result = search([anna, ravi, sam], _request([anna, ravi, sam]))

    # London 09:00-17:00 (UTC in March) and Los Angeles on PDT from 16:00 UTC overlap for an hour; Anna is
    # busy ("Busy", in Graph's other casing) for its second half.
    assert [s.start for s in result.slots] == [START + timedelta(hours=16)]
    assert result.slots[0].summary.startswith("16:00 for you, 09:00 for Ravi")
    assert result.slots[0].summary.endswith("optional: Sam outside working hours")  # 21:30 in Kolkata


def test_a_mailbox_graph_could_not_resolve_fails_the_search_closed_in_words() -> None:
    anna = _person({"scheduleId": "anna@contoso.example", "workingHours": _hours({"name": "UTC"})})
    gone = _person(
        {
            "scheduleId": "gone@contoso.example",
            "error": {"message": "Unable to resolve e-mail address gone@contoso.example.", "responseCode": "5009"},
        }
    )

    result = search([anna, gone], _request([anna, gone]))

    assert gone.unreadable == "Microsoft 365 could not find a mailbox for this address"
    assert result.slots == () and "Gone: Microsoft 365 could not find a mailbox" in result.failed


def test_an_unknown_error_keeps_graphs_message() -> None:
    odd = _person(
        {"scheduleId": "odd@contoso.example", "error": {"message": "Mailbox is moving.", "responseCode": "9"}}
    )

    assert odd.unreadable == "Microsoft 365 could not read their free/busy (Mailbox is moving.)"


def test_the_availability_view_stands_in_when_graph_lists_no_items() -> None:
    view = "0" * 36 + "2222" + "1" + "3" + "9" + "0" * 53  # 09:00 busy an hour, then tentative, oof, unknown
    anna = _person(
        {"scheduleId": "anna@contoso.example", "availabilityView": view, "workingHours": _hours({"name": "UTC"})},
        view=ViewGrid(START, timedelta(minutes=15)),
    )

    assert [(b.start.hour, b.start.minute, b.status) for b in anna.busy] == [
        (9, 0, "busy"),
        (10, 0, "tentative"),
        (10, 15, "oof"),
        (10, 30, "unknown"),
    ]
    starts = [s.start for s in search([anna], _request([anna])).slots]
    assert START + timedelta(hours=10, minutes=45) in starts
    assert not any(START + timedelta(hours=8, minutes=45) < s < START + timedelta(hours=10, minutes=45) for s in starts)


def test_a_mailbox_without_readable_working_hours_gets_the_default() -> None:
    anna = _person({"scheduleId": "anna@contoso.example", "workingHours": {"timeZone": {"name": "Nowhere"}}})

    assert anna.hours == DEFAULT


def test_subjects_and_locations_never_reach_the_engine() -> None:
    anna = _person(
        {
            "scheduleId": "anna@contoso.example",
            "scheduleItems": [_item("10:00", "11:00", "busy")],
            "workingHours": _hours({"name": "UTC"}),
        }
    )
    result = search([anna], _request([anna]))

    assert "Quarterly" not in repr(anna) and "Room 4" not in repr(anna)
    assert not any("Quarterly" in s.summary or "Room 4" in s.summary for s in result.slots)
